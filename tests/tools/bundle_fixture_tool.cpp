// Writes (or, with --check, compares against) tests/data/bundles/erased_subject.json:
// a small log signed with a fixed test key, and the proof bundle of a subject
// erased in it, as consentd's export writes one. The core's bundle tests read
// the file natively and in wasm, where no signer exists (the core verifies and
// never signs); this native tool makes it, deterministically (Ed25519 is), and
// a test runs it with --check so the committed file cannot drift from the
// code that describes it.
//
// The log: 0 subject A accepts all; 1 subject B rejects all; 2 A changes its
// choice (prev = hash of 0); 3 the erasure receipt of A's receipts 0 and 2;
// 4 A decides anew after the erasure (a new chain: prev ""). A held the
// checkpoint at size 3 with the inclusion proofs of 0 and 2 (the banner keeps
// them); the bundle carries the checkpoint at size 5.
#include <sodium.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/crypto/sha256.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/checkpoint.hpp"
#include "consent/log/erasure.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/receipt.hpp"

namespace {

using namespace consent;
using nlohmann::json;

constexpr const char* kOrigin = "fixture.consent.example/log";
constexpr const char* kSite = "bike-shop";
constexpr const char* kSubjectA = "b_RXJhc2VkLXN1YmplY3QtQQ";
constexpr const char* kSubjectB = "b_S2VwdC1zdWJqZWN0LUJCQg";
constexpr std::int64_t kNow = 1767225600;  // 2026-01-01T00:00:00Z

[[noreturn]] void die(const std::string& what) {
    std::cerr << "bundle_fixture_tool: " << what << "\n";
    std::exit(1);
}

template <class T>
T must(Result<T> r, const char* what) {
    if (!r) die(std::string(what) + ": " + r.error().code + ": " + r.error().message);
    return std::move(r).value();
}

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) die("cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

struct Key {
    std::array<unsigned char, crypto_sign_PUBLICKEYBYTES> pub{};
    std::array<unsigned char, crypto_sign_SECRETKEYBYTES> secret{};
    std::string kid;

    Bytes sign(std::string_view message) const {
        Bytes signature(crypto_sign_BYTES);
        crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                             message.size(), secret.data());
        return signature;
    }
    json jwks() const {
        const std::string x = base64url_encode(Bytes(pub.begin(), pub.end()));
        return {
            {"keys", json::array({{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x}, {"kid", kid}, {"alg", "EdDSA"}}})}};
    }
};

Key fixed_key() {
    Key key;
    std::array<unsigned char, crypto_sign_SEEDBYTES> seed{};
    const std::string text = "consent bundle fixture: key #1";
    for (std::size_t i = 0; i < seed.size() && i < text.size(); ++i) seed[i] = static_cast<unsigned char>(text[i]);
    if (sodium_init() < 0) die("sodium_init");
    crypto_sign_seed_keypair(key.pub.data(), key.secret.data(), seed.data());
    // RFC 7638: the thumbprint of the required members, as consentd's key ring names keys.
    const json jwk = {
        {"crv", "Ed25519"}, {"kty", "OKP"}, {"x", base64url_encode(Bytes(key.pub.begin(), key.pub.end()))}};
    key.kid = base64url_encode(sha256(must(canonicalize(jwk), "thumbprint")));
    return key;
}

struct Fixture {
    Key key = fixed_key();
    Notice notice;
    std::string notice_hash;
    std::vector<std::string> leaves;
    std::vector<merkle::Hash> hashes;

    void add(std::string jws) {
        hashes.push_back(merkle::leaf_hash(jws));
        leaves.push_back(std::move(jws));
    }

    std::string receipt(const std::string& decision_id, const std::string& subject, Method method,
                        std::map<std::string, bool> choices, const std::string& prev) {
        DecisionRequest r;
        r.decision_id = decision_id;
        r.subject_id = subject;
        r.notice_id = notice.notice_id;
        r.notice_version = notice.version;
        r.notice_hash = notice_hash;
        r.language = "en";
        r.method = method;
        r.choices = std::move(choices);
        const Decision decision = must(make_decision(notice, notice_hash, r), "make_decision");
        const auto index = static_cast<std::int64_t>(leaves.size());
        const ReceiptFacts facts{"rcpt_fx" + std::to_string(index), kSite, kNow + index, index, prev};
        if (auto ok = check_receipt_inputs(notice, notice_hash, decision, facts); !ok) die(ok.error().code);
        const std::string input = must(
            jws_signing_input(receipt_jws_header(key.kid), make_receipt_payload(notice, decision, facts)), "input");
        return jws_compact(input, key.sign(input));
    }

    std::string erasure(const std::vector<std::int64_t>& erased) {
        ErasureContents c;
        const auto index = static_cast<std::int64_t>(leaves.size());
        c.facts = ErasureFacts{
            "ers_fx" + std::to_string(index), kSite, kNow + index, index, "", "subject_request", "consentctl"};
        for (auto i : erased) {
            const std::string& jws = leaves[static_cast<std::size_t>(i)];
            c.erased.push_back(must(erased_entry(must(parse_compact_jws(jws), "parse"), jws), "erased_entry"));
        }
        if (auto ok = check_erasure(c); !ok) die(ok.error().code);
        const std::string input =
            must(jws_signing_input(erasure_jws_header(key.kid), make_erasure_payload(c)), "erasure input");
        return jws_compact(input, key.sign(input));
    }

    std::string checkpoint_at(std::int64_t size) const {
        const std::vector<merkle::Hash> prefix(hashes.begin(), hashes.begin() + size);
        const std::string body =
            checkpoint::body_text({kOrigin, size, merkle::root_from_leaf_hashes(prefix), kNow + size});
        return checkpoint::assemble(body, kOrigin, checkpoint::ed25519_key_hash(kOrigin, key.pub.data()),
                                    key.sign(body));
    }

    json proof(std::int64_t index, std::int64_t size) const {
        const std::vector<merkle::Hash> prefix(hashes.begin(), hashes.begin() + size);
        json out = json::array();
        for (const auto& h : must(merkle::inclusion_proof(prefix, static_cast<std::uint64_t>(index)), "proof"))
            out.push_back(base64_encode(h));
        return out;
    }

    json entry(const char* id_name, std::int64_t index, std::int64_t size) const {
        const std::string prefix = std::string(id_name) == "erasure_id" ? "ers_fx" : "rcpt_fx";
        return {{id_name, prefix + std::to_string(index)},
                {"log_index", index},
                {"jws", leaves[static_cast<std::size_t>(index)]},
                {"inclusion_proof", proof(index, size)}};
    }

    // As ConsentService::export_subject writes a bundle (state and acknowledgements left out: verify reads neither).
    json bundle(const char* subject, const std::vector<std::int64_t>& receipts,
                const std::vector<std::int64_t>& erasures, std::int64_t size) const {
        json out = {
            {"bundle", "consent-proof-bundle/1"},
            {"site", kSite},
            {"subject", subject},
            {"receipts", json::array()},
            {"notices",
             {{std::to_string(notice.version),
               {{"hash", notice_hash}, {"canonical_json", must(canonicalize(notice_to_json(notice)), "notice")}}}}},
            {"keys", key.jwks()},
            {"log", {{"origin", kOrigin}, {"checkpoint", checkpoint_at(size)}}},
            {"erased", !erasures.empty()}};
        for (auto i : receipts) out["receipts"].push_back(entry("receipt_id", i, size));
        if (!erasures.empty()) {
            out["erasures"] = json::array();
            for (auto i : erasures) out["erasures"].push_back(entry("erasure_id", i, size));
        }
        return out;
    }
};

std::string make_fixture(const std::string& notice_path) {
    Fixture f;
    f.notice = must(parse_notice_text(read(notice_path)), "notice");
    f.notice_hash = notice_content_hash(f.notice);
    f.add(f.receipt("dec-fx-0", kSubjectA, Method::accept_all, {}, ""));
    f.add(f.receipt("dec-fx-1", kSubjectB, Method::reject_all, {}, ""));
    f.add(f.receipt("dec-fx-2", kSubjectA, Method::custom, {{"analytics", true}, {"marketing", false}},
                    receipt_hash(f.leaves[0])));
    const std::string held_checkpoint = f.checkpoint_at(3);
    const json held_proofs = {{{"log_index", 0}, {"tree_size", 3}, {"inclusion_proof", f.proof(0, 3)}},
                              {{"log_index", 2}, {"tree_size", 3}, {"inclusion_proof", f.proof(2, 3)}}};
    f.add(f.erasure({0, 2}));
    f.add(f.receipt("dec-fx-4", kSubjectA, Method::accept_all, {}, ""));
    json consistency_proof = json::array();
    for (const auto& h : must(merkle::consistency_proof(f.hashes, 3), "consistency"))
        consistency_proof.push_back(base64_encode(h));
    const json fixture = {
        {"about",
         "Written by tests/tools/bundle_fixture_tool.cpp (a fixed test key; see its comment). "
         "bundle: subject A's export after the erasure of its receipts 0 and 2; held: those two receipts "
         "as the banner kept them, with their proofs at the checkpoint it held; plain: subject B's export."},
        {"bundle", f.bundle(kSubjectA, {4}, {3}, 5)},
        {"held", {f.leaves[0], f.leaves[2]}},
        {"held_proofs", held_proofs},
        {"checkpoint", held_checkpoint},
        {"consistency", {{"from", 3}, {"to", 5}, {"proof", consistency_proof}}},
        {"plain", f.bundle(kSubjectB, {1}, {}, 5)},
        {"other_receipt", f.leaves[1]}};
    return fixture.dump(1) + "\n";
}

}  // namespace

// bundle_fixture_tool NOTICE_JSON OUT           writes the fixture
// bundle_fixture_tool NOTICE_JSON OUT --check   exits 1 if OUT differs from what it would write
int main(int argc, char** argv) {
    if (argc < 3 || argc > 4 || (argc == 4 && std::string(argv[3]) != "--check"))
        die("usage: bundle_fixture_tool NOTICE_JSON OUT [--check]");
    const std::string text = make_fixture(argv[1]);
    if (argc == 4) {
        if (read(argv[2]) != text) die(std::string(argv[2]) + " is not what this tool writes: run it without --check");
        return 0;
    }
    std::ofstream out(argv[2], std::ios::binary);
    out << text;
    if (!out) die(std::string("cannot write ") + argv[2]);
    return 0;
}
