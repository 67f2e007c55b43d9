#include "consent/consent/subject_trust.hpp"

#include <optional>

#include "consent/base/checked_int.hpp"

namespace consent {

bool is_browser_subject_id(std::string_view id) noexcept {
    if (id.size() != 24 || id.substr(0, 2) != "b_") return false;
    for (char c : id.substr(2)) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        if (!ok) return false;
    }
    return true;
}

Status check_speaker(std::string_view subject_id, Method method, Speaker speaker) {
    // The backend's route records server_withdraw and nothing else; the public
    // route never records it (a receipt's method says who withdrew).
    if ((method == Method::server_withdraw) != (speaker == Speaker::backend))
        return make_error("decision.method_not_allowed",
                          speaker == Speaker::backend ? "the backend records only server_withdraw"
                                                      : "server_withdraw is only for the backend withdrawal route",
                          "/method");
    if (speaker == Speaker::visitor && !is_browser_subject_id(subject_id))
        return make_error("subject.token_required",
                          "a subject id that was not made by the browser needs a subject token from the site's "
                          "backend, for every decision (a refusal or withdrawal too)",
                          "/subject_id");
    return Unit{};
}

Status check_erasure_speaker(std::string_view subject_id, Speaker speaker) {
    if (speaker == Speaker::visitor && !is_browser_subject_id(subject_id))
        return make_error("subject.token_required",
                          "erasing a subject id that was not made by the browser needs a subject token from the "
                          "site's backend",
                          "/subject_id");
    return Unit{};
}

std::string_view public_erasure_requester(Speaker speaker) noexcept {
    switch (speaker) {
        case Speaker::visitor: return kPublicBrowserRequester;
        case Speaker::vouched_visitor: return kPublicTokenRequester;
        case Speaker::backend: return {};
    }
    return {};
}

}  // namespace consent

namespace consent {
namespace {

const std::string* text_claim(const nlohmann::json& payload, const char* key) {
    const auto it = payload.find(key);
    return it != payload.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

// A time claim: an integer from 0 to kSubjectTokenMaxTime, else nullopt.
std::optional<std::int64_t> time_claim(const nlohmann::json& payload, const char* key) {
    const auto it = payload.find(key);
    if (it == payload.end()) return std::nullopt;
    const auto value = json_int64(*it);
    if (!value || *value < 0 || *value > kSubjectTokenMaxTime) return std::nullopt;
    return value;
}

Error claims_error() {
    return make_error("subject.token_claims",
                      "a subject token carries site, sub, and iat before exp as Unix seconds from 0 to 253402300799");
}

// RFC 7519 §4.1.4/§4.1.6 with this project's bounds: issued at most
// kClockSkewAllowance ahead of now, not expired, living at most an hour.
Status check_token_times(std::int64_t iat, std::int64_t exp, std::int64_t now) {
    const auto lifetime = checked_sub(exp, iat);  // both in 0..kSubjectTokenMaxTime: cannot fail
    if (!lifetime || *lifetime <= 0) return claims_error();
    if (*lifetime > kSubjectTokenMaxLifetime)
        return make_error("subject.token_too_long_lived", "a subject token may live one hour at most");
    // iat - now overflows only for a now far below any iat: then iat is in the future.
    const auto ahead = checked_sub(iat, now);
    if (!ahead || *ahead > kClockSkewAllowance)
        return make_error("subject.token_not_yet_valid", "the subject token is issued in the future");
    if (exp <= now) return make_error("subject.token_expired", "the subject token has expired");
    return Unit{};
}

}  // namespace

Status check_subject_token_claims(const nlohmann::json& payload, std::string_view site_id, std::string_view subject_id,
                                  std::int64_t now) {
    if (!payload.is_object()) return claims_error();
    const std::string* site = text_claim(payload, "site");
    const std::string* sub = text_claim(payload, "sub");
    const auto iat = time_claim(payload, "iat");
    const auto exp = time_claim(payload, "exp");
    if (site == nullptr || sub == nullptr || !iat || !exp) return claims_error();
    if (*site != site_id) return make_error("subject.token_wrong_site", "the subject token is for another site");
    if (*sub != subject_id) return make_error("subject.token_wrong_subject", "the subject token names another subject");
    return check_token_times(*iat, *exp, now);
}

}  // namespace consent
