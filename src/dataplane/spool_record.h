// SpoolRecord: one MQTT PUBLISH as the broker plugin (dataplane/broker) appends it to the spool
// Wal, and as the agent reads it back. Both sides use this codec.
//
// Encoding, version 1, little-endian, no padding:
//   version u8 (=1) | flags u8 (bit 0 retain, bits 1-2 qos) | received ts ns i64 |
//   client id length u16 | topic length u16 | payload length u32 |
//   client id | topic | payload
// Decoding is strict: a wrong version, qos 3, unknown flag bits, an empty topic, lengths that
// do not add up to the record exactly are errors naming the field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::dataplane {

inline constexpr uint8_t kSpoolRecordVersion = 1;
inline constexpr size_t kSpoolRecordHeaderSize = 1 + 1 + 8 + 2 + 2 + 4;
inline constexpr size_t kMaxSpoolClientId = 0xffff;
inline constexpr size_t kMaxSpoolTopic = 0xffff;  // MQTT's own limit

// Views into the decoded record (or the values to encode): no copies.
struct SpoolRecord {
  int64_t received_ns = 0;
  uint8_t qos = 0;
  bool retain = false;
  std::string_view client_id;
  std::string_view topic;
  std::string_view payload;
};

// The encoded size of a record, for limits before encoding.
size_t spool_record_size(const SpoolRecord& r);
// Appends the encoding to out; invalid_argument/too_large if a field does not fit.
Status encode_spool_record(const SpoolRecord& r, std::string& out);
// The record's views point into `bytes`, which must outlive them.
Result<SpoolRecord> decode_spool_record(std::string_view bytes);

}  // namespace iotwins::dataplane
