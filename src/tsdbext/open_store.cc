#include "tsdbext/open_store.h"

#include "api/http_client.h"

namespace iotwins::tsdbext {
namespace {

constexpr std::string_view kForms =
    "accepted: 'embedded' (or empty), 'postgresql://user@host:port/db' (or postgres://), 'influxdb://host:port/db'";

std::unexpected<Error> bad_url(std::string_view url, std::string_view why) {
  return make_error(Errc::invalid_argument,
                    "time-series store URL '" + std::string(url) + "': " + std::string(why) + "; " + std::string(kForms));
}

}  // namespace

Result<std::unique_ptr<tsdb::TimeSeriesStore>> open_store(std::string_view url, OpenStoreOptions options) {
  if (url.empty() || url == "embedded") {
    FileSystem& fs = options.fs ? *options.fs : PosixFileSystem::instance();
    IOT_ASSIGN(auto store, tsdb::EmbeddedStore::open(fs, std::move(options.embedded)));
    return std::unique_ptr<tsdb::TimeSeriesStore>(std::move(store));
  }
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    std::string_view rest = url.substr(url.find("://") + 3);
    if (rest.empty() || rest.front() == '/' || rest.front() == '?') return bad_url(url, "no host");
    IOT_ASSIGN(auto store, PostgresStore::open(std::string(url), options.postgres));
    return std::unique_ptr<tsdb::TimeSeriesStore>(std::move(store));
  }
  if (url.starts_with("influxdb://")) {
    std::string_view rest = url.substr(11);
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos || slash + 1 == rest.size()) return bad_url(url, "no database name after the host");
    bool decoded = true;
    std::string db = api::percent_decode(rest.substr(slash + 1), false, &decoded);
    if (!decoded) return bad_url(url, "malformed percent-escape in the database name");
    std::string base = "http://" + std::string(rest.substr(0, slash));
    auto parsed = api::parse_url(base);
    if (!parsed || parsed->host.empty() || rest.substr(0, slash).find(':') == std::string_view::npos) {
      return bad_url(url, "expected host:port before the database name");
    }
    IOT_ASSIGN(auto store, InfluxStore::open(base, db, options.influx));
    return std::unique_ptr<tsdb::TimeSeriesStore>(std::move(store));
  }
  return bad_url(url, "unknown scheme");
}

}  // namespace iotwins::tsdbext
