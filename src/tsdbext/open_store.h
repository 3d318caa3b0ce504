// open_store: the time-series store a URL names — what the server's --tsdb option will take.
//   "" or "embedded"                         the built-in engine in options.embedded.dir
//   postgresql://user@host:port/db (also postgres://…, with libpq's ?key=value options)
//   influxdb://host:port/db
// Anything else is invalid_argument naming the URL and these forms.
#pragma once

#include <memory>
#include <string_view>

#include "core/fs.h"
#include "core/result.h"
#include "tsdb/engine.h"
#include "tsdb/store.h"
#include "tsdbext/influx_store.h"
#include "tsdbext/postgres_store.h"

namespace iotwins::tsdbext {

struct OpenStoreOptions {
  tsdb::StoreOptions embedded;  // used for the embedded engine only
  FileSystem* fs = nullptr;     // default: the POSIX file system
  PostgresOptions postgres;
  InfluxOptions influx;
};

Result<std::unique_ptr<tsdb::TimeSeriesStore>> open_store(std::string_view url, OpenStoreOptions options = {});

}  // namespace iotwins::tsdbext
