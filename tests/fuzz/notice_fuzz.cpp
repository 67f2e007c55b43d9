// Notice parsing on untrusted text (consentd's POST /notices, consentctl
// notice validate, the banner's config). Properties: a notice that parses has
// a normalized form that parses again to the same normalized form, with the
// same content hash (the hash a receipt names must not depend on a round trip).
#include <cstdint>

#include "consent/consent/notice.hpp"
#include "consent/json/canonical_json.hpp"
#include "fuzz_fixtures.hpp"

using namespace consent;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto notice = parse_notice_text(fuzz::as_text(data, size));
    if (!notice) {
        fuzz::check(!notice.error().code.empty(), "a rejection has a code");
        return 0;
    }
    const nlohmann::json normalized = notice_to_json(*notice);
    const auto canonical = canonicalize(normalized);
    fuzz::check(canonical.ok(), "a parsed notice canonicalizes", canonical ? "" : canonical.error().code);
    const auto again = parse_notice_text(*canonical);
    fuzz::check(again.ok(), "the normalized notice parses again",
                again ? *canonical : again.error().code + " at " + again.error().path);
    fuzz::check(notice_to_json(*again) == normalized, "normalize(parse(normalize(x))) == normalize(x)", *canonical);
    fuzz::check(notice_content_hash(*again) == notice_content_hash(*notice), "the content hash survives a round trip");
    return 0;
}
