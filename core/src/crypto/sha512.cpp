// SHA-512 as specified in FIPS 180-4. Written like sha256.cpp: plain 64-bit
// arithmetic and explicit big-endian byte handling (no intrinsics, no memcpy of
// words), so the digest is the same bytes on x86-64 and wasm32.
#include "consent/crypto/sha512.hpp"

#include <algorithm>
#include <cstddef>
#include <cstring>

namespace consent {
namespace {

// FIPS 180-4 §4.2.3: first 64 bits of the fractional parts of the cube roots
// of the first 80 primes.
constexpr std::array<std::uint64_t, 80> kRoundConstants = {
    0x428a2f98d728ae22ull, 0x7137449123ef65cdull, 0xb5c0fbcfec4d3b2full, 0xe9b5dba58189dbbcull, 0x3956c25bf348b538ull,
    0x59f111f1b605d019ull, 0x923f82a4af194f9bull, 0xab1c5ed5da6d8118ull, 0xd807aa98a3030242ull, 0x12835b0145706fbeull,
    0x243185be4ee4b28cull, 0x550c7dc3d5ffb4e2ull, 0x72be5d74f27b896full, 0x80deb1fe3b1696b1ull, 0x9bdc06a725c71235ull,
    0xc19bf174cf692694ull, 0xe49b69c19ef14ad2ull, 0xefbe4786384f25e3ull, 0x0fc19dc68b8cd5b5ull, 0x240ca1cc77ac9c65ull,
    0x2de92c6f592b0275ull, 0x4a7484aa6ea6e483ull, 0x5cb0a9dcbd41fbd4ull, 0x76f988da831153b5ull, 0x983e5152ee66dfabull,
    0xa831c66d2db43210ull, 0xb00327c898fb213full, 0xbf597fc7beef0ee4ull, 0xc6e00bf33da88fc2ull, 0xd5a79147930aa725ull,
    0x06ca6351e003826full, 0x142929670a0e6e70ull, 0x27b70a8546d22ffcull, 0x2e1b21385c26c926ull, 0x4d2c6dfc5ac42aedull,
    0x53380d139d95b3dfull, 0x650a73548baf63deull, 0x766a0abb3c77b2a8ull, 0x81c2c92e47edaee6ull, 0x92722c851482353bull,
    0xa2bfe8a14cf10364ull, 0xa81a664bbc423001ull, 0xc24b8b70d0f89791ull, 0xc76c51a30654be30ull, 0xd192e819d6ef5218ull,
    0xd69906245565a910ull, 0xf40e35855771202aull, 0x106aa07032bbd1b8ull, 0x19a4c116b8d2d0c8ull, 0x1e376c085141ab53ull,
    0x2748774cdf8eeb99ull, 0x34b0bcb5e19b48a8ull, 0x391c0cb3c5c95a63ull, 0x4ed8aa4ae3418acbull, 0x5b9cca4f7763e373ull,
    0x682e6ff3d6b2b8a3ull, 0x748f82ee5defb2fcull, 0x78a5636f43172f60ull, 0x84c87814a1f0ab72ull, 0x8cc702081a6439ecull,
    0x90befffa23631e28ull, 0xa4506cebde82bde9ull, 0xbef9a3f7b2c67915ull, 0xc67178f2e372532bull, 0xca273eceea26619cull,
    0xd186b8c721c0c207ull, 0xeada7dd6cde0eb1eull, 0xf57d4f7fee6ed178ull, 0x06f067aa72176fbaull, 0x0a637dc5a2c898a6ull,
    0x113f9804bef90daeull, 0x1b710b35131c471bull, 0x28db77f523047d84ull, 0x32caab7b40c72493ull, 0x3c9ebe0a15c9bebcull,
    0x431d67c49c100d4cull, 0x4cc5d4becb3e42b6ull, 0x597f299cfc657e2aull, 0x5fcb6fab3ad6faecull, 0x6c44198c4a475817ull,
};

// FIPS 180-4 §5.3.5: initial hash value H(0), the first 64 bits of the
// fractional parts of the square roots of the first 8 primes.
constexpr std::array<std::uint64_t, 8> kInitialState = {
    0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
    0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
};

constexpr std::size_t kBlockSize = 128;
constexpr std::size_t kLengthSize = 16;  // FIPS 180-4 §5.1.2: a 128-bit message length

// FIPS 180-4 §3.2: ROTR^n(x); n is always in 1..63 here, so no shift by 64.
constexpr std::uint64_t rotr(std::uint64_t x, unsigned n) noexcept { return (x >> n) | (x << (64u - n)); }

// FIPS 180-4 §4.1.3 functions.
constexpr std::uint64_t ch(std::uint64_t x, std::uint64_t y, std::uint64_t z) noexcept { return (x & y) ^ (~x & z); }
constexpr std::uint64_t maj(std::uint64_t x, std::uint64_t y, std::uint64_t z) noexcept {
    return (x & y) ^ (x & z) ^ (y & z);
}
constexpr std::uint64_t big_sigma0(std::uint64_t x) noexcept { return rotr(x, 28) ^ rotr(x, 34) ^ rotr(x, 39); }
constexpr std::uint64_t big_sigma1(std::uint64_t x) noexcept { return rotr(x, 14) ^ rotr(x, 18) ^ rotr(x, 41); }
constexpr std::uint64_t small_sigma0(std::uint64_t x) noexcept { return rotr(x, 1) ^ rotr(x, 8) ^ (x >> 7); }
constexpr std::uint64_t small_sigma1(std::uint64_t x) noexcept { return rotr(x, 19) ^ rotr(x, 61) ^ (x >> 6); }

std::uint64_t load_be64(const std::uint8_t* p) noexcept {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | std::uint64_t{p[i]};
    return v;
}

void store_be64(std::uint64_t v, std::uint8_t* p) noexcept {
    for (std::size_t i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (56 - 8 * i));
}

// FIPS 180-4 §6.4.2 step 1: the message schedule W0..W79.
std::array<std::uint64_t, 80> message_schedule(const std::uint8_t* block) noexcept {
    std::array<std::uint64_t, 80> w{};
    for (std::size_t t = 0; t < 16; ++t) w[t] = load_be64(block + 8 * t);
    for (std::size_t t = 16; t < 80; ++t) {
        w[t] = small_sigma1(w[t - 2]) + w[t - 7] + small_sigma0(w[t - 15]) + w[t - 16];
    }
    return w;
}

}  // namespace

Sha512::Sha512() noexcept : state_(kInitialState), buffer_{} {}

// FIPS 180-4 §6.4.2 steps 2-4: 80 rounds, then add into the running state.
void Sha512::compress(const std::uint8_t* block) noexcept {
    const std::array<std::uint64_t, 80> w = message_schedule(block);
    std::uint64_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
    std::uint64_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
    for (std::size_t t = 0; t < 80; ++t) {
        const std::uint64_t t1 = h + big_sigma1(e) + ch(e, f, g) + kRoundConstants[t] + w[t];
        const std::uint64_t t2 = big_sigma0(a) + maj(a, b, c);
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state_[0] += a;
    state_[1] += b;
    state_[2] += c;
    state_[3] += d;
    state_[4] += e;
    state_[5] += f;
    state_[6] += g;
    state_[7] += h;
}

void Sha512::update(const std::uint8_t* data, std::size_t size) noexcept {
    // memcpy with a null pointer is undefined even for zero bytes.
    if (size == 0) return;
    total_bytes_ += size;
    if (buffered_ > 0) {
        const std::size_t take = std::min(size, kBlockSize - buffered_);
        std::memcpy(buffer_.data() + buffered_, data, take);
        buffered_ += take;
        data += take;
        size -= take;
        if (buffered_ < kBlockSize) return;
        compress(buffer_.data());
        buffered_ = 0;
    }
    // Whole blocks straight from the input, without copying.
    for (; size >= kBlockSize; data += kBlockSize, size -= kBlockSize) compress(data);
    if (size > 0) {
        std::memcpy(buffer_.data(), data, size);
        buffered_ = size;
    }
}

void Sha512::update(std::string_view bytes) noexcept {
    update(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

// FIPS 180-4 §5.1.2: append 0x80, zeros to 112 mod 128, then the message length
// in bits as a 128-bit big-endian integer. The byte count is a 64-bit value, so
// the high word of the bit length holds only its top three bits.
Sha512Digest Sha512::finish() noexcept {
    const std::uint64_t bit_length_high = total_bytes_ >> 61;
    const std::uint64_t bit_length_low = total_bytes_ << 3;
    buffer_[buffered_++] = 0x80;
    if (buffered_ > kBlockSize - kLengthSize) {
        std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_), buffer_.end(), 0);
        compress(buffer_.data());
        buffered_ = 0;
    }
    std::fill(buffer_.begin() + static_cast<std::ptrdiff_t>(buffered_),
              buffer_.end() - static_cast<std::ptrdiff_t>(kLengthSize), 0);
    store_be64(bit_length_high, buffer_.data() + kBlockSize - 16);
    store_be64(bit_length_low, buffer_.data() + kBlockSize - 8);
    compress(buffer_.data());

    Sha512Digest digest{};
    for (std::size_t i = 0; i < state_.size(); ++i) store_be64(state_[i], digest.data() + 8 * i);
    return digest;
}

Sha512Digest sha512(std::string_view bytes) noexcept {
    Sha512 hasher;
    hasher.update(bytes);
    return hasher.finish();
}

}  // namespace consent
