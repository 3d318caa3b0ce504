// iotwins objects put FILE: the file goes to the local agent chunk by chunk; each chunk is
// durable in the agent's objects stream when the agent answers, and the agent forwards it up
// the continuum like any data. The agent reports the ranges it holds, so a re-run (after a
// crash of the agent, the CLI or the link) sends only what is missing.
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <thread>

#include "cli/client.h"
#include "cli/objects.h"
#include "cli/table.h"
#include "core/fs.h"
#include "dataplane/objects/chunk.h"
#include "dataplane/objects/manifest.h"

namespace iotwins::cli {
namespace {

struct LocalFile {
  std::string path;
  uint64_t size = 0;
  std::string sha256;
};

Result<LocalFile> inspect(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::not_found, "cannot open " + path);
  LocalFile f{path, 0, ""};
  dataplane::Sha256 h;
  std::string buf(1u << 20, '\0');
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto n = static_cast<size_t>(in.gcount());
    h.update(std::string_view(buf.data(), n));
    f.size += n;
  }
  if (in.bad()) return make_error(Errc::io_error, "read " + path + " failed");
  f.sha256 = h.hex();
  return f;
}

Result<std::string> agent_url(const Config& c) {
  if (!c.str("agent").empty()) return c.str("agent");
  std::string dir = c.str("data-dir").empty() ? "./iotwins-data/agent" : c.str("data-dir");
  std::string file = join_path(dir, "agent.url");
  auto text = PosixFileSystem::instance().read_file(file);
  if (!text) {
    return make_error(Errc::unavailable, "no agent URL in " + file +
                                             " (is the agent running with --data-dir " + dir +
                                             "? or give --agent URL)");
  }
  std::string url = *text;
  while (!url.empty() && (url.back() == '\n' || url.back() == '\r' || url.back() == ' ')) url.pop_back();
  return url;
}

// The ranges the agent already holds for id (empty if it never saw it); conflict if the id is
// taken by another file.
Result<dataplane::RangeSet> held(api::HttpClient& agent, const std::string& id, const LocalFile& f) {
  IOT_ASSIGN(auto res, agent.request(api::Method::GET, "/api/v1/objects/" + id));
  dataplane::RangeSet have;
  if (res.status == 404) return have;
  if (!res.ok()) return std::unexpected(api::error_from_response(res, "GET /api/v1/objects/" + id));
  try {
    auto j = nlohmann::json::parse(res.body);
    if (j.at("size").get<uint64_t>() != f.size || j.at("sha256").get<std::string>() != f.sha256) {
      return make_error(Errc::conflict, "the agent already holds an object '" + id +
                                            "' with other contents; choose another --id");
    }
    for (const auto& r : j.at("received")) have.add(r.at(0).get<uint64_t>(), r.at(1).get<uint64_t>());
  } catch (const nlohmann::json::exception& e) {
    return make_error(Errc::unavailable, std::string("the agent answered badly: ") + e.what());
  }
  return have;
}

// One chunk; waits while the agent's objects stream is full (503), up to `patience`.
Status send_chunk(api::HttpClient& agent, const std::string& id, const LocalFile& f, const std::string& name,
                  uint64_t offset, const std::string& bytes, std::chrono::seconds patience) {
  api::Headers h;
  h["X-Object-Size"] = std::to_string(f.size);
  h["X-Object-Sha256"] = f.sha256;
  h["X-Object-Name"] = api::percent_encode(name);
  std::string path = "/api/v1/objects/" + id + "/chunks/" + std::to_string(offset);
  auto deadline = std::chrono::steady_clock::now() + patience;
  auto backoff = std::chrono::milliseconds(200);
  for (;;) {
    IOT_ASSIGN(auto res, agent.request(api::Method::PUT, path, bytes, "application/octet-stream", h));
    if (res.ok()) return ok();
    if (res.status != 503 || std::chrono::steady_clock::now() + backoff > deadline) {
      return std::unexpected(api::error_from_response(res, "PUT " + path));
    }
    // The agent's buffer is full until its forwarder catches up: wait, then try again.
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
  }
}

}  // namespace

int objects_put(const Config& c, const std::string& path) {
  auto f = inspect(path);
  if (!f) return report("objects put", f.error());
  std::string name = std::string(path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1));
  std::string id = c.str("id").empty() ? name : c.str("id");
  if (auto st = dataplane::validate_object_id(id); !st) {
    std::fprintf(stderr, "iotwins objects put: %s (set a valid one with --id)\n", st.error().message().c_str());
    return 2;
  }
  if (auto st = dataplane::validate_object_name(name); !st) return report("objects put", st.error());
  auto url = agent_url(c);
  if (!url) return report("objects put", url.error());
  api::ClientOptions o;
  o.ca_file = c.str("ca-file");
  o.request_timeout = std::chrono::seconds(60);
  auto agent = api::HttpClient::create(*url, o);
  if (!agent) return report("objects put", agent.error());
  auto have = held(**agent, id, *f);
  if (!have) {
    return report("objects put", Error(have.error()).context("cannot ask the agent at " + *url));
  }
  uint64_t chunk = static_cast<uint64_t>(c.size("chunk-size"));
  bool tty = ::isatty(STDERR_FILENO) != 0;
  std::ifstream in(path, std::ios::binary);
  uint64_t sent = 0, skipped = 0, chunks = 0;
  auto patience = std::chrono::seconds(c.integer("wait"));
  for (uint64_t off = 0; off < f->size || (f->size == 0 && chunks == 0); off += chunk) {
    uint64_t n = std::min(chunk, f->size - off);
    ++chunks;
    if (f->size > 0 && have->covers(off, off + n)) {
      skipped += n;
      continue;
    }
    std::string bytes(n, '\0');
    in.seekg(static_cast<std::streamoff>(off));
    in.read(bytes.data(), static_cast<std::streamsize>(n));
    if (static_cast<uint64_t>(in.gcount()) != n) {
      return report("objects put", Error(Errc::io_error, path + " changed while it was being sent"));
    }
    if (auto st = send_chunk(**agent, id, *f, name, off, bytes, patience); !st) {
      return report("objects put", Error(st.error()).context("after " + std::to_string(sent + skipped) +
                                                              " bytes; run the same command again to resume"));
    }
    sent += n;
    if (tty) {
      std::fprintf(stderr, "\r%s / %s (%.0f%%)", human_bytes(double(sent + skipped)).c_str(),
                   human_bytes(double(f->size)).c_str(), f->size ? 100.0 * double(sent + skipped) / double(f->size) : 100.0);
    }
    if (f->size == 0) break;
  }
  if (tty) std::fputc('\n', stderr);
  std::printf("object %s: %llu bytes (sha256 %s) taken in by the agent at %s: %llu sent now, %llu were "
              "already there; it moves up to the server through the data plane\n",
              id.c_str(), static_cast<unsigned long long>(f->size), f->sha256.c_str(), url->c_str(),
              static_cast<unsigned long long>(sent), static_cast<unsigned long long>(skipped));
  return 0;
}

}  // namespace iotwins::cli
