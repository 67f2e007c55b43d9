// consentd's configuration file (/etc/consentd/consentd.conf when installed):
// one "name = value" line per option, where name is the long flag without its
// "--"; blank lines and lines starting with '#' are ignored. There is no
// quoting and no trailing comment: a value is the rest of its line, trimmed,
// so a path may hold any character but a newline. Secrets never belong here:
// API keys live hashed in the database, signing keys in the keys directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "consent/base/result.hpp"

namespace consent::server {

struct ConfigLine {
    std::string name;  // without "--"
    std::string value;
    std::string where;  // "FILE:LINE", for messages
};

// The lines of a configuration file's text; file names it in messages.
// Error: config.invalid_value "FILE:LINE: …" for a line that is not "name = value".
Result<std::vector<ConfigLine>> parse_config_text(std::string_view text, const std::string& file);

// Reads and parses a file. Error: config.unreadable, or those of parse_config_text.
Result<std::vector<ConfigLine>> read_config_file(const std::string& path);

}  // namespace consent::server
