#include "cli/core_commands.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/admin_commands.hpp"
#include "consent/api/json_api.hpp"

namespace consent::cli {
namespace {

using nlohmann::json;

constexpr int kExitUsage = 64;    // sysexits.h EX_USAGE
constexpr int kExitDataErr = 65;  // EX_DATAERR: the input was read but is invalid
constexpr int kExitNoInput = 66;  // EX_NOINPUT

struct FileText {
    bool ok = false;
    std::string text;
};

FileText read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::ostringstream out;
    out << in.rdbuf();
    return {true, out.str()};
}

Outcome fail(int code, std::string message) { return {code, {}, std::move(message)}; }

// Runs one core operation and turns its envelope into an outcome: the value
// (pretty JSON) on success, "code at path: message" on failure.
Outcome run_operation(const std::string& op, const std::string& input, bool pretty) {
    const json answer = json::parse(call_json_api(op, input));
    if (answer["ok"].get<bool>()) {
        const json& value = answer["value"];
        return {0, value.is_string() ? value.get<std::string>() : value.dump(pretty ? 2 : -1), {}};
    }
    const json& e = answer["error"];
    std::string where = e["path"].get<std::string>().empty() ? "" : " at " + e["path"].get<std::string>();
    return fail(kExitDataErr, e["code"].get<std::string>() + where + ": " + e["message"].get<std::string>());
}

Outcome notice_command(const std::vector<std::string>& args) {
    if (args.size() != 3 || (args[1] != "validate" && args[1] != "hash" && args[1] != "show"))
        return fail(kExitUsage, "usage: consentctl notice validate|hash|show FILE");
    const auto file = read_file(args[2]);
    if (!file.ok) return fail(kExitNoInput, "cannot read " + args[2]);
    auto parsed = run_operation("notice.parse", file.text, true);
    if (parsed.exit_code != 0) return parsed;
    const json value = json::parse(parsed.out);
    if (args[1] == "hash") return {0, value["hash"].get<std::string>(), {}};
    if (args[1] == "show") return {0, value["notice"].dump(2), {}};
    const json& n = value["notice"];
    return {0,
            "ok: notice " + n["notice_id"].get<std::string>() + " version " + std::to_string(n["version"].get<int>()) +
                ", " + std::to_string(n["purposes"].size()) + " purposes, sha256 " + value["hash"].get<std::string>(),
            {}};
}

// consentctl core OPERATION INPUT.json|-: the core's JSON API, for scripts.
Outcome core_command(const std::vector<std::string>& args) {
    if (args.size() != 3) return fail(kExitUsage, "usage: consentctl core OPERATION INPUT.json");
    const auto file = read_file(args[2]);
    if (!file.ok) return fail(kExitNoInput, "cannot read " + args[2]);
    return run_operation(args[1], file.text, true);
}

}  // namespace

std::string usage() {
    std::string ops;
    for (const auto& op : json_api_operations()) ops += "  " + op + "\n";
    return "usage:\n"
           "  consentctl notice validate FILE   check a notice; print its id, version and content hash\n"
           "  consentctl notice hash FILE       print the notice's SHA-256 content hash\n"
           "  consentctl notice show FILE       print the normalized notice\n"
           "  consentctl core OPERATION FILE    run one core operation on a JSON input file\n" +
           admin_usage() + "operations:\n" + ops;
}

Outcome run_core_command(const std::vector<std::string>& args) {
    if (args.empty() || args[0] == "help" || args[0] == "--help") return {args.empty() ? kExitUsage : 0, usage(), {}};
    if (args[0] == "notice") return notice_command(args);
    if (args[0] == "core") return core_command(args);
    return fail(kExitUsage, "unknown command \"" + args[0] + "\" (try: consentctl help)");
}

}  // namespace consent::cli
