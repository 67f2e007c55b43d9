// The core's JSON API (consent_call in the browser, consentctl core): one
// operation name and one untrusted JSON input. The input is the name, a
// newline, then the JSON text. Property: every answer is JSON of the
// envelope's shape, {"ok":true,"value":…} or {"ok":false,"error":{"code":…}}
// with a non-empty code, and the banner's API answers its operations alike.
#include <cstdint>

#include "consent/api/json_api.hpp"
#include "consent/json/canonical_json.hpp"
#include "fuzz_fixtures.hpp"

using namespace consent;
using nlohmann::json;

namespace {

void check_envelope(const std::string& answer) {
    const auto parsed = parse_json_strict(answer);
    fuzz::check(parsed.ok() && parsed->is_object(), "the answer is a JSON object", answer);
    const json& a = *parsed;
    fuzz::check(a.contains("ok") && a["ok"].is_boolean(), "the answer has a boolean ok", answer);
    if (a["ok"].get<bool>()) {
        fuzz::check(a.contains("value"), "an ok answer has a value", answer);
    } else {
        fuzz::check(a.contains("error") && a["error"].is_object() && a["error"].contains("code") &&
                        a["error"]["code"].is_string() && !a["error"]["code"].get<std::string>().empty(),
                    "an error answer has a code", answer);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const auto newline = text.find('\n');
    const std::string_view operation = text.substr(0, newline);
    const std::string_view input = newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
    const std::string answer = call_json_api(operation, input);
    check_envelope(answer);
    const std::string banner = call_banner_api(operation, input);
    check_envelope(banner);
    const json b = json::parse(banner, nullptr, false);
    // The banner's module is the same core: where it knows the operation, it answers the same.
    if (b.value("ok", false) || b["error"].value("code", "") != "api.unknown_operation")
        fuzz::check(banner == answer, "the banner API answers as the full API", operation);
    return 0;
}
