// CLI commands: one file per command (Nomad style). A command has a name, a one-line summary
// for `iotwins --help`, and a run function taking its arguments (after the command name).
#pragma once

#include <functional>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "core/config.h"

namespace iotwins::cli {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(std::span<const std::string> args);
};

// Parses args against spec, handles --help (prints, returns 0) and errors (one line on stderr,
// returns 2), initialises logging. Returns nullopt-like via `exit_code` when the caller must stop.
struct Parsed {
  ParsedCommand command;
  int exit_code = -1;  // >= 0: stop and return this
};
Parsed parse_or_exit(const ConfigSpec& spec, std::span<const std::string> args);

// Adds --server, --output (one of `outputs`, the first is the default) and --ca-file: every
// command that talks to a server has them.
ConfigSpec& add_client_flags(ConfigSpec& spec, std::vector<std::string> outputs = {"table", "json"});
// --token (IOTWINS_TOKEN): part of add_client_flags; for commands that declare --server themselves.
ConfigSpec& add_token_flag(ConfigSpec& spec);

// Runs `work(stop_token)` on a thread until it returns or SIGINT/SIGTERM arrives (then the token
// is stopped and work is expected to return soon). Long-running commands (simulate, infer) use it.
void run_until_interrupted(const std::function<void(std::stop_token)>& work);

int run_nodes(std::span<const std::string> args);
int run_series(std::span<const std::string> args);
int run_twins(std::span<const std::string> args);
int run_version(std::span<const std::string> args);
int run_events(std::span<const std::string> args);
int run_up(std::span<const std::string> args);
int run_models(std::span<const std::string> args);
int run_objects(std::span<const std::string> args);
int run_artifacts(std::span<const std::string> args);
int run_validate(std::span<const std::string> args);
int run_simulate(std::span<const std::string> args);
int run_server(std::span<const std::string> args);
int run_agent(std::span<const std::string> args);
int run_stream_bridge(std::span<const std::string> args);
int run_login(std::span<const std::string> args);
int run_logout(std::span<const std::string> args);
int run_whoami(std::span<const std::string> args);
int run_users(std::span<const std::string> args);
int run_groups(std::span<const std::string> args);
int run_service_accounts(std::span<const std::string> args);
int run_tokens(std::span<const std::string> args);
int run_bindings(std::span<const std::string> args);
int run_audit(std::span<const std::string> args);

// Every command, in the order `iotwins --help` lists them.
std::span<const Command> commands();
int main(int argc, char** argv);

}  // namespace iotwins::cli
