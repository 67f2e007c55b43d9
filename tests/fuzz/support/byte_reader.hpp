// Structured input for a fuzz target: numbers and choices read from the
// front of the fuzzer's bytes, zero once they run out (so every input means
// something, and libFuzzer's byte mutations become changes of the choices).
#pragma once

#include <cstddef>
#include <cstdint>

namespace consent::fuzz {

class ByteReader {
public:
    ByteReader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    bool empty() const { return pos_ >= size_; }
    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
        return v;
    }
    // A value in [0, bound) (bound > 0).
    std::size_t below(std::size_t bound) { return (static_cast<std::size_t>(byte()) << 8 | byte()) % bound; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

}  // namespace consent::fuzz
