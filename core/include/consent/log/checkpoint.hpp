// Checkpoints: signed tree heads of the receipt log, as C2SP signed notes
// (c2sp.org/tlog-checkpoint and c2sp.org/signed-note), so that transparency-log
// tooling can read them. The note text is
//
//   <origin>\n<tree size>\n<base64 root hash>\ntime <unix seconds>\n
//
// (the fourth line is an extension line), then a blank line, then one line per
// signature: "— <key name> <base64(key hash || Ed25519 signature)>\n".
// Formatting, parsing and verification live here so that the server, the CLI
// verifier and the browser (wasm) agree on every byte.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/log/merkle.hpp"

namespace consent::checkpoint {

struct Body {
    std::string origin;  // the log's identity, e.g. "consentd.example/receipts"
    std::int64_t tree_size = 0;
    merkle::Hash root{};
    std::int64_t timestamp = 0;
};

struct Signature {
    std::string key_name;
    std::array<std::uint8_t, 4> key_hash{};
    Bytes signature;  // 64 bytes for Ed25519
};

struct Note {
    Body body;
    std::string signed_text;  // what each signature covers: the body lines, newline-terminated
    std::vector<Signature> signatures;
};

// The body text that is signed.
std::string body_text(const Body& body);

// signed-note key hash for an Ed25519 key: the first 4 bytes of
// SHA-256(key name || 0x0A || 0x01 || public key).
std::array<std::uint8_t, 4> ed25519_key_hash(std::string_view key_name, const std::uint8_t* public_key);

// body_text + "\n" + one signature line.
std::string assemble(const std::string& signed_text, std::string_view key_name,
                     const std::array<std::uint8_t, 4>& key_hash, const Bytes& signature);

// Strict parse. Codes: checkpoint.malformed (with what is wrong), checkpoint.bad_root.
Result<Note> parse(std::string_view note);

// Ok when some signature line names key_name with this key's hash and its
// Ed25519 signature over signed_text verifies. Codes: checkpoint.no_signature_for_key,
// checkpoint.signature_invalid, checkpoint.wrong_origin.
Status verify(const Note& note, std::string_view expected_origin, std::string_view key_name,
              const std::uint8_t* public_key);

}  // namespace consent::checkpoint
