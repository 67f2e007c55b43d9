#include "consent/consent/label_keys.hpp"

#include <algorithm>

namespace consent {

const std::vector<std::string>& label_keys() {
    static const std::vector<std::string> keys{
        "accept_all",  "reject_all", "choose",       "save",           "privacy_choices",   "always_on",
        "gpc_applied", "back",       "dialog_label", "privacy_policy", "download_receipts", "delete_records"};
    return keys;
}

bool is_label_key(std::string_view key) noexcept {
    const auto& keys = label_keys();
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

}  // namespace consent
