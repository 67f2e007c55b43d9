// consentctl: the operator's command line. Every failure is one line on stderr
// and a non-zero exit; nothing is ever half-written.
#include <iostream>
#include <string>
#include <vector>

#include "cli/admin_commands.hpp"
#include "cli/core_commands.hpp"
#include "consent_version.hpp"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.size() == 1 && args[0] == "--version") {
        std::cout << "consentctl " << CONSENT_VERSION << '\n';
        return 0;
    }
    // "notice validate|hash|show" need only the core; "notice publish" needs the store.
    const bool admin = !args.empty() && consent::cli::is_admin_command(args[0]) &&
                       !(args[0] == "notice" && args.size() > 1 && args[1] != "publish");
    const auto outcome = admin ? consent::cli::run_admin_command(args) : consent::cli::run_core_command(args);
    if (!outcome.out.empty()) std::cout << outcome.out << '\n';
    if (!outcome.err.empty()) std::cerr << "consentctl: " << outcome.err << '\n';
    return outcome.exit_code;
}
