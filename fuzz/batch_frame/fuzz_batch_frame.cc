// libFuzzer target: batch frame decoding of arbitrary bytes, with tight limits so bombs and
// huge counts are exercised. Whatever decodes must re-encode and decode to the same batch.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "dataplane/codec/batch_frame.h"

using namespace iotwins;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const dataplane::BatchLimits limits{.max_frame_bytes = 1 << 20,
                                      .max_uncompressed_bytes = 4 << 20,
                                      .max_records = 100'000};
  std::string_view frame(reinterpret_cast<const char*>(data), size);
  auto header = dataplane::decode_batch_header(frame, limits);
  auto batch = dataplane::decode_batch(frame, limits);
  if (!batch) return 0;
  if (!header || header->record_count != batch->records.size()) std::abort();
  auto again = dataplane::encode_batch(*batch, {.compress = header->compressed}, limits);
  if (!again) return 0;  // e.g. over max_frame_bytes uncompressed; not a decoder bug
  auto round = dataplane::decode_batch(*again, limits);
  if (!round || *round != *batch) std::abort();
  return 0;
}
