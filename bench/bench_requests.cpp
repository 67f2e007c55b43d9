#include "bench_requests.hpp"

#include <array>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "consent/crypto/encoding.hpp"

namespace consent::bench {

std::string random_token(std::mt19937_64& rng) {
    std::array<std::uint8_t, 16> bytes{};
    for (std::size_t i = 0; i < bytes.size(); i += 8) {
        const std::uint64_t word = rng();
        for (std::size_t b = 0; b < 8; ++b) bytes[i + b] = static_cast<std::uint8_t>(word >> (8 * b));
    }
    return base64url_encode(bytes.data(), bytes.size());
}

std::string decision_body(const server::StoredNotice& notice, const std::string& subject, const std::string& id) {
    return nlohmann::json{{"decision_id", id},
                          {"subject_id", subject},
                          {"notice_id", notice.notice.notice_id},
                          {"notice_version", notice.notice.version},
                          {"notice_hash", notice.content_hash},
                          {"language", "en"},
                          {"method", "accept_all"}}
        .dump();
}

}  // namespace consent::bench
