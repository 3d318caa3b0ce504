#include "runtime/streams.h"

#include <algorithm>

namespace iotwins::runtime {

std::string stream_topic(std::string_view stream) { return "iotwins-streams/" + std::string(stream); }

Result<StreamAddress> parse_stream_address(std::string_view address) {
  auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_argument, "stream address '" + std::string(address) + "': " + why);
  };
  size_t colon = address.find(':');
  if (colon == std::string_view::npos) return bad("expected <inproc|mqtt|dataplane>:<stream>");
  StreamAddress out{std::string(address.substr(0, colon)), std::string(address.substr(colon + 1))};
  if (out.transport != "inproc" && out.transport != "mqtt" && out.transport != "dataplane") {
    return bad("unknown transport '" + out.transport + "' (inproc, mqtt or dataplane)");
  }
  if (out.stream.empty() || out.stream.size() > 200) return bad("the stream name must have 1 to 200 characters");
  for (char c : out.stream) {
    bool okc = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
               c == '-' || c == '/';
    if (!okc) return bad(std::string("character '") + c + "' is not allowed (A-Z a-z 0-9 . _ - /)");
  }
  size_t start = 0;
  while (start <= out.stream.size()) {
    size_t end = out.stream.find('/', start);
    if (end == std::string::npos) end = out.stream.size();
    std::string_view seg(out.stream.data() + start, end - start);
    if (seg.empty() || seg == "." || seg == "..") return bad("empty, '.' and '..' path segments are not allowed");
    start = end + 1;
  }
  return out;
}

class InprocStreamHub::Handle : public StreamSubscription {
 public:
  Handle(InprocStreamHub& hub, std::string stream, std::shared_ptr<Sub> sub)
      : hub_(hub), stream_(std::move(stream)), sub_(std::move(sub)) {}
  ~Handle() override {
    {
      std::lock_guard lock(sub_->mu);
      sub_->alive = false;
    }
    hub_.remove(stream_, sub_.get());
  }

 private:
  InprocStreamHub& hub_;
  std::string stream_;
  std::shared_ptr<Sub> sub_;
};

Status InprocStreamHub::publish(const std::string& address, std::string_view record) {
  IOT_ASSIGN(auto a, parse_stream_address(address));
  if (a.transport != "inproc") {
    return make_error(Errc::invalid_argument, "stream address '" + address + "': only inproc streams are in memory");
  }
  deliver(a.stream, record);
  return ok();
}

Result<std::unique_ptr<StreamSubscription>> InprocStreamHub::subscribe(const std::string& address, RecordFn on_record) {
  IOT_ASSIGN(auto a, parse_stream_address(address));
  if (a.transport != "inproc") {
    return make_error(Errc::invalid_argument, "stream address '" + address + "': only inproc streams are in memory");
  }
  auto sub = std::make_shared<Sub>();
  sub->fn = std::move(on_record);
  {
    std::lock_guard lock(mu_);
    subs_[a.stream].push_back(sub);
  }
  return std::unique_ptr<StreamSubscription>(new Handle(*this, a.stream, std::move(sub)));
}

void InprocStreamHub::deliver(const std::string& stream, std::string_view record) {
  std::vector<std::shared_ptr<Sub>> targets;
  {
    std::lock_guard lock(mu_);
    auto it = subs_.find(stream);
    if (it == subs_.end()) return;
    targets = it->second;
  }
  for (const auto& sub : targets) {
    std::lock_guard lock(sub->mu);
    if (sub->alive) sub->fn(record);
  }
}

size_t InprocStreamHub::subscribers(const std::string& stream) const {
  std::lock_guard lock(mu_);
  auto it = subs_.find(stream);
  return it == subs_.end() ? 0 : it->second.size();
}

void InprocStreamHub::remove(const std::string& stream, const Sub* sub) {
  std::lock_guard lock(mu_);
  auto it = subs_.find(stream);
  if (it == subs_.end()) return;
  std::erase_if(it->second, [sub](const auto& s) { return s.get() == sub; });
  if (it->second.empty()) subs_.erase(it);
}

}  // namespace iotwins::runtime
