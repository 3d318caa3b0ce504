#include "dataplane/spool_record.h"

#include "wal/format.h"

namespace iotwins::dataplane {
namespace {

using wal::load_le;
using wal::store_le;

Error bad(std::string why) { return Error(Errc::invalid_argument, "spool record: " + why); }

}  // namespace

size_t spool_record_size(const SpoolRecord& r) {
  return kSpoolRecordHeaderSize + r.client_id.size() + r.topic.size() + r.payload.size();
}

Status encode_spool_record(const SpoolRecord& r, std::string& out) {
  if (r.qos > 2) return std::unexpected(bad("qos " + std::to_string(r.qos) + " is not 0, 1 or 2"));
  if (r.topic.empty()) return std::unexpected(bad("empty topic"));
  if (r.client_id.size() > kMaxSpoolClientId || r.topic.size() > kMaxSpoolTopic ||
      r.payload.size() > UINT32_MAX) {
    return make_error(Errc::too_large, "spool record: client id, topic or payload too long");
  }
  out.reserve(out.size() + spool_record_size(r));
  store_le<uint8_t>(out, kSpoolRecordVersion);
  store_le<uint8_t>(out, static_cast<uint8_t>((r.retain ? 1 : 0) | (r.qos << 1)));
  store_le<int64_t>(out, r.received_ns);
  store_le<uint16_t>(out, static_cast<uint16_t>(r.client_id.size()));
  store_le<uint16_t>(out, static_cast<uint16_t>(r.topic.size()));
  store_le<uint32_t>(out, static_cast<uint32_t>(r.payload.size()));
  out.append(r.client_id);
  out.append(r.topic);
  out.append(r.payload);
  return ok();
}

Result<SpoolRecord> decode_spool_record(std::string_view bytes) {
  if (bytes.size() < kSpoolRecordHeaderSize) {
    return std::unexpected(bad("header cut short: " + std::to_string(bytes.size()) + " of " +
                               std::to_string(kSpoolRecordHeaderSize) + " bytes"));
  }
  if (uint8_t version = load_le<uint8_t>(bytes, 0); version != kSpoolRecordVersion) {
    return std::unexpected(bad("unknown version " + std::to_string(version)));
  }
  uint8_t flags = load_le<uint8_t>(bytes, 1);
  if (flags & ~0x07u) return std::unexpected(bad("unknown flag bits " + std::to_string(flags)));
  SpoolRecord r;
  r.retain = flags & 1;
  r.qos = static_cast<uint8_t>(flags >> 1);
  if (r.qos > 2) return std::unexpected(bad("qos field is 3"));
  r.received_ns = load_le<int64_t>(bytes, 2);
  size_t client_len = load_le<uint16_t>(bytes, 10);
  size_t topic_len = load_le<uint16_t>(bytes, 12);
  size_t payload_len = load_le<uint32_t>(bytes, 14);
  size_t want = kSpoolRecordHeaderSize + client_len + topic_len + payload_len;
  if (want != bytes.size()) {
    return std::unexpected(bad("lengths (client id " + std::to_string(client_len) + ", topic " +
                               std::to_string(topic_len) + ", payload " +
                               std::to_string(payload_len) + ") need " + std::to_string(want) +
                               " bytes, the record has " + std::to_string(bytes.size())));
  }
  if (topic_len == 0) return std::unexpected(bad("empty topic"));
  size_t at = kSpoolRecordHeaderSize;
  r.client_id = bytes.substr(at, client_len);
  r.topic = bytes.substr(at += client_len, topic_len);
  r.payload = bytes.substr(at + topic_len, payload_len);
  return r;
}

}  // namespace iotwins::dataplane
