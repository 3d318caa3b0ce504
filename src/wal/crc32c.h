// CRC32C (Castagnoli), the checksum of WAL frames and data-plane batch frames. Uses the SSE4.2
// crc32 instruction when the CPU has it, a table otherwise; both give identical results.
#pragma once

#include <cstdint>
#include <string_view>

namespace iotwins::wal {

// Extends a running CRC: crc32c(b, crc32c(a)) == crc32c(a + b). Start from 0.
uint32_t crc32c(std::string_view data, uint32_t crc = 0);

// The table implementation alone, so tests can check it against the hardware one.
uint32_t crc32c_portable(std::string_view data, uint32_t crc = 0);

}  // namespace iotwins::wal
