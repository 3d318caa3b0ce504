// iotwins artifacts put FILE | get SHA256 [-o FILE] | ls: the server's content-addressed store of
// task executables and model files (PUT/GET /api/v1/artifacts).
#include <nlohmann/json.hpp>

#include <cstdio>

#include "artifacts/store.h"
#include "cli/client.h"
#include "cli/command.h"
#include "cli/models.h"
#include "cli/output_file.h"
#include "cli/table.h"
#include "core/fs.h"
#include "dataplane/objects/chunk.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;

int list(api::HttpClient& client, const Config& c) {
  json all = json::array();
  std::string after;
  for (;;) {
    std::string path = "/api/v1/artifacts?limit=1000";
    if (!after.empty()) path += "&after=" + after;
    auto r = call(client, api::Method::GET, path);
    if (!r) return report("artifacts ls", r.error());
    for (auto& a : (*r)["items"]) all.push_back(std::move(a));
    if (!r->contains("next")) break;
    after = (*r)["next"].get<std::string>();
  }
  if (c.boolean("json")) {
    std::printf("%s\n", all.dump(2).c_str());
    return 0;
  }
  Table t({"SHA256", "SIZE"});
  for (const auto& a : all) {
    t.add({a.value("sha256", ""), human_bytes(double(a.value("size", uint64_t{0})))});
  }
  std::fputs(t.render().c_str(), stdout);
  if (all.empty()) std::printf("(no artifacts yet: store one with 'iotwins artifacts put FILE')\n");
  return 0;
}

int get(api::HttpClient& client, const Config& c, const std::string& sha) {
  if (auto st = artifacts::validate_sha256(sha); !st) return report("artifacts get", st.error());
  std::string out = c.str("output");
  if (out.empty()) out = sha;
  if (!c.is_set("output") && PosixFileSystem::instance().exists(out).value_or(false)) {
    return report("artifacts get", Error(Errc::already_exists, out + " exists; choose where to write with -o FILE"));
  }
  auto dst = OutputFile::open(out);
  if (!dst) return report("artifacts get", dst.error());
  dataplane::Sha256 h;
  uint64_t size = 0;
  Status written = ok();
  auto res = client.request_streaming(api::Method::GET, "/api/v1/artifacts/" + sha, [&](std::string_view piece) {
    h.update(piece);
    size += piece.size();
    written = dst->write(piece);
    return written.has_value();
  });
  if (!written) return report("artifacts get", written.error());
  if (!res) return report("artifacts get", Error(res.error()).context("cannot reach the server at " + client.base_url()));
  if (!res->ok()) return report("artifacts get", api::error_from_response(*res, "GET /api/v1/artifacts/" + sha));
  std::string got = h.hex();
  if (got != sha) {
    return report("artifacts get", Error(Errc::corruption, "sha256 mismatch: asked for " + sha + ", received " + got));
  }
  if (auto st = dst->commit(); !st) return report("artifacts get", st.error());
  if (!dst->is_stdout()) {
    std::fprintf(stderr, "%s: %llu bytes, sha256 verified\n", out.c_str(), static_cast<unsigned long long>(size));
  }
  return 0;
}

}  // namespace

Result<json> put_artifact(api::HttpClient& client, const std::string& file) {
  IOT_ASSIGN(std::string bytes, PosixFileSystem::instance().read_file(file));
  const std::string path = "/api/v1/artifacts";
  auto res = client.request(api::Method::PUT, path, bytes, "application/octet-stream",
                            {{"X-Artifact-Sha256", dataplane::sha256_hex(bytes)}});
  if (!res) return std::unexpected(Error(res.error()).context("cannot reach the server at " + client.base_url()));
  if (!res->ok()) return std::unexpected(api::error_from_response(*res, "PUT " + path + " of " + file));
  json body = json::parse(res->body, nullptr, false);
  if (body.is_discarded() || !body.contains("sha256")) {
    return make_error(Errc::internal, "the server's answer to PUT " + path + " is not {sha256, size}");
  }
  body["new"] = res->status == 201;
  return body;
}

int run_artifacts(std::span<const std::string> args) {
  ConfigSpec spec("artifacts",
                  "The server's content-addressed store of task executables and model files:\n"
                  "  iotwins artifacts put FILE                 store FILE; prints its sha256 (the name tasks and\n"
                  "                                             model versions refer to it by)\n"
                  "  iotwins artifacts get SHA256 [-o FILE]     download and verify (default FILE: the sha256 in the\n"
                  "                                             current directory; -o - for stdout)\n"
                  "  iotwins artifacts ls [--json]              every stored artifact with its size",
                  "put FILE | get SHA256 | ls [flags]");
  spec.add_common();
  // Not add_client_flags: -o names the file `get` writes (as with curl), so ls takes --json.
  spec.add({.name = "server", .default_value = "http://127.0.0.1:8470", .help = "URL of the iotwins server"});
  spec.add({.name = "ca-file", .help = "CA certificate to verify an https:// server"});
  add_token_flag(spec);
  spec.add({.name = "json", .type = ConfigType::boolean, .default_value = "false", .help = "print JSON"});
  spec.add({.name = "output", .help = "get: where to write the artifact ('-': stdout)", .short_flag = 'o'});
  spec.positional("VERB [ARG]", "put FILE | get SHA256 | ls");
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const auto& pos = p.command.positional;
  const Config& c = p.command.config;
  auto usage = [](const char* msg) {
    std::fprintf(stderr, "iotwins artifacts: %s (see 'iotwins artifacts --help')\n", msg);
    return 2;
  };
  if (pos.empty()) return usage("a verb is required: put FILE, get SHA256 or ls");
  auto client = make_client(c);
  if (!client) return report("artifacts", client.error());
  if (pos[0] == "ls" && pos.size() == 1) return list(**client, c);
  if (pos[0] == "get" && pos.size() == 2) return get(**client, c, pos[1]);
  if (pos[0] == "put" && pos.size() == 2) {
    auto r = put_artifact(**client, pos[1]);
    if (!r) return report("artifacts put", r.error());
    if (c.boolean("json")) {
      std::printf("%s\n", r->dump(2).c_str());
    } else {
      std::printf("%s\n", (*r)["sha256"].get<std::string>().c_str());
      std::fflush(stdout);  // the digest first: scripts read it, the note goes to stderr
      std::fprintf(stderr, "%s: %llu bytes, %s\n", pos[1].c_str(),
                   static_cast<unsigned long long>((*r)["size"].get<uint64_t>()),
                   (*r)["new"].get<bool>() ? "stored" : "already stored");
    }
    return 0;
  }
  return usage("usage: iotwins artifacts put FILE | get SHA256 [-o FILE] | ls");
}

}  // namespace iotwins::cli
