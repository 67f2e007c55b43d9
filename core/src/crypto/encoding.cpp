// Hex and base64 (RFC 4648). Decoders are strict because their input is
// untrusted (proofs, receipts, JWS): one byte string has exactly one accepted
// text form, so two different texts never decode to the same bytes.
#include "consent/crypto/encoding.hpp"

#include <string>

namespace consent {
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
// RFC 4648 §4 and §5: the two alphabets differ only in their last two symbols.
constexpr char kBase64Alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kBase64UrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kPad = '=';

Error invalid_hex(const std::string& why) { return make_error("encoding.invalid_hex", "hex text " + why + "."); }

Error invalid_base64(const std::string& why) {
    return make_error("encoding.invalid_base64", "base64 text " + why + ".");
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Position of c in alphabet, or -1. The 62 alphanumerics are computed so
// that only the two alphabet-specific symbols are looked up.
int sextet_value(char c, const char* alphabet) noexcept {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == alphabet[62]) return 62;
    if (c == alphabet[63]) return 63;
    return -1;
}

// RFC 4648 §4: 24-bit groups become four 6-bit symbols; a final group of one
// or two bytes gives two or three symbols, then padding if requested.
std::string encode_sextets(const std::uint8_t* data, std::size_t size, const char* alphabet, bool pad) {
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    std::uint32_t acc = 0;
    unsigned bits = 0;
    for (std::size_t i = 0; i < size; ++i) {
        acc = (acc << 8) | data[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out.push_back(alphabet[(acc >> bits) & 0x3Fu]);
        }
        acc &= (1u << bits) - 1u;  // keep only unconsumed bits so acc never overflows
    }
    if (bits > 0) out.push_back(alphabet[(acc << (6u - bits)) & 0x3Fu]);
    while (pad && out.size() % 4 != 0) out.push_back(kPad);
    return out;
}

// Decodes symbols without padding. RFC 4648 §3.5: the bits left over after the
// last whole byte must be zero, otherwise several texts would decode alike.
Result<Bytes> decode_sextets(std::string_view text, const char* alphabet) {
    // One symbol carries 6 bits: it cannot finish a byte on its own.
    if (text.size() % 4 == 1) return invalid_base64("has an impossible length");
    Bytes out;
    out.reserve(text.size() / 4 * 3 + 2);
    std::uint32_t acc = 0;
    unsigned bits = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const int value = sextet_value(text[i], alphabet);
        if (value < 0) {
            return invalid_base64("has a character outside its alphabet at offset " + std::to_string(i));
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(value);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(acc >> bits));
            acc &= (1u << bits) - 1u;
        }
    }
    if (acc != 0) return invalid_base64("has non-zero trailing bits");
    return out;
}

}  // namespace

std::string hex_encode(const std::uint8_t* data, std::size_t size) {
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out.push_back(kHexDigits[data[i] >> 4]);
        out.push_back(kHexDigits[data[i] & 0x0Fu]);
    }
    return out;
}

// RFC 4648 §8 (base16), accepting either case as the header documents.
Result<Bytes> hex_decode(std::string_view text) {
    if (text.size() % 2 != 0) return invalid_hex("has an odd length");
    Bytes out;
    out.reserve(text.size() / 2);
    for (std::size_t i = 0; i < text.size(); i += 2) {
        const int high = hex_value(text[i]);
        const int low = hex_value(text[i + 1]);
        if (high < 0 || low < 0) {
            return invalid_hex("has a non-hex character at offset " + std::to_string(high < 0 ? i : i + 1));
        }
        out.push_back(static_cast<std::uint8_t>((high << 4) | low));
    }
    return out;
}

std::string base64_encode(const std::uint8_t* data, std::size_t size) {
    return encode_sextets(data, size, kBase64Alphabet, true);
}

// RFC 4648 §4 with §3.2 padding required and §3.3 no other characters (no
// whitespace, no line breaks): the length is a multiple of 4 and at most two
// '=' end the text.
Result<Bytes> base64_decode(std::string_view text) {
    if (text.size() % 4 != 0) return invalid_base64("length is not a multiple of 4");
    std::size_t symbols = text.size();
    for (int i = 0; i < 2 && symbols > 0 && text[symbols - 1] == kPad; ++i) --symbols;
    // Any '=' left inside the symbols is rejected there as outside the alphabet.
    return decode_sextets(text.substr(0, symbols), kBase64Alphabet);
}

std::string base64url_encode(const std::uint8_t* data, std::size_t size) {
    return encode_sextets(data, size, kBase64UrlAlphabet, false);
}

// RFC 7515 §2: base64url with all trailing '=' omitted, so '=' is rejected.
Result<Bytes> base64url_decode(std::string_view text) { return decode_sextets(text, kBase64UrlAlphabet); }

}  // namespace consent
