// iotwins objects put FILE | ls | show ID | get ID: files moved up the continuum
// (docs/dataplane.md, "Objects"). put talks to the local agent, the others to the server.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/objects.h"
#include "cli/output_file.h"
#include "cli/table.h"
#include "core/fs.h"
#include "dataplane/objects/chunk.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;

constexpr uint64_t kRangeBytes = 8u << 20;

int list(api::HttpClient& client, const Config& c) {
  json all = json::array();
  std::string after;
  for (;;) {
    std::string path = "/api/v1/objects?limit=1000";
    if (!after.empty()) path += "&after=" + api::percent_encode(after);
    auto r = call(client, api::Method::GET, path);
    if (!r) return report("objects ls", r.error());
    for (auto& o : (*r)["items"]) all.push_back(std::move(o));
    if (!r->contains("next")) break;
    after = (*r)["next"].get<std::string>();
  }
  if (c.boolean("json")) {
    std::printf("%s\n", all.dump(2).c_str());
    return 0;
  }
  Table t({"ID", "NAME", "SIZE", "STATE", "RECEIVED", "SOURCE", "UPDATED"});
  for (const auto& o : all) {
    auto size = o.value("size", uint64_t{0});
    auto got = o.value("received_bytes", uint64_t{0});
    char pct[16];
    std::snprintf(pct, sizeof pct, "%.0f%%", size ? 100.0 * double(got) / double(size) : 100.0);
    std::string state = o.value("state", "");
    if (state == "failed") state += ": " + o.value("reason", "");
    t.add({o.value("id", ""), o.value("name", ""), human_bytes(double(size)), state, pct,
           o.value("source", "").empty() ? "-" : o.value("source", ""), o.value("updated", "")});
  }
  std::fputs(t.render().c_str(), stdout);
  if (all.empty()) std::printf("(no objects yet: send one with 'iotwins objects put FILE' on a node)\n");
  return 0;
}

int show(api::HttpClient& client, const std::string& id) {
  auto r = call(client, api::Method::GET, "/api/v1/objects/" + api::percent_encode(id));
  if (!r) return report("objects show", r.error());
  std::printf("%s\n", r->dump(2).c_str());
  return 0;
}

// Fetches in Range requests, verifies the sha256, then renames the temp file into place.
int get(api::HttpClient& client, const Config& c, const std::string& id) {
  auto meta = call(client, api::Method::GET, "/api/v1/objects/" + api::percent_encode(id));
  if (!meta) return report("objects get", meta.error());
  std::string state = meta->value("state", "");
  if (state != "complete") {
    std::string why = state == "failed" ? "failed: " + meta->value("reason", "")
                                        : "still arriving (" + std::to_string(meta->value("received_bytes", 0ull)) +
                                              " of " + std::to_string(meta->value("size", 0ull)) + " bytes)";
    return report("objects get", Error(Errc::conflict, "object " + id + " is " + why));
  }
  uint64_t size = meta->value("size", 0ull);
  std::string sha = meta->value("sha256", "");
  std::string out = c.str("output");
  if (out.empty()) {
    // The server's name for it, in the current directory; never a path the server chose.
    out = meta->value("name", id);
    if (!dataplane::validate_object_name(out)) out = id;
  }
  if (out != "-" && c.str("output").empty() && PosixFileSystem::instance().exists(out).value_or(false)) {
    return report("objects get", Error(Errc::already_exists, out + " exists; choose where to write with -o FILE"));
  }
  auto dst = OutputFile::open(out);
  if (!dst) return report("objects get", dst.error());
  dataplane::Sha256 h;
  auto fail = [&](const Error& e) { return report("objects get", e); };  // dst removes its part file
  for (uint64_t off = 0; off < size; off += kRangeBytes) {
    uint64_t last = std::min(size, off + kRangeBytes) - 1;
    api::Headers hdr{{"Range", "bytes=" + std::to_string(off) + "-" + std::to_string(last)}};
    std::string path = "/api/v1/objects/" + api::percent_encode(id) + "/content";
    auto res = client.request(api::Method::GET, path, "", "application/json", hdr);
    if (!res) return fail(Error(res.error()).context("cannot reach the server at " + client.base_url()));
    if (!res->ok()) return fail(api::error_from_response(*res, "GET " + path));
    if (res->body.size() != last + 1 - off) {
      return fail(Error(Errc::unavailable, "the server sent " + std::to_string(res->body.size()) +
                                               " bytes for the range at " + std::to_string(off)));
    }
    h.update(res->body);
    if (auto st = dst->write(res->body); !st) return fail(st.error());
  }
  std::string got = h.hex();
  if (got != sha) return fail(Error(Errc::corruption, "sha256 mismatch: expected " + sha + ", received " + got));
  if (auto st = dst->commit(); !st) return fail(st.error());
  if (dst->is_stdout()) return 0;
  std::fprintf(stderr, "%s: %llu bytes, sha256 %s verified\n", out.c_str(), static_cast<unsigned long long>(size),
               sha.c_str());
  return 0;
}

}  // namespace

int run_objects(std::span<const std::string> args) {
  ConfigSpec spec("objects",
                  "Files (vibration captures, images, simulation inputs) moved up the continuum through the\n"
                  "buffered, resumable, checksummed data plane:\n"
                  "  iotwins objects put FILE [--id ID] [--agent URL | --data-dir DIR]\n"
                  "        send FILE to this node's agent in chunks; each chunk is durable on the agent when\n"
                  "        acknowledged, and the agent forwards it to the server whenever the link allows.\n"
                  "        Run it again after any failure: only the missing chunks are sent\n"
                  "  iotwins objects ls                 the server's objects: size, state, progress, source node\n"
                  "  iotwins objects show ID            one object's metadata (JSON)\n"
                  "  iotwins objects get ID [-o FILE]   download a complete object and verify its sha256\n"
                  "        (default FILE: the object's name in the current directory; -o - for stdout)",
                  "put FILE | ls | show ID | get ID [flags]");
  spec.add_common();
  // Not add_client_flags: here -o names the file `get` writes (as with curl), so ls takes --json.
  spec.add({.name = "server", .default_value = "http://127.0.0.1:8470", .help = "URL of the iotwins server"});
  spec.add({.name = "ca-file", .help = "CA certificate to verify an https:// server or agent"});
  add_token_flag(spec);
  spec.add({.name = "json", .type = ConfigType::boolean, .default_value = "false", .help = "ls: print JSON"});
  spec.add({.name = "id", .help = "put: the object's id, [A-Za-z0-9._-] up to 128 (default: the file's name)"});
  spec.add({.name = "agent", .help = "put: the agent's ingest URL (default: read from <data-dir>/agent.url)"});
  spec.add({.name = "data-dir", .default_value = "./iotwins-data/agent",
            .help = "put: the local agent's data directory, where it wrote agent.url"});
  spec.add({.name = "chunk-size", .type = ConfigType::size, .default_value = "1MiB",
            .help = "put: bytes per request to the agent (at most 4 MiB)"});
  spec.add({.name = "wait", .type = ConfigType::integer, .default_value = "600",
            .help = "put: seconds to keep retrying while the agent's objects buffer is full", .min = 0,
            .max = 86400});
  spec.add({.name = "output", .help = "get: where to write the object ('-': stdout)", .short_flag = 'o'});
  spec.positional("VERB [ARG]", "put FILE | ls | show ID | get ID");
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  const Config& c = p.command.config;
  auto usage = [](const char* msg) {
    std::fprintf(stderr, "iotwins objects: %s (see 'iotwins objects --help')\n", msg);
    return 2;
  };
  if (pos.empty()) return usage("a verb is required: put FILE, ls, show ID or get ID");
  uint64_t chunk = static_cast<uint64_t>(c.size("chunk-size"));
  if (chunk == 0 || chunk > (4u << 20)) return usage("--chunk-size must be from 1 byte to 4 MiB");
  if (pos[0] == "put") {
    if (pos.size() != 2) return usage("usage: iotwins objects put FILE");
    return objects_put(c, pos[1]);
  }
  auto client = make_client(c);
  if (!client) return report("objects", client.error());
  if (pos[0] == "ls" && pos.size() == 1) return list(**client, c);
  if (pos[0] == "show" && pos.size() == 2) return show(**client, pos[1]);
  if (pos[0] == "get" && pos.size() == 2) return get(**client, c, pos[1]);
  return usage("usage: iotwins objects put FILE | ls | show ID | get ID");
}

}  // namespace iotwins::cli
