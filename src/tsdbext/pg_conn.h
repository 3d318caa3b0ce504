// PgConnection: one libpq connection with the few calls the PostgreSQL store needs —
// statements with binary parameters and results, transactions, and errors that name the
// server (host:port) so an operator knows which database did not answer.
// Not thread-safe: the store serialises its use.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace iotwins::tsdbext {

// A statement parameter: bytes in libpq's binary (format 1) or text (format 0) form.
struct PgParam {
  std::string bytes;
  Oid type = 0;
  int format = 1;
};
PgParam pg_int8(int64_t v);
PgParam pg_bytes(std::string_view v, Oid type);  // bytea (17), text (25): binary form is the bytes
PgParam pg_text(std::string v, Oid type);        // text form, e.g. jsonb (3802)
PgParam pg_int8_array(std::span<const int64_t> v);
PgParam pg_float8_array(std::span<const double> v);  // bit-exact: NaN payloads, -0.0, +-Inf

using PgResultPtr = std::unique_ptr<PGresult, decltype(&PQclear)>;

// Binary result columns.
int64_t pg_get_int8(const PGresult* r, int row, int col);
double pg_get_float8(const PGresult* r, int row, int col);
std::string_view pg_get_bytes(const PGresult* r, int row, int col);

class PgConnection {
 public:
  // `url`: a libpq connection URI or key=value string.
  static Result<std::unique_ptr<PgConnection>> connect(const std::string& url);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs one statement (results in binary); reconnects first if the connection was lost.
  // Errors: unavailable (connection) naming host:port, io_error (the server refused it).
  Result<PgResultPtr> exec(std::string_view what, const std::string& sql, std::span<const PgParam> params = {});
  // "host:port" of the server, for messages.
  const std::string& server() const { return server_; }

 private:
  PgConnection(PGconn* conn, std::string server) : conn_(conn), server_(std::move(server)) {}
  Status ensure_connected();
  PGconn* conn_;
  std::string server_;
};

// Runs `body` between BEGIN and COMMIT; on any error the transaction is rolled back.
template <class F>
Status pg_transaction(PgConnection& c, F&& body) {
  IOT_TRY(c.exec("begin", "BEGIN"));
  Status st = body();
  if (!st) {
    (void)c.exec("rollback", "ROLLBACK");
    return st;
  }
  IOT_TRY(c.exec("commit", "COMMIT"));
  return ok();
}

}  // namespace iotwins::tsdbext
