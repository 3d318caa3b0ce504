#include "tsdbext/pg_conn.h"

#include <bit>
#include <cstring>

namespace iotwins::tsdbext {
namespace {

constexpr Oid kInt8 = 20, kFloat8 = 701, kInt8Array = 1016, kFloat8Array = 1022;

void put_be32(std::string& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
}
void put_be64(std::string& out, uint64_t v) {
  for (int s = 56; s >= 0; s -= 8) out.push_back(static_cast<char>(v >> s));
}
uint64_t get_be64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

// PostgreSQL's binary array form (array_recv): dimensions, flags, element type, then each
// element as length + bytes.
template <class T>
PgParam array_of(std::span<const T> v, Oid element, Oid array) {
  PgParam p;
  p.type = array;
  p.bytes.reserve(20 + v.size() * 12);
  put_be32(p.bytes, 1);  // one dimension
  put_be32(p.bytes, 0);  // no NULLs
  put_be32(p.bytes, element);
  put_be32(p.bytes, static_cast<uint32_t>(v.size()));
  put_be32(p.bytes, 1);  // lower bound
  for (T x : v) {
    put_be32(p.bytes, 8);
    put_be64(p.bytes, std::bit_cast<uint64_t>(x));
  }
  return p;
}

// host:port from a connection string, for messages (libpq's defaults where it names none).
std::string server_of(const std::string& url) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.c_str(), &err);
  if (err) PQfreemem(err);
  std::string host = "localhost", port = "5432";
  for (auto* o = opts; o && o->keyword; ++o) {
    if (!o->val || !*o->val) continue;
    if (std::strcmp(o->keyword, "host") == 0) host = o->val;
    if (std::strcmp(o->keyword, "port") == 0) port = o->val;
  }
  if (opts) PQconninfoFree(opts);
  return host + ":" + port;
}

std::string trimmed(const char* msg) {
  std::string s = msg ? msg : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

PgParam pg_int8(int64_t v) {
  PgParam p;
  p.type = kInt8;
  put_be64(p.bytes, static_cast<uint64_t>(v));
  return p;
}
PgParam pg_bytes(std::string_view v, Oid type) { return {std::string(v), type, 1}; }
PgParam pg_text(std::string v, Oid type) { return {std::move(v), type, 0}; }
PgParam pg_int8_array(std::span<const int64_t> v) { return array_of(v, kInt8, kInt8Array); }
PgParam pg_float8_array(std::span<const double> v) { return array_of(v, kFloat8, kFloat8Array); }

int64_t pg_get_int8(const PGresult* r, int row, int col) {
  return static_cast<int64_t>(get_be64(PQgetvalue(r, row, col)));
}
double pg_get_float8(const PGresult* r, int row, int col) {
  return std::bit_cast<double>(get_be64(PQgetvalue(r, row, col)));
}
std::string_view pg_get_bytes(const PGresult* r, int row, int col) {
  return {PQgetvalue(r, row, col), static_cast<size_t>(PQgetlength(r, row, col))};
}

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const std::string& url) {
  std::string server = server_of(url);
  PGconn* conn = PQconnectdb(url.c_str());
  if (!conn) return make_error(Errc::resource_exhausted, "postgresql " + server + ": out of memory for a connection");
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string msg = trimmed(PQerrorMessage(conn));
    PQfinish(conn);
    return make_error(Errc::unavailable, "postgresql " + server + ": cannot connect: " + msg);
  }
  // Notices (e.g. "relation already exists, skipping") would go to stderr otherwise.
  PQsetNoticeProcessor(conn, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(conn, std::move(server)));
}

PgConnection::~PgConnection() { PQfinish(conn_); }

Status PgConnection::ensure_connected() {
  if (PQstatus(conn_) == CONNECTION_OK) return ok();
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) {
    return make_error(Errc::unavailable, "postgresql " + server_ + ": cannot connect: " + trimmed(PQerrorMessage(conn_)));
  }
  return ok();
}

Result<PgResultPtr> PgConnection::exec(std::string_view what, const std::string& sql, std::span<const PgParam> params) {
  IOT_TRY(ensure_connected());
  std::vector<Oid> types;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const auto& p : params) {
    types.push_back(p.type);
    values.push_back(p.format == 0 ? p.bytes.c_str() : p.bytes.data());
    lengths.push_back(static_cast<int>(p.bytes.size()));
    formats.push_back(p.format);
  }
  PgResultPtr r(PQexecParams(conn_, sql.c_str(), static_cast<int>(params.size()), types.data(), values.data(),
                             lengths.data(), formats.data(), 1),
                &PQclear);
  auto st = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) return r;
  std::string msg = trimmed(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn_));
  if (PQstatus(conn_) != CONNECTION_OK) {
    return make_error(Errc::unavailable, "postgresql " + server_ + ": " + std::string(what) + ": connection lost: " + msg);
  }
  return make_error(Errc::io_error, "postgresql " + server_ + ": " + std::string(what) + ": " + msg);
}

}  // namespace iotwins::tsdbext
