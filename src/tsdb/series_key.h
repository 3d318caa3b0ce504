// SeriesKey: what names a series (twin, property, labels), and the rules for its names.
//
// Names are stored length-prefixed, never escaped or split on separators, so any UTF-8 text
// is fine: spaces, '/', '=', ',', quotes, '*', non-ASCII letters. Rejected (invalid_argument,
// naming the field): an empty twin or property or label name, any name or label value longer
// than kMaxNameBytes, control characters (bytes < 0x20 and 0x7F, NUL included), more than
// kMaxLabels labels, or a label name given twice. Label order does not matter: keys are
// compared with labels sorted by name.
#pragma once

#include "core/glob.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.h"

namespace iotwins::tsdb {

inline constexpr size_t kMaxNameBytes = 256;
inline constexpr size_t kMaxLabels = 32;

using Labels = std::vector<std::pair<std::string, std::string>>;

struct SeriesKey {
  std::string twin;
  std::string property;
  Labels labels;  // sorted by name after normalize()
  friend bool operator==(const SeriesKey&, const SeriesKey&) = default;
};

// Checks the rules above and sorts the labels.
Status normalize(SeriesKey& key);

// "twin/property{a=b,c=d}" for messages only (not parseable; names may contain anything).
std::string to_display(const SeriesKey& key);

// Stable binary form (length-prefixed fields), the identity of a series on disk.
std::string encode_key(const SeriesKey& key);
Result<SeriesKey> decode_key(std::string_view bytes);

// Glob match: '*' matches any run of bytes, '?' any one byte; everything else literally.
using ::iotwins::glob_match;  // core/glob.h

struct SeriesKeyHash {
  size_t operator()(const SeriesKey& k) const;
};

}  // namespace iotwins::tsdb
