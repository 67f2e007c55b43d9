#include "crypto/random_id.hpp"

#include <atomic>
#include <cstdlib>
#include <vector>

#include <sodium.h>

#include "consent/crypto/encoding.hpp"

namespace consent::server {

std::string random_id(std::string_view prefix, std::size_t bytes) {
    // sodium_init() is idempotent and thread-safe. It fails only when the OS
    // has no entropy source; handing out guessable ids would be worse than stopping.
    if (sodium_init() < 0) std::abort();
    std::vector<std::uint8_t> buffer(bytes);
    randombytes_buf(buffer.data(), buffer.size());
    return std::string(prefix) + base64url_encode(buffer);
}

std::string ordered_random_id(std::string_view prefix, std::int64_t now_seconds, std::size_t bytes) {
    static std::atomic<std::uint32_t> sequence{0};
    // 40 bits of seconds (until the year 36812) and 24 of a counter that wraps:
    // ids made in one second sort by the counter, the next second sorts after.
    const auto seconds = static_cast<std::uint64_t>(now_seconds < 0 ? 0 : now_seconds) & 0xFFFFFFFFFFull;
    const std::uint64_t ordered = (seconds << 24) | (sequence.fetch_add(1, std::memory_order_relaxed) & 0xFFFFFFu);
    static const char kHex[] = "0123456789abcdef";
    std::string id(prefix);
    for (int shift = 60; shift >= 0; shift -= 4) id.push_back(kHex[(ordered >> shift) & 0xF]);
    return id + random_id("", bytes);
}

}  // namespace consent::server
