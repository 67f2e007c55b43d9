// SHA-256 (FIPS 180-4), implemented in the core itself so that notice hashes and
// Merkle hashes are the same bytes natively and in WebAssembly, with no host
// crypto library on either side. Pure: no I/O, no state between calls.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace consent {

inline constexpr std::size_t kSha256Size = 32;
using Sha256Digest = std::array<std::uint8_t, kSha256Size>;

// Incremental form, for hashing a prefix byte and a payload without copying.
class Sha256 {
public:
    Sha256() noexcept;
    void update(const std::uint8_t* data, std::size_t size) noexcept;
    void update(std::string_view bytes) noexcept;
    Sha256Digest finish() noexcept;  // the object must not be reused after finish()

private:
    void compress(const std::uint8_t* block) noexcept;
    std::array<std::uint32_t, 8> state_;
    std::array<std::uint8_t, 64> buffer_;
    std::size_t buffered_ = 0;
    std::uint64_t total_bytes_ = 0;
};

Sha256Digest sha256(std::string_view bytes) noexcept;

}  // namespace consent
