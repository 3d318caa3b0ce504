#include "dataplane/codec/telemetry.h"

#include <simdjson.h>

#include <cmath>
#include <unordered_set>

namespace iotwins::dataplane {
namespace {

constexpr std::string_view kTopicPrefix = "iotwins/";
constexpr std::string_view kTopicSuffix = "/telemetry";

// A name as it may appear in a message: control bytes escaped, long names shortened.
std::string printable(std::string_view s, size_t max = 80) {
  std::string out;
  for (size_t i = 0; i < s.size() && i < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > max) out += "...";
  return out;
}

std::string_view type_name(simdjson::dom::element_type t) {
  using T = simdjson::dom::element_type;
  switch (t) {
    case T::ARRAY: return "an array";
    case T::OBJECT: return "an object";
    case T::INT64:
    case T::UINT64:
    case T::DOUBLE: return "a number";
    case T::STRING: return "a string";
    case T::BOOL: return "a boolean";
    case T::NULL_VALUE: return "null";
  }
  return "unknown";
}

// Walks one message, collecting samples and rejections.
class Flattener {
 public:
  Flattener(const TelemetryLimits& limits, TelemetryMessage& out) : limits_(limits), out_(out) {}

  Status walk(simdjson::dom::object object, const std::string& prefix, size_t depth) {
    for (auto field : object) {
      std::string_view key = field.key;
      if (depth == 1 && key == "ts") continue;  // the message timestamp, handled apart
      std::string name = prefix.empty() ? std::string(key) : prefix + "." + std::string(key);
      simdjson::dom::element value = field.value;
      if (value.type() == simdjson::dom::element_type::OBJECT) {
        if (depth + 1 > limits_.max_depth) {
          IOT_TRY(leaf());
          reject(name, "nested deeper than " + std::to_string(limits_.max_depth) + " levels");
        } else {
          IOT_TRY(walk(value.get_object().value_unsafe(), name, depth + 1));
        }
        continue;
      }
      IOT_TRY(leaf());
      add(name, value);
    }
    return ok();
  }

 private:
  Status leaf() {
    if (++fields_ > limits_.max_fields) {
      return make_error(Errc::too_large, "telemetry has more than " +
                                             std::to_string(limits_.max_fields) + " fields");
    }
    return ok();
  }

  void reject(const std::string& name, std::string reason) {
    out_.rejected.push_back(FieldRejection{printable(name), std::move(reason)});
  }

  void add(const std::string& name, simdjson::dom::element value) {
    using T = simdjson::dom::element_type;
    double v = 0;
    switch (value.type()) {
      case T::BOOL: v = value.get_bool().value_unsafe() ? 1 : 0; break;
      case T::INT64: v = static_cast<double>(value.get_int64().value_unsafe()); break;
      case T::UINT64: v = static_cast<double>(value.get_uint64().value_unsafe()); break;
      case T::DOUBLE: v = value.get_double().value_unsafe(); break;
      case T::STRING:
        return reject(name, "a string is not a sample value; send a number or boolean");
      default:
        return reject(name, std::string(type_name(value.type())) +
                                " is not a sample value; send a number or boolean");
    }
    if (!std::isfinite(v)) return reject(name, "the number is not finite");
    if (auto valid = validate_property_name(name, limits_.max_property_length); !valid) {
      return reject(name, valid.error().message());
    }
    if (!seen_.insert(name).second) return reject(name, "duplicate property");
    out_.samples.push_back(Sample{out_.twin, name, out_.ts_ns, v});
  }

  const TelemetryLimits& limits_;
  TelemetryMessage& out_;
  size_t fields_ = 0;
  std::unordered_set<std::string> seen_;
};

}  // namespace

Result<std::string> twin_from_telemetry_topic(std::string_view topic) {
  if (!topic.starts_with(kTopicPrefix) || !topic.ends_with(kTopicSuffix) ||
      topic.size() <= kTopicPrefix.size() + kTopicSuffix.size()) {
    return make_error(Errc::invalid_argument, "topic \"" + printable(topic) +
                                                  "\" is not iotwins/<twin>/telemetry");
  }
  std::string_view twin = topic.substr(kTopicPrefix.size(), topic.size() - kTopicPrefix.size() -
                                                                kTopicSuffix.size());
  if (auto valid = validate_twin_id(twin); !valid) {
    return std::unexpected(std::move(valid.error()).context("topic \"" + printable(topic) + "\""));
  }
  return std::string(twin);
}

TelemetryDecoder::TelemetryDecoder(const Clock& clock, TelemetryLimits limits)
    : clock_(&clock), limits_(limits), parser_(std::make_unique<simdjson::dom::parser>()) {}
TelemetryDecoder::~TelemetryDecoder() = default;
TelemetryDecoder::TelemetryDecoder(TelemetryDecoder&&) noexcept = default;
TelemetryDecoder& TelemetryDecoder::operator=(TelemetryDecoder&&) noexcept = default;

Result<TelemetryMessage> TelemetryDecoder::decode(std::string_view topic,
                                                  std::string_view payload) {
  IOT_ASSIGN(std::string twin, twin_from_telemetry_topic(topic));
  return decode_for_twin(twin, payload);
}

Result<TelemetryMessage> TelemetryDecoder::decode_for_twin(std::string_view twin,
                                                           std::string_view payload) {
  IOT_TRY(validate_twin_id(twin));
  std::string where = "telemetry of twin " + std::string(twin);
  auto fail = [&](Errc code, std::string why) { return make_error(code, where + ": " + why); };
  if (payload.size() > limits_.max_payload_bytes) {
    return fail(Errc::too_large, "payload of " + std::to_string(payload.size()) +
                                     " bytes exceeds the limit of " +
                                     std::to_string(limits_.max_payload_bytes));
  }
  simdjson::padded_string padded(payload);
  simdjson::dom::element doc;
  if (auto err = parser_->parse(padded).get(doc); err) {
    return fail(Errc::invalid_argument,
                std::string("payload is not valid JSON: ") + simdjson::error_message(err));
  }
  simdjson::dom::object object;
  if (doc.get_object().get(object)) {
    return fail(Errc::invalid_argument, "payload must be a JSON object, got " +
                                            std::string(type_name(doc.type())));
  }

  TelemetryMessage out;
  out.twin = std::string(twin);
  out.ts_ns = clock_->now_ns();
  simdjson::dom::element ts;
  if (!object.at_key("ts").get(ts)) {
    using T = simdjson::dom::element_type;
    if (ts.type() == T::STRING) {
      auto parsed = parse_rfc3339(ts.get_string().value_unsafe());
      if (!parsed) return std::unexpected(std::move(parsed.error()).context(where + ": \"ts\""));
      out.ts_ns = *parsed;
    } else if (ts.type() == T::INT64 || ts.type() == T::UINT64 || ts.type() == T::DOUBLE) {
      double ms = ts.get_double().value_unsafe();
      // Beyond ±9.2e12 ms the nanoseconds overflow int64.
      if (!(std::fabs(ms) < 9.2e12)) {
        return fail(Errc::invalid_argument,
                    "\"ts\" " + std::to_string(ms) + " ms is outside the representable range");
      }
      // Whole and fractional milliseconds apart: ms * 1e6 as a double would lose the
      // sub-millisecond part (a double holds 53 bits; ns since the epoch need 61).
      double whole = std::trunc(ms);
      out.ts_ns = static_cast<int64_t>(whole) * 1'000'000 +
                  static_cast<int64_t>(std::llround((ms - whole) * 1e6));
    } else {
      return fail(Errc::invalid_argument,
                  "\"ts\" must be milliseconds since the epoch or an RFC 3339 string, got " +
                      std::string(type_name(ts.type())));
    }
    int64_t now = clock_->now_ns();
    if (out.ts_ns < limits_.min_ts_ns) {
      return fail(Errc::invalid_argument, "\"ts\" " + std::to_string(out.ts_ns) +
                                              " ns is before the earliest accepted time " +
                                              std::to_string(limits_.min_ts_ns) + " ns");
    }
    if (out.ts_ns > now + limits_.max_future.count()) {
      return fail(Errc::invalid_argument,
                  "\"ts\" " + std::to_string(out.ts_ns) + " ns is more than " +
                      std::to_string(limits_.max_future.count() / 1'000'000'000) +
                      " s ahead of this node's clock (" + std::to_string(now) + " ns)");
    }
  }
  Flattener flattener(limits_, out);
  if (auto walked = flattener.walk(object, "", 1); !walked) {
    return std::unexpected(std::move(walked.error()).context(where));
  }
  return out;
}

}  // namespace iotwins::dataplane
