// The change feed: every change takes the next sequence number and moves its twin (or its
// tombstone) to that position in `by_seq`, so reading after a cursor yields each changed twin
// once, at its latest state.
#include "twins/service.h"
#include "twins/service_impl.h"

namespace iotwins::twins {

int64_t TwinService::last_seq() const { return impl_->published.load(); }

TwinService::FeedPage TwinService::changes_after(int64_t cursor, size_t max, const FeedFilter& filter) const {
  FeedPage page;
  page.cursor = cursor;
  std::shared_lock lock(impl_->mu);
  const Impl& im = *impl_;
  twin::UnderFn under = im.hierarchy.under_fn();
  // Bound the scan as well as the answer, so a selective filter cannot hold the lock for long.
  size_t scanned = 0;
  const size_t max_scan = std::max<size_t>(max * 64, 65536);
  for (auto it = im.by_seq.upper_bound(cursor); it != im.by_seq.end(); ++it) {
    if (page.items.size() >= max || scanned++ >= max_scan) break;
    page.cursor = it->first;
    if (auto t = im.twins.find(it->second); t != im.twins.end()) {
      const Entry& e = t->second;
      if (!filter.node.empty() && e.node != filter.node) continue;
      if (filter.query && !filter.query->matches(e.doc, under)) continue;
      page.items.push_back({it->first, e.doc.id, false, e.node, e.changed, e.doc});
    } else if (auto d = im.tombstones.find(it->second); d != im.tombstones.end()) {
      if (!filter.node.empty() && d->second.node != filter.node) continue;
      page.items.push_back({it->first, d->second.id, true, d->second.node, {}, std::nullopt});
    }
  }
  return page;
}

bool TwinService::wait_for_change(int64_t cursor, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->feed_mu);
  impl_->feed_cv.wait_for(lock, timeout, [&] { return impl_->closed || impl_->published.load() > cursor; });
  return !impl_->closed;
}

void TwinService::close() {
  {
    std::lock_guard lock(impl_->feed_mu);
    impl_->closed = true;
  }
  impl_->feed_cv.notify_all();
}

}  // namespace iotwins::twins
