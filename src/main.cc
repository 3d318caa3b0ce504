// iotwins: one binary, many roles. Dispatch only; see src/cli/command.cc for the table.
#include "cli/command.h"

int main(int argc, char** argv) { return iotwins::cli::main(argc, argv); }
