// Scalars mod L for the Ed25519 verifier. Reduction is a bit at a time
// (shift in, subtract L if reached): slow as reductions go, but it runs once
// per verification and is plainly correct.
#include "ed25519_scalar.hpp"

namespace consent::ed25519_detail {
namespace {

using Words = std::array<std::uint32_t, 8>;  // little-endian 32-bit words

// L = 2^252 + 27742317777372353535851937790883648493 (RFC 8032 §5.1).
constexpr Words kOrder = {0x5cf5d3edu, 0x5812631au, 0xa2f79cd6u, 0x14def9deu,
                          0x00000000u, 0x00000000u, 0x00000000u, 0x10000000u};

Words words_from_bytes(const std::uint8_t bytes[32]) noexcept {
    Words w{};
    for (std::size_t i = 0; i < 32; ++i) w[i / 4] |= std::uint32_t{bytes[i]} << (8 * (i % 4));
    return w;
}

bool less_than(const Words& a, const Words& b) noexcept {
    for (std::size_t i = a.size(); i-- > 0;) {
        if (a[i] != b[i]) return a[i] < b[i];
    }
    return false;
}

// a -= b, for a >= b.
void subtract(Words& a, const Words& b) noexcept {
    std::uint64_t borrow = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const std::uint64_t difference = std::uint64_t{a[i]} - b[i] - borrow;
        a[i] = static_cast<std::uint32_t>(difference);
        borrow = (difference >> 32) & 1;
    }
}

// r = 2r + bit; r < L < 2^253 before, so nothing leaves the top word.
void shift_in(Words& r, std::uint32_t bit) noexcept {
    for (std::size_t i = r.size(); i-- > 1;) r[i] = (r[i] << 1) | (r[i - 1] >> 31);
    r[0] = (r[0] << 1) | bit;
}

}  // namespace

bool scalar_is_canonical(const std::uint8_t s[32]) noexcept { return less_than(words_from_bytes(s), kOrder); }

ScalarBytes scalar_reduce(const std::uint8_t* bytes, std::size_t size) noexcept {
    Words r{};
    for (std::size_t bit = 8 * size; bit-- > 0;) {
        shift_in(r, static_cast<std::uint32_t>((bytes[bit / 8] >> (bit % 8)) & 1));
        if (!less_than(r, kOrder)) subtract(r, kOrder);
    }
    ScalarBytes out{};
    for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = static_cast<std::uint8_t>(r[i / 4] >> (8 * (i % 4)));
    }
    return out;
}

}  // namespace consent::ed25519_detail
