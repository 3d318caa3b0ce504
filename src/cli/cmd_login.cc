// iotwins login [--server URL] [--user U] [--password-stdin] [--token T] | logout | whoami
#include <nlohmann/json.hpp>
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "cli/client.h"
#include "cli/command.h"
#include "cli/credentials.h"
#include "cli/iam.h"

namespace iotwins::cli {
namespace {

using nlohmann::json;

api::ClientOptions client_options(const Config& c) {
  api::ClientOptions o;
  o.ca_file = c.str("ca-file");
  o.request_timeout = std::chrono::seconds(30);
  return o;
}

}  // namespace

Result<std::string> read_password(const Config& c, const std::string& prompt) {
  std::string password;
  if (c.boolean("password-stdin")) {
    std::getline(std::cin, password);
    if (!password.empty() && password.back() == '\r') password.pop_back();
  } else {
    if (!::isatty(STDIN_FILENO)) {
      return make_error(Errc::invalid_argument, "no terminal to ask for the password on: pass --password-stdin");
    }
    std::fprintf(stderr, "%s", prompt.c_str());
    termios old{};
    ::tcgetattr(STDIN_FILENO, &old);
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    std::getline(std::cin, password);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
    std::fprintf(stderr, "\n");
  }
  if (password.empty()) return make_error(Errc::invalid_argument, "the password is empty");
  return password;
}

int run_login(std::span<const std::string> args) {
  ConfigSpec spec("login",
                  "Logs in to a server and stores the tokens in ~/.config/iotwins/credentials.json (mode 0600),\n"
                  "per server URL; every other command then sends them (refreshing them when they expire).\n"
                  "With --token, stores a token you already have (e.g. from your OpenID Connect provider).",
                  "[--server URL] [--user NAME] [--password-stdin | --token TOKEN]");
  spec.add_common();
  spec.add({.name = "server", .default_value = "http://127.0.0.1:8470", .help = "URL of the iotwins server"});
  spec.add({.name = "ca-file", .help = "CA certificate to verify an https:// server"});
  spec.add({.name = "user", .default_value = "admin", .help = "user name"});
  spec.add({.name = "password-stdin", .type = ConfigType::boolean, .default_value = "false",
            .help = "read the password from the first line of stdin (for scripts)"});
  spec.add({.name = "token", .help = "store this access token instead of logging in with a password"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const Config& c = p.command.config;
  const std::string& server = c.str("server");
  auto options = client_options(c);
  StoredCredentials creds;
  if (!c.str("token").empty()) {
    options.bearer_token = c.str("token");
    auto client = api::HttpClient::create(server, options);
    if (!client) return report("login", client.error());
    auto who = call(**client, api::Method::GET, "/api/v1/auth/whoami");
    if (!who) return report("login", who.error());
    creds.access_token = c.str("token");
    creds.subject = who->value("subject", "");
  } else {
    auto password = read_password(c, "password for " + c.str("user") + " at " + server + ": ");
    if (!password) {
      std::fprintf(stderr, "iotwins login: %s\n", password.error().message().c_str());
      return 2;
    }
    auto client = api::HttpClient::create(server, options);
    if (!client) return report("login", client.error());
    auto parsed = password_login(**client, c.str("user"), *password);
    if (!parsed) return report("login", parsed.error());
    creds = std::move(*parsed);
  }
  if (auto st = save_credentials(server, creds); !st) return report("login", st.error());
  std::printf("logged in to %s as %s (credentials in %s)\n", server.c_str(), creds.subject.c_str(),
              credentials_path().c_str());
  return 0;
}

int run_logout(std::span<const std::string> args) {
  ConfigSpec spec("logout", "Revokes the stored refresh token at the server and forgets the login for --server.",
                  "[--server URL]");
  spec.add_common();
  spec.add({.name = "server", .default_value = "http://127.0.0.1:8470", .help = "URL of the iotwins server"});
  spec.add({.name = "ca-file", .help = "CA certificate to verify an https:// server"});
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const Config& c = p.command.config;
  const std::string& server = c.str("server");
  auto stored = load_credentials(server);
  if (!stored) return report("logout", stored.error());
  if (!*stored) {
    std::printf("not logged in to %s\n", server.c_str());
    return 0;
  }
  if (!(*stored)->refresh_token.empty()) {
    auto client = api::HttpClient::create(server, client_options(c));
    if (!client) return report("logout", client.error());
    json body{{"token", (*stored)->refresh_token}};
    if (auto r = call(**client, api::Method::POST, "/api/v1/auth/revoke", body.dump()); !r) {
      std::fprintf(stderr, "iotwins logout: the server did not revoke the token (%s); forgetting it anyway\n",
                   r.error().message().c_str());
    }
  }
  if (auto st = forget_credentials(server); !st) return report("logout", st.error());
  std::printf("logged out of %s\n", server.c_str());
  return 0;
}

int run_whoami(std::span<const std::string> args) {
  ConfigSpec spec("whoami", "Shows who the credentials sent to --server speak for: subject, groups, role grants.",
                  "[flags]");
  spec.add_common();
  add_client_flags(spec);
  Parsed p = parse_or_exit(spec, args);
  if (p.exit_code >= 0) return p.exit_code;
  const Config& c = p.command.config;
  auto client = make_client(c);
  if (!client) return report("whoami", client.error());
  auto who = call(**client, api::Method::GET, "/api/v1/auth/whoami");
  if (!who) return report("whoami", who.error());
  if (c.str("output") == "json") {
    std::printf("%s\n", who->dump(2).c_str());
    return 0;
  }
  std::printf("%s\n", who->value("subject", "").c_str());
  std::string groups;
  for (const auto& g : (*who)["groups"]) groups += (groups.empty() ? "" : ", ") + g.get<std::string>();
  std::printf("  groups  %s\n", groups.empty() ? "-" : groups.c_str());
  for (const auto& g : (*who)["grants"]) {
    std::printf("  role    %s in %s (via %s)\n", g.value("role", "").c_str(), g.value("scope", "").c_str(),
                g.value("via", "").c_str());
  }
  return 0;
}

}  // namespace iotwins::cli
