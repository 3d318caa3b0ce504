// Persisted consumer offsets: the file "consumers" in the WAL directory, replaced atomically
// (temp file, fsync, rename, fsync dir) on every change. Text, one consumer a line, closed by
// a CRC line so a damaged file is detected rather than half-read:
//   iotwins-wal-consumers 1
//   <name> <highest acknowledged seq>
//   crc <crc32c of the lines above, 8 hex digits>
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "core/result.h"

namespace iotwins::wal {

using ConsumerOffsets = std::map<std::string, uint64_t, std::less<>>;

inline constexpr std::string_view kConsumersFile = "consumers";
inline constexpr size_t kMaxConsumerName = 64;

// Names are 1..64 characters of [A-Za-z0-9._-].
Status validate_consumer_name(std::string_view name);

std::string encode_consumers(const ConsumerOffsets& offsets);
// `where` names the file in errors.
Result<ConsumerOffsets> decode_consumers(std::string_view text, std::string_view where);

}  // namespace iotwins::wal
