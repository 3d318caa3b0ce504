// The record payload inside a batch frame (see batch_frame.h for the layout). Internal to the
// codec.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "dataplane/codec/batch_frame.h"

namespace iotwins::dataplane::detail {

// Appends the payload of the records to out; validates names, values and limits.
Status encode_payload(const std::vector<Record>& records, const BatchLimits& limits,
                      std::string& out);

// Decodes exactly `count` records that must use every byte of `payload`.
Result<std::vector<Record>> decode_payload(std::string_view payload, uint32_t count,
                                           const BatchLimits& limits);

}  // namespace iotwins::dataplane::detail
