// The banner's own JSON parser (consent-banner.wasm parses the notice, the
// view and stored state with SmallJson, not nlohmann) against nlohmann's on
// the same untrusted text. Properties: both strict parsers accept exactly the
// same texts; when both refuse, with the same code and path; when both accept,
// the same value written back (integers exactly; fractions by value, since
// SmallJson does not write their shortest digits) and the same number types.
#include <cstdint>
#include <string>

#include "consent/json/canonical_json.hpp"
#include "consent/json/small_json.hpp"
#include "fuzz_fixtures.hpp"

using namespace consent;

namespace {

// Fractions anywhere in the value: their text is the one thing the two may write differently.
bool has_fraction(const nlohmann::json& value) {
    if (value.is_number_float()) return true;
    if (value.is_structured())
        for (const auto& child : value)
            if (has_fraction(child)) return true;
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const auto expected = parse_json_strict(text);
    const auto got = parse_small_json_strict(text);
    fuzz::check(got.ok() == expected.ok(), "SmallJson accepts exactly what nlohmann's strict parse accepts",
                expected ? std::string("nlohmann accepted") : expected.error().code);
    if (!expected) {
        fuzz::check(got.error().code == expected.error().code && got.error().path == expected.error().path,
                    "both refuse with the same code and path", expected.error().code + " at " + expected.error().path);
        return 0;
    }
    fuzz::check(got->size() == expected->size(), "the same number of members or elements");
    fuzz::check(got->is_number_integer() == expected->is_number_integer() &&
                    got->is_number_unsigned() == expected->is_number_unsigned() &&
                    got->is_number_float() == expected->is_number_float(),
                "the same number type at the top");
    if (!has_fraction(*expected)) {
        const std::string mine = got->dump(-1, ' ', false, SmallJson::error_handler_t::replace);
        const std::string theirs = expected->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        fuzz::check(mine == theirs, "the same text written back", theirs);
    }
    return 0;
}
