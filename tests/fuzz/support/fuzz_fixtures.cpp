#include "fuzz_fixtures.hpp"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "consent/consent/decision.hpp"
#include "consent/consent/subject_trust.hpp"
#include "consent/crypto/sha256.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/checkpoint.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/receipt.hpp"

namespace consent::fuzz {
namespace {

using nlohmann::json;

template <class T>
T must(Result<T> r, const char* what) {
    if (!r) fail(std::string("fixture: ") + what, r.error().code + ": " + r.error().message);
    return std::move(r).value();
}

TestKey make_key(std::string_view seed_text) {
    TestKey key;
    std::array<std::uint8_t, crypto_sign_SEEDBYTES> seed{};
    for (std::size_t i = 0; i < seed.size() && i < seed_text.size(); ++i)
        seed[i] = static_cast<std::uint8_t>(seed_text[i]);
    if (sodium_init() < 0) fail("fixture: sodium_init");
    crypto_sign_seed_keypair(key.public_key.data(), key.secret_key.data(), seed.data());
    // RFC 7638 §3.2: the required members, sorted, no whitespace (as consentd's key ring).
    const json jwk = {{"crv", "Ed25519"}, {"kty", "OKP"}, {"x", key.x()}};
    key.kid = base64url_encode(sha256(must(canonicalize(jwk), "thumbprint")));
    return key;
}

// One decision of the shop notice, as the core makes it.
Decision shop_decision(const std::string& decision_id, const std::string& subject, Method method,
                       std::map<std::string, bool> choices) {
    DecisionRequest r;
    r.decision_id = decision_id;
    r.subject_id = subject;
    r.notice_id = shop_notice().notice_id;
    r.notice_version = shop_notice().version;
    r.notice_hash = shop_notice_hash();
    r.language = "en";
    r.method = method;
    r.choices = std::move(choices);
    return must(make_decision(shop_notice(), shop_notice_hash(), r), "make_decision");
}

std::string sign_receipt(const Decision& decision, std::int64_t log_index, const std::string& prev) {
    const ReceiptFacts facts{"rcpt_fuzz" + std::to_string(log_index), kSite, kNow + log_index, log_index, prev};
    if (auto ok = check_receipt_inputs(shop_notice(), shop_notice_hash(), decision, facts); !ok)
        fail("fixture: receipt inputs", ok.error().code);
    const json payload = make_receipt_payload(shop_notice(), decision, facts);
    const std::string input = must(jws_signing_input(receipt_jws_header(fixed_key().kid), payload), "jws input");
    return jws_compact(input, fixed_key().sign(input));
}

json base64_list(const std::vector<merkle::Hash>& hashes) {
    json out = json::array();
    for (const auto& h : hashes) out.push_back(base64_encode(h));
    return out;
}

// The bundle as ConsentService::export_subject writes it.
std::string bundle_text(const SignedLog& log, const std::vector<std::int64_t>& subject_indices) {
    std::vector<merkle::Hash> leaf_hashes;
    for (const auto& jws : log.leaves) leaf_hashes.push_back(merkle::leaf_hash(jws));
    json receipts = json::array();
    for (std::size_t i = 0; i < log.subject_jws.size(); ++i) {
        const auto index = subject_indices[i];
        const auto proof = must(merkle::inclusion_proof(leaf_hashes, static_cast<std::uint64_t>(index)), "proof");
        receipts.push_back({{"receipt_id", "rcpt_fuzz" + std::to_string(index)},
                            {"log_index", index},
                            {"jws", log.subject_jws[i]},
                            {"inclusion_proof", base64_list(proof)}});
    }
    const std::string notice_text = must(canonicalize(notice_to_json(shop_notice())), "notice");
    json bundle = {{"bundle", "consent-proof-bundle/1"},
                   {"site", kSite},
                   {"subject", kBundleSubject},
                   {"receipts", receipts},
                   {"notices", {{"3", {{"hash", shop_notice_hash()}, {"canonical_json", notice_text}}}}},
                   {"keys", fixed_key().jwks()},
                   {"log", {{"origin", kLogOrigin}, {"checkpoint", log.checkpoint}}}};
    return bundle.dump(1);
}

SignedLog make_signed_log() {
    SignedLog log;
    const std::vector<std::int64_t> subject_indices{0, 2, 4};
    const Decision first = shop_decision("dec-fuzz-1", kBundleSubject, Method::accept_all, {});
    const Decision other = shop_decision("dec-fuzz-2", "b_T3RoZXItdmlzaXRvci0wMQ", Method::reject_all, {});
    const Decision second =
        shop_decision("dec-fuzz-3", kBundleSubject, Method::custom, {{"analytics", true}, {"marketing", false}});
    const Decision another = shop_decision("dec-fuzz-4", "b_QW5vdGhlci12aXNpdG9yMDI", Method::accept_all, {});
    const Decision third = shop_decision("dec-fuzz-5", kBundleSubject, Method::reject_all, {});
    log.leaves.push_back(sign_receipt(first, 0, ""));
    log.leaves.push_back(sign_receipt(other, 1, ""));
    log.leaves.push_back(sign_receipt(second, 2, receipt_hash(log.leaves[0])));
    log.leaves.push_back(sign_receipt(another, 3, ""));
    log.leaves.push_back(sign_receipt(third, 4, receipt_hash(log.leaves[2])));
    for (auto i : subject_indices) log.subject_jws.push_back(log.leaves[static_cast<std::size_t>(i)]);

    std::vector<merkle::Hash> leaf_hashes;
    for (const auto& jws : log.leaves) leaf_hashes.push_back(merkle::leaf_hash(jws));
    const std::string body =
        checkpoint::body_text({kLogOrigin, 5, merkle::root_from_leaf_hashes(leaf_hashes), kNow + 10});
    log.checkpoint =
        checkpoint::assemble(body, kLogOrigin, checkpoint::ed25519_key_hash(kLogOrigin, fixed_key().public_key.data()),
                             fixed_key().sign(body));
    log.bundle_text = bundle_text(log, subject_indices);
    return log;
}

std::string make_subject_token() {
    const json header = {{"alg", "EdDSA"}, {"kid", fixed_key().kid}, {"typ", std::string(kSubjectTokenType)}};
    const json payload = {{"site", kSite}, {"sub", kTokenSubject}, {"iat", kNow}, {"exp", kNow + 600}};
    const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
    return jws_compact(input, fixed_key().sign(input));
}

}  // namespace

void fail(std::string_view property, std::string_view detail) {
    std::fprintf(stderr, "fuzz property failed: %.*s\n  %.*s\n", static_cast<int>(property.size()), property.data(),
                 static_cast<int>(detail.size()), detail.data());
    std::abort();
}

std::string read_source_file(const std::string& relative_path) {
    const std::string path = std::string(CONSENT_SOURCE_DIR) + "/" + relative_path;
    std::ifstream in(path, std::ios::binary);
    if (!in) fail("fixture: cannot read", path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

const Notice& shop_notice() {
    static const Notice notice = must(parse_notice_text(read_source_file("tests/data/notices/shop.json")), "shop");
    return notice;
}

const std::string& shop_notice_hash() {
    static const std::string hash = notice_content_hash(shop_notice());
    return hash;
}

Bytes TestKey::sign(std::string_view message) const {
    Bytes signature(crypto_sign_BYTES);
    crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                         message.size(), secret_key.data());
    return signature;
}

std::string TestKey::x() const { return base64url_encode(public_key); }

json TestKey::jwks() const {
    return {{"keys",
             json::array(
                 {{{"kty", "OKP"}, {"crv", "Ed25519"}, {"x", x()}, {"kid", kid}, {"alg", "EdDSA"}, {"use", "sig"}}})}};
}

const TestKey& fixed_key() {
    static const TestKey key = make_key("consent fuzz: fixed test key #1");
    return key;
}

const ServedReceipt& served_receipt() {
    static const ServedReceipt served = [] {
        const json file =
            must(parse_json_strict(read_source_file("tests/data/receipts/served_receipt.json")), "served");
        return ServedReceipt{file.at("origin").get<std::string>(), file.at("jws").get<std::string>(),
                             file.at("checkpoint").get<std::string>(), file.at("jwks")};
    }();
    return served;
}

const SignedLog& signed_log() {
    static const SignedLog log = make_signed_log();
    return log;
}

const std::string& subject_token() {
    static const std::string token = make_subject_token();
    return token;
}

}  // namespace consent::fuzz
