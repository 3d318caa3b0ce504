#include "core/log.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace iotwins::log {
namespace {

struct State {
  std::mutex mu;
  spdlog::sink_ptr sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  spdlog::level::level_enum level = spdlog::level::info;
  Format format = Format::text;
};

State& state() {
  static State* s = new State();  // never destroyed: loggers may log during static teardown
  return *s;
}

// {"ts":"…","level":"info","module":"api","msg":"…"} one object per line.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(msg.time.time_since_epoch());
    std::string line = "{\"ts_ms\":" + std::to_string(ms.count()) + ",\"level\":\"";
    auto lvl = spdlog::level::to_string_view(msg.level);
    line.append(lvl.data(), lvl.size());
    line += "\",\"module\":\"";
    line += json_escape(std::string_view(msg.logger_name.data(), msg.logger_name.size()));
    line += "\",\"msg\":\"";
    line += json_escape(std::string_view(msg.payload.data(), msg.payload.size()));
    line += "\"}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

void apply(spdlog::logger& logger, const State& s) {
  logger.set_level(s.level);
  if (s.format == Format::json) {
    logger.set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger.set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  }
}

}  // namespace

Status init(std::string_view level, Format format) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") {
    return make_error(Errc::invalid_argument,
                      "unknown log level '" + std::string(level) +
                          "' (allowed: trace, debug, info, warn, error, off)");
  }
  State& s = state();
  std::lock_guard lock(s.mu);
  s.level = lvl;
  s.format = format;
  spdlog::apply_all([&](const std::shared_ptr<spdlog::logger>& l) { apply(*l, s); });
  return ok();
}

spdlog::logger& get(std::string_view module) {
  State& s = state();
  std::lock_guard lock(s.mu);
  std::string name(module);
  if (auto existing = spdlog::get(name)) return *existing;
  auto logger = std::make_shared<spdlog::logger>(name, s.sink);
  apply(*logger, s);
  spdlog::register_logger(logger);
  return *logger;  // the registry keeps it alive
}

std::string json_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 8);
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static const char* hex = "0123456789abcdef";
          out += "\\u00";
          out += hex[c >> 4];
          out += hex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace iotwins::log
