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
