#include "consent/log/checkpoint.hpp"

#include <algorithm>
#include <cstring>

#include "consent/crypto/ed25519.hpp"
#include "consent/crypto/sha256.hpp"

namespace consent::checkpoint {
namespace {

constexpr std::string_view kSignaturePrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, then a space
constexpr std::string_view kTimePrefix = "time ";
constexpr std::size_t kMaxNote = 8192;

Error malformed(const std::string& why) { return make_error("checkpoint.malformed", "the checkpoint " + why); }

// Splits text into lines, each without its '\n'; the text must end with '\n'.
std::vector<std::string_view> lines_of(std::string_view text) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (start < text.size()) {
        const auto nl = text.find('\n', start);
        if (nl == std::string_view::npos) break;
        out.push_back(text.substr(start, nl - start));
        start = nl + 1;
    }
    return out;
}

// A decimal without sign or leading zeros (C2SP tlog-checkpoint: tree size).
bool parse_decimal(std::string_view text, std::int64_t& out) {
    if (text.empty() || text.size() > 18 || (text.size() > 1 && text[0] == '0')) return false;
    std::int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    out = value;
    return true;
}

Status parse_body(const std::vector<std::string_view>& lines, Body& body) {
    if (lines.size() < 4) return malformed("body needs origin, size, root and time lines");
    if (lines[0].empty()) return malformed("has an empty origin line");
    body.origin = std::string(lines[0]);
    if (!parse_decimal(lines[1], body.tree_size)) return malformed("tree size is not a decimal number");
    auto root = base64_decode(lines[2]);
    if (!root || root->size() != kSha256Size)
        return make_error("checkpoint.bad_root", "the root hash is not 32 bytes of base64");
    std::copy(root->begin(), root->end(), body.root.begin());
    if (lines[3].substr(0, kTimePrefix.size()) != kTimePrefix ||
        !parse_decimal(lines[3].substr(kTimePrefix.size()), body.timestamp))
        return malformed("time line is not \"time <unix seconds>\"");
    return Unit{};
}

Result<Signature> parse_signature_line(std::string_view line) {
    if (line.substr(0, kSignaturePrefix.size()) != kSignaturePrefix)
        return malformed("signature line does not start with an em dash and a space");
    const std::string_view rest = line.substr(kSignaturePrefix.size());
    const auto space = rest.find(' ');
    if (space == 0 || space == std::string_view::npos) return malformed("signature line has no key name");
    auto blob = base64_decode(rest.substr(space + 1));
    if (!blob || blob->size() < 5) return malformed("signature is not base64 of a key hash and a signature");
    Signature s;
    s.key_name = std::string(rest.substr(0, space));
    std::copy(blob->begin(), blob->begin() + 4, s.key_hash.begin());
    s.signature.assign(blob->begin() + 4, blob->end());
    return s;
}

}  // namespace

std::string body_text(const Body& body) {
    return body.origin + "\n" + std::to_string(body.tree_size) + "\n" + base64_encode(body.root) + "\n" +
           std::string(kTimePrefix) + std::to_string(body.timestamp) + "\n";
}

std::array<std::uint8_t, 4> ed25519_key_hash(std::string_view key_name, const std::uint8_t* public_key) {
    Sha256 h;
    h.update(key_name);
    const std::uint8_t separator_and_type[2] = {0x0A, 0x01};  // signed-note: "\n", then alg 0x01 (Ed25519)
    h.update(separator_and_type, sizeof separator_and_type);
    h.update(public_key, 32);
    const auto digest = h.finish();
    return {digest[0], digest[1], digest[2], digest[3]};
}

std::string assemble(const std::string& signed_text, std::string_view key_name,
                     const std::array<std::uint8_t, 4>& key_hash, const Bytes& signature) {
    Bytes blob(key_hash.begin(), key_hash.end());
    blob.insert(blob.end(), signature.begin(), signature.end());
    return signed_text + "\n" + std::string(kSignaturePrefix) + std::string(key_name) + " " + base64_encode(blob) +
           "\n";
}

Result<Note> parse(std::string_view text) {
    if (text.size() > kMaxNote) return malformed("is too long");
    if (text.empty() || text.back() != '\n') return malformed("does not end with a newline");
    const auto blank = text.find("\n\n");
    if (blank == std::string_view::npos) return malformed("has no blank line before its signatures");
    Note note;
    note.signed_text = std::string(text.substr(0, blank + 1));
    if (auto s = parse_body(lines_of(note.signed_text), note.body); !s) return s.error();
    for (const auto line : lines_of(text.substr(blank + 2))) {
        auto sig = parse_signature_line(line);
        if (!sig) return sig.error();
        note.signatures.push_back(std::move(sig).value());
    }
    if (note.signatures.empty()) return malformed("has no signature");
    return note;
}

Status verify(const Note& note, std::string_view expected_origin, std::string_view key_name,
              const std::uint8_t* public_key) {
    if (note.body.origin != expected_origin)
        return make_error("checkpoint.wrong_origin", "the checkpoint is from another log");
    const auto hash = ed25519_key_hash(key_name, public_key);
    for (const auto& s : note.signatures) {
        if (s.key_name != key_name || s.key_hash != hash) continue;
        const Bytes key(public_key, public_key + 32);
        if (ed25519_verify(key, note.signed_text, s.signature)) return Unit{};
        return make_error("checkpoint.signature_invalid", "the checkpoint's signature does not verify");
    }
    return make_error("checkpoint.no_signature_for_key", "the checkpoint is not signed by this key");
}

}  // namespace consent::checkpoint
