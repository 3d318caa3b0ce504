// TopicMapper: the topic mappings of the twin models, applied at an agent's ingest, so devices
// that publish on their own topics and payloads need no change. A message on a mapped topic
// becomes samples (numbers, and booleans as 0/1) and, for string properties, a `reported` event.
// Models are tried in id order; the first mapping whose topic matches wins.
// Thread-safe: set_models() swaps the set while map() runs on the ingest thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dataplane/codec/records.h"
#include "twin/model.h"

namespace iotwins::twins {

class TopicMapper {
 public:
  void set_models(std::vector<twin::TwinModel> models);
  // The MQTT filters the broker must capture ({twin} → +), unique and sorted.
  std::vector<std::string> subscriptions() const;
  bool empty() const;
  // Maps a device message received at `ts_ns`. False when no mapping's topic matches; true with
  // `error` set when one matches but the payload is unusable (not JSON, a field of the wrong type).
  bool map(std::string_view topic, std::string_view payload, int64_t ts_ns, std::vector<dataplane::Record>& samples,
           std::vector<dataplane::Record>& events, std::string& error) const;

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<twin::TwinModel>> models_ = std::make_shared<std::vector<twin::TwinModel>>();
};

}  // namespace iotwins::twins
