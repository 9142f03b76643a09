#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/app.h"
#include "common/logging.h"

int main(int argc, char** argv) {
  // Libraries log progress (e.g. each migration applied) to stderr; stdout carries only the
  // command's output, so `-o json` stays parseable.
  tern::InitLogging("info", "text", "tern");
  std::vector<std::string> args(argv + 1, argv + argc);
  // Questions go to stderr and answers come from stdin, so both must be a terminal: a script
  // that pipes stdin or captures stderr gets a refusal instead of a prompt nobody sees.
  std::istream* terminal = isatty(STDIN_FILENO) && isatty(STDERR_FILENO) ? &std::cin : nullptr;
  return tern::cli::Run(*tern::cli::BuildApp(), args, std::cout, std::cerr, tern::cli::ProcessEnv,
                        terminal);
}
