// The keys a notice may use to override the banner's control labels. They are
// part of the notice format (notice parsing rejects any other key), so they live
// beside the notice; the built-in texts for each key are the banner's (labels.hpp).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace consent {

// Label keys, in a stable order: accept_all, reject_all, choose, save,
// privacy_choices, always_on, gpc_applied, back, dialog_label, privacy_policy,
// download_receipts, delete_records (keys are added, never renamed).
const std::vector<std::string>& label_keys();
bool is_label_key(std::string_view key) noexcept;

}  // namespace consent
