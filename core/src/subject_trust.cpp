#include "consent/subject_trust.hpp"

namespace consent {

bool is_browser_subject_id(std::string_view id) noexcept {
    if (id.size() != 24 || id.substr(0, 2) != "b_") return false;
    for (char c : id.substr(2)) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                        c == '_';
        if (!ok) return false;
    }
    return true;
}

bool grants_anything(const Decision& decision, const Notice& notice) noexcept {
    for (const auto& [purpose, state] : decision.purposes) {
        const Purpose* p = notice.find_purpose(purpose);
        // Necessary purposes are recorded as granted but need no consent.
        if (state == PurposeState::granted && p != nullptr && !p->is_necessary()) return true;
    }
    return false;
}

Status check_subject_trust(const Decision& decision, const Notice& notice, bool subject_token_verified) {
    if (!grants_anything(decision, notice) || subject_token_verified || is_browser_subject_id(decision.subject_id))
        return Unit{};
    return make_error("subject.token_required",
                      "a grant for a subject id that was not made by the browser needs a subject token from the "
                      "site's backend",
                      "/subject_id");
}

}  // namespace consent

namespace consent {

Status check_subject_token_claims(const nlohmann::json& payload, std::string_view site_id,
                                  std::string_view subject_id, std::int64_t now) {
    const auto text = [&](const char* key) -> const std::string* {
        const auto it = payload.find(key);
        return it != payload.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
    };
    const auto number = [&](const char* key, std::int64_t& out) {
        const auto it = payload.find(key);
        if (it == payload.end() || !it->is_number_integer()) return false;
        out = it->get<std::int64_t>();
        return true;
    };
    std::int64_t iat = 0;
    std::int64_t exp = 0;
    if (!payload.is_object() || !text("site") || !text("sub") || !number("iat", iat) || !number("exp", exp))
        return make_error("subject.token_claims", "a subject token carries site, sub, iat and exp");
    if (*text("site") != site_id) return make_error("subject.token_wrong_site", "the subject token is for another site");
    if (*text("sub") != subject_id)
        return make_error("subject.token_wrong_subject", "the subject token names another subject");
    // The signer picks both: exp - iat need not fit in int64, so subtract as
    // unsigned, which is exact when exp > iat.
    if (exp > iat && static_cast<std::uint64_t>(exp) - static_cast<std::uint64_t>(iat) >
                         static_cast<std::uint64_t>(kSubjectTokenMaxLifetime))
        return make_error("subject.token_too_long_lived", "a subject token may live one hour at most");
    if (iat > now + kClockSkewAllowance) return make_error("subject.token_not_yet_valid", "the subject token is issued in the future");
    if (exp <= now) return make_error("subject.token_expired", "the subject token has expired");
    return Unit{};
}

}  // namespace consent
