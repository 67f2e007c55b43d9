// SHA-512 (FIPS 180-4), implemented in the core itself because Ed25519
// (RFC 8032 §5.1) hashes with it and signatures must verify to the same answer
// natively and in WebAssembly, with no host crypto library on either side.
// Pure: no I/O, no state between calls.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace consent {

inline constexpr std::size_t kSha512Size = 64;
using Sha512Digest = std::array<std::uint8_t, kSha512Size>;

// Incremental form, for hashing R || A || M (RFC 8032 §5.1.7) without copying.
class Sha512 {
public:
    Sha512() noexcept;
    void update(const std::uint8_t* data, std::size_t size) noexcept;
    void update(std::string_view bytes) noexcept;
    Sha512Digest finish() noexcept;  // the object must not be reused after finish()

private:
    void compress(const std::uint8_t* block) noexcept;
    std::array<std::uint64_t, 8> state_;
    std::array<std::uint8_t, 128> buffer_;
    std::size_t buffered_ = 0;
    std::uint64_t total_bytes_ = 0;
};

Sha512Digest sha512(std::string_view bytes) noexcept;

}  // namespace consent
