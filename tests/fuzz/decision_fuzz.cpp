// Decision parsing on untrusted JSON: the request the banner posts, and the
// stored form read back from a receipt. Properties: a request that the core
// turns into a decision (against the shop notice) survives the stored form's
// round trip through its canonical text; a stored decision that parses writes
// back to what parses to it.
#include <cstdint>

#include "consent/consent/decision.hpp"
#include "consent/json/canonical_json.hpp"
#include "fuzz_fixtures.hpp"

using namespace consent;

namespace {

// Through the text the stores keep (receipts.decision, RFC 8785): the store
// relies on this property instead of reading each decision back before writing it.
void round_trip(const Decision& decision, const char* what) {
    const nlohmann::json stored = decision_to_json(decision);
    const auto text = canonicalize(stored);
    fuzz::check(text.ok(), "a stored decision has a canonical text", stored.dump());
    const auto parsed = parse_json_strict(*text);
    fuzz::check(parsed.ok() && *parsed == stored, "its canonical text parses to it", *text);
    const auto back = parse_decision(*parsed);
    fuzz::check(back.ok(), what, back ? "" : back.error().code + " at " + back.error().path + ": " + stored.dump());
    fuzz::check(decision_to_json(*back) == stored, "to_json(parse(to_json(d))) == to_json(d)", stored.dump());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto json = parse_json_strict(fuzz::as_text(data, size));
    if (!json) return 0;
    if (const auto request = parse_decision_request(*json)) {
        const auto decision = make_decision(fuzz::shop_notice(), fuzz::shop_notice_hash(), *request);
        if (decision) round_trip(*decision, "a decision the core made reads back from its stored form");
    }
    if (const auto stored = parse_decision(*json)) round_trip(*stored, "a stored decision reads back");
    return 0;
}
