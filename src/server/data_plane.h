// The server's end of the data plane: batches from agents arrive at POST /api/v1/ingest, are
// made durable in the server's own buffer streams (exactly once per (source, stream, seq)) and
// acknowledged; appliers then move samples into the time-series store and events into the
// event log, and telemetry and reported state into the twins — level-triggered, resuming from their committed offsets after any restart.
//
// Object pieces (the objects stream) go to the file store instead.
//
//   <data-dir>/ingest/   the server's streams and the receiver's marks
//   <data-dir>/objects/  the file store (dataplane/objects/store.h)
#pragma once

#include <memory>
#include <string>

#include "core/result.h"

namespace iotwins::dataplane {
class NodeBuffer;
class Receiver;
class ObjectStore;
}
namespace iotwins::events {
class EventLog;
}
namespace iotwins::tsdb {
class TimeSeriesStore;
}
namespace iotwins::twins {
class TwinService;
}

namespace iotwins::server {

class ServerDataPlane {
 public:
  static Result<std::unique_ptr<ServerDataPlane>> start(const std::string& data_dir,
                                                        tsdb::TimeSeriesStore& store,
                                                        events::EventLog& events,
                                                        twins::TwinService& twins);
  ~ServerDataPlane();
  dataplane::Receiver& receiver();
  dataplane::ObjectStore& objects();
  void stop();

 private:
  ServerDataPlane() = default;
  std::unique_ptr<dataplane::ObjectStore> objects_;
  std::unique_ptr<dataplane::NodeBuffer> buffer_;
};

}  // namespace iotwins::server
