// RFC 8785 canonical JSON on untrusted text. Properties beyond "no crash":
// what canonicalize_text accepts canonicalizes to text that parses strictly and
// is its own canonical form (canonicalize(parse(c)) == c), and parse_json_strict
// then canonicalize agrees with canonicalize_text.
#include <cstdint>

#include "consent/json/canonical_json.hpp"
#include "fuzz_fixtures.hpp"

using namespace consent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = fuzz::as_text(data, size);
    const auto canonical = canonicalize_text(text);
    const auto parsed = parse_json_strict(text);
    if (!canonical) {
        // Parsing may succeed where canonicalizing fails (a number without a JCS form), never the reverse.
        if (parsed)
            fuzz::check(!canonicalize(*parsed).ok(), "canonicalize_text and parse+canonicalize agree on failure");
        return 0;
    }
    fuzz::check(parsed.ok(), "what canonicalize_text accepts parses strictly", parsed ? "" : parsed.error().code);
    const auto again = canonicalize(*parsed);
    fuzz::check(again.ok() && *again == *canonical, "parse then canonicalize equals canonicalize_text", *canonical);
    const auto reparsed = parse_json_strict(*canonical);
    fuzz::check(reparsed.ok(), "the canonical form parses strictly", *canonical);
    const auto twice = canonicalize(*reparsed);
    fuzz::check(twice.ok() && *twice == *canonical, "canonicalize(parse(canonicalize(x))) == canonicalize(x)",
                *canonical);
    return 0;
}
