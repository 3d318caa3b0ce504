// Real PostgreSQL and InfluxDB servers for the tests: started once per test binary on free
// loopback ports in temp dirs (ExternalServers, a gtest Environment), polled until ready with
// a deadline, stopped at the end. A missing server binary is a test failure naming the
// package scripts/setup installs, never a skip.
#pragma once

#include <string>
#include <vector>

#include "core/process.h"
#include "core/result.h"
#include "testing/net.h"

namespace iotwins::tsdbext::testing {

using ::iotwins::testing::free_port;

class PostgresServer {
 public:
  Status start(const std::string& dir);
  void stop();
  int port() const { return port_; }
  // postgresql://iotwins@127.0.0.1:PORT/<db>
  std::string url(const std::string& db) const;
  // A new, empty database.
  Status create_database(const std::string& db);
  // A new, empty schema in the database `postgres`, and a URL whose search_path is it (much
  // faster than a database per test).
  Status create_schema(const std::string& schema);
  std::string url_in_schema(const std::string& schema) const;
  // Ends every other client connection, as a server restart or a network cut would.
  Status terminate_connections();

 private:
  Status admin(const std::string& sql);
  std::vector<std::string> pg_command(std::vector<std::string> argv) const;
  std::string dir_, bin_;
  std::vector<std::string> as_user_;  // runuser prefix when we are root
  int port_ = 0;
  bool running_ = false;
};

class InfluxServer {
 public:
  Status start(const std::string& dir);
  void stop();
  int port() const { return port_; }
  std::string url(const std::string& db) const;  // influxdb://127.0.0.1:PORT/<db>

 private:
  Process proc_;
  std::string dir_;
  int port_ = 0;
};

// The servers of this test binary, started on first use.
PostgresServer& postgres();
InfluxServer& influx();

}  // namespace iotwins::tsdbext::testing
