// iotwins users | groups | service-accounts | tokens | bindings — identity administration over
// /api/v1/iam (admins; operators may list).
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/iam.h"
#include "cli/table.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;

struct Noun {
  const char* name;      // the command
  const char* path;      // /api/v1/iam/<path>
  const char* help;      // the verbs, for --help
  const char* usage;
  std::vector<std::string> columns;  // JSON members shown by ls
};

// A parsed command line with a client, or the exit code to return.
struct Session {
  Parsed parsed;
  std::unique_ptr<api::HttpClient> client;
  int exit_code = -1;
};

Session open_session(ConfigSpec& spec, std::span<const std::string> args, const char* name) {
  Session s;
  s.parsed = parse_or_exit(spec, args);
  if (s.parsed.exit_code >= 0) {
    s.exit_code = s.parsed.exit_code;
    return s;
  }
  auto client = make_client(s.parsed.command.config);
  if (!client) {
    std::fprintf(stderr, "iotwins %s: %s\n", name, client.error().message().c_str());
    s.exit_code = 2;
    return s;
  }
  s.client = std::move(*client);
  return s;
}

std::string cell(const json& v) {
  if (v.is_string()) return v.get<std::string>().empty() ? "-" : v.get<std::string>();
  if (v.is_array()) {
    std::string out;
    for (const auto& e : v) out += (out.empty() ? "" : ",") + (e.is_string() ? e.get<std::string>() : e.dump());
    return out.empty() ? "-" : out;
  }
  if (v.is_null()) return "-";
  return v.dump();
}

int print_list(const json& answer, const Config& c, const std::vector<std::string>& columns) {
  if (c.str("output") == "json") {
    std::printf("%s\n", answer["items"].dump(2).c_str());
    return 0;
  }
  std::vector<std::string> header;
  for (const auto& col : columns) {
    std::string h = col;
    for (char& ch : h) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    header.push_back(h);
  }
  Table t(header);
  for (const auto& item : answer["items"]) {
    std::vector<std::string> row;
    for (const auto& col : columns) row.push_back(cell(item.contains(col) ? item[col] : json(nullptr)));
    t.add(std::move(row));
  }
  std::fputs(t.render().c_str(), stdout);
  return 0;
}

int usage_error(const char* noun, const std::string& message) {
  std::fprintf(stderr, "iotwins %s: %s (see 'iotwins %s --help')\n", noun, message.c_str(), noun);
  return 2;
}

// Runs one request and prints its JSON answer (or nothing for 204).
int act(Session& s, const char* noun, api::Method method, const std::string& path, const json& body = nullptr) {
  auto r = call(*s.client, method, path, body.is_null() ? "" : body.dump());
  if (!r) return report(noun, r.error());
  if (!r->is_null()) std::printf("%s\n", r->dump(2).c_str());
  return 0;
}

}  // namespace

int run_users(std::span<const std::string> args) {
  ConfigSpec spec("users",
                  "Users of this server:\n"
                  "  iotwins users [ls]                      every user\n"
                  "  iotwins users add NAME [--password-stdin] create one (asks for the password)\n"
                  "  iotwins users passwd NAME [--password-stdin]\n"
                  "  iotwins users disable|enable NAME\n"
                  "  iotwins users rm NAME                   with its bindings and tokens",
                  "[ls | add NAME | passwd NAME | disable NAME | enable NAME | rm NAME] [flags]");
  add_client_flags(spec).positional("VERB [NAME]", "ls, add, passwd, disable, enable, rm");
  spec.add({.name = "password-stdin", .type = ConfigType::boolean, .default_value = "false",
            .help = "read the password from the first line of stdin"});
  Session s = open_session(spec, args, "users");
  if (s.exit_code >= 0) return s.exit_code;
  const Config& c = s.parsed.command.config;
  const auto& pos = s.parsed.command.positional;
  std::string verb = pos.empty() ? "ls" : pos[0];
  if (verb == "ls") {
    auto r = call(*s.client, api::Method::GET, "/api/v1/iam/users");
    if (!r) return report("users", r.error());
    return print_list(*r, c, {"name", "groups", "disabled", "created"});
  }
  if (pos.size() != 2) return usage_error("users", verb + " needs exactly one user name");
  std::string path = "/api/v1/iam/users/" + api::percent_encode(pos[1]);
  if (verb == "add" || verb == "passwd") {
    auto password = read_password(c, "password for " + pos[1] + ": ");
    if (!password) return usage_error("users", password.error().message());
    if (verb == "add") return act(s, "users", api::Method::POST, "/api/v1/iam/users", {{"name", pos[1]}, {"password", *password}});
    return act(s, "users", api::Method::PATCH, path, {{"password", *password}});
  }
  if (verb == "disable" || verb == "enable") {
    return act(s, "users", api::Method::PATCH, path, {{"disabled", verb == "disable"}});
  }
  if (verb == "rm") return act(s, "users", api::Method::DELETE, path);
  return usage_error("users", "unknown verb '" + verb + "' (allowed: ls, add, passwd, disable, enable, rm)");
}

int run_groups(std::span<const std::string> args) {
  ConfigSpec spec("groups",
                  "Groups: sets of users and service accounts, and the scope every deployment, twin, model\n"
                  "and node belongs to:\n"
                  "  iotwins groups [ls]\n"
                  "  iotwins groups add NAME [--description TEXT]\n"
                  "  iotwins groups rm NAME\n"
                  "  iotwins groups add-member GROUP SUBJECT   SUBJECT: user:NAME or service-account:NAME\n"
                  "  iotwins groups rm-member GROUP SUBJECT",
                  "[ls | add NAME | rm NAME | add-member GROUP SUBJECT | rm-member GROUP SUBJECT] [flags]");
  add_client_flags(spec).positional("VERB [ARGS]", "ls, add, rm, add-member, rm-member");
  spec.add({.name = "description", .help = "add: what the group is for"});
  Session s = open_session(spec, args, "groups");
  if (s.exit_code >= 0) return s.exit_code;
  const Config& c = s.parsed.command.config;
  const auto& pos = s.parsed.command.positional;
  std::string verb = pos.empty() ? "ls" : pos[0];
  if (verb == "ls") {
    auto r = call(*s.client, api::Method::GET, "/api/v1/iam/groups");
    if (!r) return report("groups", r.error());
    return print_list(*r, c, {"name", "description", "created"});
  }
  if (verb == "add-member" || verb == "rm-member") {
    if (pos.size() != 3) return usage_error("groups", verb + " needs GROUP and SUBJECT");
    std::string base = "/api/v1/iam/groups/" + api::percent_encode(pos[1]) + "/members";
    if (verb == "add-member") return act(s, "groups", api::Method::POST, base, {{"subject", pos[2]}});
    return act(s, "groups", api::Method::DELETE, base + "/" + api::percent_encode(pos[2]));
  }
  if (pos.size() != 2) return usage_error("groups", verb + " needs exactly one group name");
  if (verb == "add") {
    return act(s, "groups", api::Method::POST, "/api/v1/iam/groups",
               {{"name", pos[1]}, {"description", c.str("description")}});
  }
  if (verb == "rm") return act(s, "groups", api::Method::DELETE, "/api/v1/iam/groups/" + api::percent_encode(pos[1]));
  return usage_error("groups", "unknown verb '" + verb + "' (allowed: ls, add, rm, add-member, rm-member)");
}

int run_service_accounts(std::span<const std::string> args) {
  ConfigSpec spec("service-accounts",
                  "Service accounts: identities of programs (CI, scripts, agents), which log in with API tokens\n"
                  "('iotwins tokens create service-account:NAME'):\n"
                  "  iotwins service-accounts [ls] | add NAME [--description TEXT] | rm NAME",
                  "[ls | add NAME | rm NAME] [flags]");
  add_client_flags(spec).positional("VERB [NAME]", "ls, add, rm");
  spec.add({.name = "description", .help = "add: what the account is for"});
  Session s = open_session(spec, args, "service-accounts");
  if (s.exit_code >= 0) return s.exit_code;
  const Config& c = s.parsed.command.config;
  const auto& pos = s.parsed.command.positional;
  std::string verb = pos.empty() ? "ls" : pos[0];
  if (verb == "ls") {
    auto r = call(*s.client, api::Method::GET, "/api/v1/iam/service-accounts");
    if (!r) return report("service-accounts", r.error());
    return print_list(*r, c, {"name", "description", "disabled", "created"});
  }
  if (pos.size() != 2) return usage_error("service-accounts", verb + " needs exactly one name");
  if (verb == "add") {
    return act(s, "service-accounts", api::Method::POST, "/api/v1/iam/service-accounts",
               {{"name", pos[1]}, {"description", c.str("description")}});
  }
  if (verb == "rm") {
    return act(s, "service-accounts", api::Method::DELETE, "/api/v1/iam/service-accounts/" + api::percent_encode(pos[1]));
  }
  return usage_error("service-accounts", "unknown verb '" + verb + "' (allowed: ls, add, rm)");
}

int run_tokens(std::span<const std::string> args) {
  ConfigSpec spec("tokens",
                  "API tokens (iot_pat_…) for scripts and service accounts; the secret is shown once:\n"
                  "  iotwins tokens ls SUBJECT                    e.g. service-account:ci\n"
                  "  iotwins tokens create SUBJECT [--name N] [--ttl 720h]\n"
                  "  iotwins tokens revoke ID",
                  "ls SUBJECT | create SUBJECT | revoke ID [flags]");
  add_client_flags(spec).positional("VERB ARG", "ls, create (with a subject) or revoke (with a token id)");
  spec.add({.name = "name", .help = "create: what the token is for"});
  spec.add({.name = "ttl", .type = ConfigType::duration, .default_value = "0", .help = "create: lifetime (0: no expiry)"});
  Session s = open_session(spec, args, "tokens");
  if (s.exit_code >= 0) return s.exit_code;
  const Config& c = s.parsed.command.config;
  const auto& pos = s.parsed.command.positional;
  if (pos.size() != 2) return usage_error("tokens", "needs a verb and one argument");
  const std::string& verb = pos[0];
  if (verb == "ls") {
    auto r = call(*s.client, api::Method::GET, "/api/v1/iam/tokens?subject=" + api::percent_encode(pos[1]));
    if (!r) return report("tokens", r.error());
    return print_list(*r, c, {"id", "name", "created", "expires", "last_used", "revoked"});
  }
  if (verb == "create") {
    json body{{"subject", pos[1]}, {"name", c.str("name")},
              {"ttl_seconds", std::chrono::duration_cast<std::chrono::seconds>(c.duration("ttl")).count()}};
    auto r = call(*s.client, api::Method::POST, "/api/v1/iam/tokens", body.dump());
    if (!r) return report("tokens", r.error());
    if (c.str("output") == "json") {
      std::printf("%s\n", r->dump(2).c_str());
    } else {
      std::printf("%s\n", r->value("token", "").c_str());
      std::fprintf(stderr, "token %s for %s: shown only now, keep it secret\n", r->value("id", "").c_str(),
                   pos[1].c_str());
    }
    return 0;
  }
  if (verb == "revoke") return act(s, "tokens", api::Method::DELETE, "/api/v1/iam/tokens/" + api::percent_encode(pos[1]));
  return usage_error("tokens", "unknown verb '" + verb + "' (allowed: ls, create, revoke)");
}

int run_bindings(std::span<const std::string> args) {
  ConfigSpec spec("bindings",
                  "Role bindings: a role (admin, operator, developer, viewer, agent) for a subject in a scope\n"
                  "(one group, or * for every group and the global iam and audit resources):\n"
                  "  iotwins bindings [ls]\n"
                  "  iotwins bindings add ROLE SUBJECT [--scope GROUP]   SUBJECT: user:, group:, service-account:\n"
                  "  iotwins bindings rm ID",
                  "[ls | add ROLE SUBJECT | rm ID] [flags]");
  add_client_flags(spec).positional("VERB [ARGS]", "ls, add, rm");
  spec.add({.name = "scope", .default_value = "*", .help = "add: the group the role applies in (* for all)"});
  Session s = open_session(spec, args, "bindings");
  if (s.exit_code >= 0) return s.exit_code;
  const Config& c = s.parsed.command.config;
  const auto& pos = s.parsed.command.positional;
  std::string verb = pos.empty() ? "ls" : pos[0];
  if (verb == "ls") {
    auto r = call(*s.client, api::Method::GET, "/api/v1/iam/bindings");
    if (!r) return report("bindings", r.error());
    return print_list(*r, c, {"id", "role", "subject", "scope", "created"});
  }
  if (verb == "add") {
    if (pos.size() != 3) return usage_error("bindings", "add needs ROLE and SUBJECT");
    return act(s, "bindings", api::Method::POST, "/api/v1/iam/bindings",
               {{"role", pos[1]}, {"subject", pos[2]}, {"scope", c.str("scope")}});
  }
  if (verb == "rm") {
    if (pos.size() != 2) return usage_error("bindings", "rm needs one binding id");
    return act(s, "bindings", api::Method::DELETE, "/api/v1/iam/bindings/" + api::percent_encode(pos[1]));
  }
  return usage_error("bindings", "unknown verb '" + verb + "' (allowed: ls, add, rm)");
}

int run_audit(std::span<const std::string> args) {
  ConfigSpec spec("audit",
                  "The audit log (admins): every change with who, what, target, when, from where and outcome,\n"
                  "oldest first.",
                  "[--from TIME] [--to TIME] [--actor SUBJECT] [--action PREFIX] [--limit N] [flags]");
  add_client_flags(spec);
  spec.add({.name = "from", .default_value = "now-24h", .help = "from this time (RFC 3339, now-1h, epoch ms)"});
  spec.add({.name = "to", .default_value = "now", .help = "up to this time"});
  spec.add({.name = "actor", .help = "only this actor (user:alice, service-account:ci, anonymous)"});
  spec.add({.name = "action", .help = "only actions starting with this (iam., deployments.create)"});
  spec.add({.name = "limit", .type = ConfigType::integer, .default_value = "100", .help = "at most this many records",
            .min = 1, .max = 100000});
  Session s = open_session(spec, args, "audit");
  if (s.exit_code >= 0) return s.exit_code;
  const Config& c = s.parsed.command.config;
  std::string query = "?from=" + api::percent_encode(c.str("from")) + "&to=" + api::percent_encode(c.str("to"));
  if (!c.str("actor").empty()) query += "&actor=" + api::percent_encode(c.str("actor"));
  if (!c.str("action").empty()) query += "&action=" + api::percent_encode(c.str("action"));
  json all = json::array();
  int64_t want = c.integer("limit");
  int64_t cursor = 0;
  while (static_cast<int64_t>(all.size()) < want) {
    int64_t page = std::min<int64_t>(1000, want - static_cast<int64_t>(all.size()));
    std::string path = "/api/v1/audit" + query + "&limit=" + std::to_string(page);
    if (cursor != 0) path += "&cursor=" + std::to_string(cursor);
    auto r = call(*s.client, api::Method::GET, path);
    if (!r) return report("audit", r.error());
    for (auto& item : (*r)["items"]) all.push_back(std::move(item));
    if ((*r)["next_cursor"].is_null()) break;
    cursor = (*r)["next_cursor"].get<int64_t>();
  }
  return print_list({{"items", all}}, c, {"time", "actor", "action", "target", "outcome", "remote", "detail"});
}

}  // namespace iotwins::cli
