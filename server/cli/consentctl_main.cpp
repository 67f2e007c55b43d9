// consentctl: the operator's command line. Every failure is one line on stderr
// and a non-zero exit; nothing is ever half-written.
#include <iostream>
#include <string>
#include <vector>

#include "cli/core_commands.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    const auto outcome = consent::cli::run_core_command(args);
    if (!outcome.out.empty()) std::cout << outcome.out << '\n';
    if (!outcome.err.empty()) std::cerr << "consentctl: " << outcome.err << '\n';
    return outcome.exit_code;
}
