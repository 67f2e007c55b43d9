// consentctl's commands that need only the core: validate and hash a notice,
// render the banner's view model, and evaluate decisions and checks offline.
#pragma once

#include <string>
#include <vector>

namespace consent::cli {

struct Outcome {
    int exit_code = 0;
    std::string out;  // printed to stdout
    std::string err;  // one line, printed to stderr
};

// args excludes the program name; returns nullopt-like {exit 64} on unknown commands.
Outcome run_core_command(const std::vector<std::string>& args);

std::string usage();

}  // namespace consent::cli
