// Per-site secrets for keyed pseudonyms (issue #13, docs/erasure.md): account
// ids are stored as HMAC-SHA-256 under the site's secret, never in plain, and
// so are the tags that remember an erased subject. 32 random bytes per site,
// in <keys>/pseudonyms/<site>.secret (0600, the directory 0700), made on first
// use. Deleting a site's file unlinks every pseudonym of it at once. Never
// logged, never exported; the key ring ignores the subdirectory.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "consent/base/result.hpp"

namespace consent::server {

using Mac = std::array<std::uint8_t, 32>;

class SiteSecrets {
public:
    explicit SiteSecrets(std::string keys_dir) : dir_(std::move(keys_dir) + "/pseudonyms") {}

    // HMAC-SHA-256(site secret, label || 0x00 || text). Errors: keys.io_error,
    // keys.unsafe_permissions (a secret file others may read), keys.corrupt.
    Result<Mac> mac(const std::string& site_id, std::string_view label, std::string_view text);

private:
    Result<std::vector<std::uint8_t>> secret(const std::string& site_id);

    std::string dir_;
    std::mutex mutex_;
    std::map<std::string, std::vector<std::uint8_t>> cache_;  // read once per site
};

}  // namespace consent::server
