// CRC-32C (Castagnoli), the checksum of every chunk, block index and log record in tsdb.
#pragma once

#include <cstdint>
#include <string_view>

namespace iotwins::tsdb {

// Extends crc with data; start with crc = 0.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

}  // namespace iotwins::tsdb
