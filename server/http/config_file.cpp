#include "http/config_file.hpp"

#include <fstream>
#include <sstream>

namespace consent::server {
namespace {

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r");
    if (first == std::string_view::npos) return {};
    const auto last = s.find_last_not_of(" \t\r");
    return s.substr(first, last - first + 1);
}

bool is_name(std::string_view name) {
    if (name.empty()) return false;
    for (const char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    return true;
}

}  // namespace

Result<std::vector<ConfigLine>> parse_config_text(std::string_view text, const std::string& file) {
    std::vector<ConfigLine> lines;
    std::size_t number = 0;
    for (std::size_t start = 0; start < text.size();) {
        const std::size_t end = std::min(text.find('\n', start), text.size());
        const std::string_view line = trim(text.substr(start, end - start));
        start = end + 1;
        ++number;
        if (line.empty() || line.front() == '#') continue;
        const std::string where = file + ":" + std::to_string(number);
        const auto eq = line.find('=');
        const std::string_view name = trim(line.substr(0, eq));
        if (eq == std::string_view::npos || !is_name(name))
            return make_error("config.invalid_value", where +
                                                          ": expected \"name = value\" (an option name without "
                                                          "its \"--\", e.g. \"port = 8710\")");
        if (name.front() == '-')
            return make_error("config.invalid_value", where + ": write the option name without its \"--\"");
        lines.push_back({std::string(name), std::string(trim(line.substr(eq + 1))), where});
    }
    return lines;
}

Result<std::vector<ConfigLine>> read_config_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    if (in) text << in.rdbuf();
    if (!in || in.bad()) return make_error("config.unreadable", "cannot read the configuration file " + path);
    return parse_config_text(text.str(), path);
}

}  // namespace consent::server
