// consentctl's operator commands over a consentd database and key directory:
// init, site add, notice publish, apikey create|revoke, keys rotate, export,
// rebuild --check, verify, audit, backup. Each prints a result or one error line, never half-writes.
#pragma once

#include <string>
#include <vector>

#include "cli/core_commands.hpp"

namespace consent::cli {

bool is_admin_command(const std::string& command);
Outcome run_admin_command(const std::vector<std::string>& args);
std::string admin_usage();

}  // namespace consent::cli
