#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/crypto/encoding.hpp"
#include "consent/log/merkle.hpp"
#include "fixtures.hpp"
#include "test_files.hpp"

namespace merkle = consent::merkle;

namespace {

using merkle::Hash;
using RawHash = std::vector<std::uint8_t>;
using RawProof = std::vector<RawHash>;

constexpr std::uint64_t kMaxU64 = std::numeric_limits<std::uint64_t>::max();

RawHash raw(const Hash& hash) { return RawHash(hash.begin(), hash.end()); }

RawProof raw(const std::vector<Hash>& proof) {
    RawProof out;
    for (const Hash& h : proof) out.push_back(raw(h));
    return out;
}

Hash from_hex(const std::string& text) {
    const auto bytes = consent::hex_decode(text);
    REQUIRE(bytes.ok());
    REQUIRE(bytes.value().size() == consent::kSha256Size);
    Hash hash{};
    std::copy(bytes.value().begin(), bytes.value().end(), hash.begin());
    return hash;
}

// The eight leaves of the RFC 6962 reference tests, which the shared vectors'
// happy paths are built from.
std::vector<Hash> reference_leaf_hashes() {
    const std::vector<std::string> leaves = {
        std::string(),
        std::string("\x00", 1),
        "\x10",
        "\x20\x21",
        "\x30\x31",
        "\x40\x41\x42\x43",
        "\x50\x51\x52\x53\x54\x55\x56\x57",
        "\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
    };
    std::vector<Hash> hashes;
    for (const std::string& leaf : leaves) hashes.push_back(merkle::leaf_hash(leaf));
    return hashes;
}

using consent::test::numbered_leaf_hashes;

std::vector<Hash> prefix(const std::vector<Hash>& hashes, std::size_t n) {
    return std::vector<Hash>(hashes.begin(), hashes.begin() + static_cast<std::ptrdiff_t>(n));
}

// ---- shared vectors -------------------------------------------------------

std::vector<std::string> vector_files(const std::string& kind) {
    return consent::test::list_files(consent::test::vectors_dir() + "/merkle/" + kind, ".json");
}

RawHash decode_field(const nlohmann::json& doc, const char* name) {
    const auto bytes = consent::base64_decode(doc.at(name).get<std::string>());
    INFO("field " << name);
    REQUIRE(bytes.ok());
    return bytes.value();
}

// "proof" may be null, which the generator wrote for an empty proof.
RawProof decode_proof(const nlohmann::json& doc) {
    RawProof proof;
    if (doc.at("proof").is_null()) return proof;
    for (const auto& element : doc.at("proof")) {
        const auto bytes = consent::base64_decode(element.get<std::string>());
        REQUIRE(bytes.ok());
        proof.push_back(bytes.value());
    }
    return proof;
}

consent::Status verify_inclusion_vector(const nlohmann::json& doc) {
    return merkle::verify_inclusion(doc.at("leafIdx").get<std::uint64_t>(), doc.at("treeSize").get<std::uint64_t>(),
                                    decode_field(doc, "leafHash"), decode_proof(doc), decode_field(doc, "root"));
}

consent::Status verify_consistency_vector(const nlohmann::json& doc) {
    return merkle::verify_consistency(doc.at("size1").get<std::uint64_t>(), doc.at("size2").get<std::uint64_t>(),
                                      decode_field(doc, "root1"), decode_field(doc, "root2"), decode_proof(doc));
}

void check_vector_outcome(const nlohmann::json& doc, const consent::Status& status) {
    const bool want_error = doc.at("wantErr").get<bool>();
    CAPTURE(doc.at("desc").get<std::string>());
    if (!status.ok()) {
        CAPTURE(status.error().code, status.error().message);
        CHECK(want_error);
        CHECK(status.error().code.rfind("merkle.", 0) == 0);
        CHECK_FALSE(status.error().message.empty());
    } else {
        CHECK_FALSE(want_error);
    }
}

// ---- proof mutation -------------------------------------------------------

// Every bit for small trees; for larger ones the first, last and a moving middle
// bit, which keeps the exhaustive range check fast under sanitizers.
std::vector<std::size_t> bits_to_flip(std::uint64_t tree_size, std::size_t element) {
    if (tree_size <= 16) {
        std::vector<std::size_t> all(consent::kSha256Size * 8);
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
        return all;
    }
    return {0, 255, (element * 37 + static_cast<std::size_t>(tree_size)) % 256};
}

void flip_bit(RawHash& hash, std::size_t bit) {
    hash[bit / 8] = static_cast<std::uint8_t>(hash[bit / 8] ^ (1u << (bit % 8)));
}

}  // namespace

TEST_CASE("the shared Merkle vectors are found in place", "[core][merkle]") {
    CAPTURE(consent::test::vectors_dir());
    CHECK(vector_files("inclusion").size() > 0);
    CHECK(vector_files("consistency").size() > 0);
}

TEST_CASE("every shared inclusion vector is accepted exactly when it is valid", "[core][merkle]") {
    const std::vector<std::string> files = vector_files("inclusion");
    REQUIRE_FALSE(files.empty());
    const std::string file = GENERATE_COPY(from_range(files));
    CAPTURE(file);
    const nlohmann::json doc = nlohmann::json::parse(consent::test::read_file(file));
    check_vector_outcome(doc, verify_inclusion_vector(doc));
}

TEST_CASE("every shared consistency vector is accepted exactly when it is valid", "[core][merkle]") {
    const std::vector<std::string> files = vector_files("consistency");
    REQUIRE_FALSE(files.empty());
    const std::string file = GENERATE_COPY(from_range(files));
    CAPTURE(file);
    const nlohmann::json doc = nlohmann::json::parse(consent::test::read_file(file));
    check_vector_outcome(doc, verify_consistency_vector(doc));
}

TEST_CASE("generated proofs equal the happy-path proofs of the shared vectors", "[core][merkle]") {
    // The happy paths come from an independent implementation over the RFC 6962
    // reference leaves, so this checks generation, not only verification.
    const std::vector<Hash> leaves = reference_leaf_hashes();
    std::size_t compared = 0;
    for (const std::string& file : vector_files("inclusion")) {
        const nlohmann::json doc = nlohmann::json::parse(consent::test::read_file(file));
        if (doc.at("desc") != "happy path") continue;
        const auto index = doc.at("leafIdx").get<std::size_t>();
        if (index >= leaves.size() || raw(leaves[index]) != decode_field(doc, "leafHash")) continue;
        CAPTURE(file);
        const auto tree = prefix(leaves, doc.at("treeSize").get<std::size_t>());
        CHECK(raw(merkle::inclusion_proof(tree, index).value()) == decode_proof(doc));
        CHECK(raw(merkle::root_from_leaf_hashes(tree)) == decode_field(doc, "root"));
        ++compared;
    }
    for (const std::string& file : vector_files("consistency")) {
        const nlohmann::json doc = nlohmann::json::parse(consent::test::read_file(file));
        if (doc.at("desc") != "happy path") continue;
        CAPTURE(file);
        const auto tree = prefix(leaves, doc.at("size2").get<std::size_t>());
        const auto size1 = doc.at("size1").get<std::uint64_t>();
        CHECK(raw(merkle::consistency_proof(tree, size1).value()) == decode_proof(doc));
        CHECK(raw(merkle::root_from_leaf_hashes(tree)) == decode_field(doc, "root2"));
        ++compared;
    }
    CHECK(compared >= 10);
}

// RFC 9162 §2.1.1 and the RFC 6962 reference roots (as in certificate-transparency-go).
TEST_CASE("roots over the reference leaves match the known answers", "[core][merkle]") {
    const std::vector<std::string> roots = {
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    };
    const std::size_t size = GENERATE(range<std::size_t>(1, 9));
    CAPTURE(size);
    const auto tree = prefix(reference_leaf_hashes(), size);
    CHECK(merkle::root_from_leaf_hashes(tree) == from_hex(roots[size - 1]));
}

TEST_CASE("the empty tree, a leaf and a node hash as RFC 9162 defines", "[core][merkle]") {
    const Hash empty = from_hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(merkle::empty_root() == empty);
    CHECK(merkle::root_from_leaf_hashes({}) == empty);
    // Leaf and node prefixes differ, so equal payloads give different hashes.
    const Hash leaf = merkle::leaf_hash("");
    CHECK(leaf == from_hex("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"));
    CHECK(merkle::node_hash(leaf, leaf) != merkle::leaf_hash(std::string(64, 'x')));
    CHECK(merkle::node_hash(leaf, empty) != merkle::node_hash(empty, leaf));
}

TEST_CASE("every inclusion proof up to 70 leaves verifies and any flipped bit breaks it", "[core][merkle]") {
    const std::size_t size = GENERATE(range<std::size_t>(1, 71));
    CAPTURE(size);
    const auto leaves = numbered_leaf_hashes(size);
    const RawHash root = raw(merkle::root_from_leaf_hashes(leaves));
    for (std::size_t index = 0; index < size; ++index) {
        CAPTURE(index);
        const auto generated = merkle::inclusion_proof(leaves, index);
        REQUIRE(generated.ok());
        const RawProof proof = raw(generated.value());
        const RawHash leaf = raw(leaves[index]);
        REQUIRE(merkle::verify_inclusion(index, size, leaf, proof, root).ok());
        for (std::size_t element = 0; element < proof.size(); ++element) {
            for (std::size_t bit : bits_to_flip(size, element)) {
                RawProof tampered = proof;
                flip_bit(tampered[element], bit);
                const auto status = merkle::verify_inclusion(index, size, leaf, tampered, root);
                if (status.ok()) FAIL("flipped bit " << bit << " of element " << element);
            }
        }
        RawHash other_leaf = leaf;
        flip_bit(other_leaf, 0);
        CHECK_FALSE(merkle::verify_inclusion(index, size, other_leaf, proof, root).ok());
        RawHash other_root = root;
        flip_bit(other_root, 255);
        CHECK_FALSE(merkle::verify_inclusion(index, size, leaf, proof, other_root).ok());
    }
}

TEST_CASE("every consistency proof up to 70 leaves verifies and any flipped bit breaks it", "[core][merkle]") {
    const std::size_t size2 = GENERATE(range<std::size_t>(1, 71));
    CAPTURE(size2);
    const auto leaves = numbered_leaf_hashes(size2);
    const RawHash root2 = raw(merkle::root_from_leaf_hashes(leaves));
    for (std::size_t size1 = 1; size1 <= size2; ++size1) {
        CAPTURE(size1);
        const RawHash root1 = raw(merkle::root_from_leaf_hashes(prefix(leaves, size1)));
        const auto generated = merkle::consistency_proof(leaves, size1);
        REQUIRE(generated.ok());
        const RawProof proof = raw(generated.value());
        CHECK(proof.empty() == (size1 == size2));
        REQUIRE(merkle::verify_consistency(size1, size2, root1, root2, proof).ok());
        for (std::size_t element = 0; element < proof.size(); ++element) {
            for (std::size_t bit : bits_to_flip(size2, element)) {
                RawProof tampered = proof;
                flip_bit(tampered[element], bit);
                const auto status = merkle::verify_consistency(size1, size2, root1, root2, tampered);
                if (status.ok()) FAIL("flipped bit " << bit << " of element " << element);
            }
        }
        RawHash other_root1 = root1;
        flip_bit(other_root1, 0);
        CHECK_FALSE(merkle::verify_consistency(size1, size2, other_root1, root2, proof).ok());
        RawHash other_root2 = root2;
        flip_bit(other_root2, 255);
        CHECK_FALSE(merkle::verify_consistency(size1, size2, root1, other_root2, proof).ok());
    }
}

TEST_CASE("proof generation rejects impossible indexes and sizes", "[core][merkle]") {
    const auto leaves = numbered_leaf_hashes(5);
    CHECK(merkle::inclusion_proof(leaves, 5).error().code == "merkle.index_out_of_range");
    CHECK(merkle::inclusion_proof(leaves, kMaxU64).error().code == "merkle.index_out_of_range");
    CHECK(merkle::inclusion_proof({}, 0).error().code == "merkle.index_out_of_range");
    CHECK(merkle::consistency_proof(leaves, 6).error().code == "merkle.size_order");
    CHECK(merkle::consistency_proof(leaves, kMaxU64).error().code == "merkle.size_order");
    CHECK(merkle::consistency_proof(leaves, 0).error().code == "merkle.empty_tree");
    CHECK(merkle::consistency_proof({}, 0).error().code == "merkle.empty_tree");
    CHECK(merkle::inclusion_proof(prefix(leaves, 1), 0).value().empty());
}

namespace {

struct HostileInclusion {
    std::string name;
    std::uint64_t index;
    std::uint64_t size;
    std::size_t leaf_bytes;
    std::size_t root_bytes;
    std::vector<std::size_t> proof_bytes;  // one entry per element
    std::string code;
};

RawProof filler_proof(const std::vector<std::size_t>& element_sizes) {
    RawProof proof;
    for (std::size_t n : element_sizes) proof.emplace_back(n, std::uint8_t{0xab});
    return proof;
}

std::vector<std::size_t> full_hashes(std::size_t count) {
    return std::vector<std::size_t>(count, consent::kSha256Size);
}

}  // namespace

TEST_CASE("inclusion verification fails cleanly on hostile input", "[core][merkle]") {
    const HostileInclusion c = GENERATE(values<HostileInclusion>({
        {"index equals size", 5, 5, 32, 32, full_hashes(3), "merkle.index_out_of_range"},
        {"empty tree", 0, 0, 32, 32, {}, "merkle.index_out_of_range"},
        {"largest index", kMaxU64, kMaxU64, 32, 32, full_hashes(64), "merkle.index_out_of_range"},
        {"index past size", kMaxU64, 1, 32, 32, {}, "merkle.index_out_of_range"},
        {"short leaf", 0, 1, 31, 32, {}, "merkle.bad_hash_size"},
        {"long leaf", 0, 1, 33, 32, {}, "merkle.bad_hash_size"},
        {"empty root", 0, 1, 32, 0, {}, "merkle.bad_hash_size"},
        {"short proof element", 1, 3, 32, 32, {32, 31}, "merkle.bad_hash_size"},
        {"empty proof element", 1, 3, 32, 32, {0, 32}, "merkle.bad_hash_size"},
        {"proof for a one-leaf tree", 0, 1, 32, 32, full_hashes(1), "merkle.proof_wrong_length"},
        {"proof too short", 1, 8, 32, 32, full_hashes(2), "merkle.proof_wrong_length"},
        {"proof too long", 1, 8, 32, 32, full_hashes(4), "merkle.proof_wrong_length"},
        // In a tree of 2^64 - 1 leaves, leaf 0 has 64 siblings and the last leaf 63.
        {"first leaf of the largest tree", 0, kMaxU64, 32, 32, full_hashes(64), "merkle.root_mismatch"},
        {"first leaf of the largest tree, 65 elements", 0, kMaxU64, 32, 32, full_hashes(65),
         "merkle.proof_wrong_length"},
        {"last leaf of the largest tree", kMaxU64 - 1, kMaxU64, 32, 32, full_hashes(63), "merkle.root_mismatch"},
        {"last leaf of the largest tree, 64 elements", kMaxU64 - 1, kMaxU64, 32, 32, full_hashes(64),
         "merkle.proof_wrong_length"},
        {"a hundred thousand elements", 3, 1000, 32, 32, full_hashes(100000), "merkle.proof_wrong_length"},
    }));
    CAPTURE(c.name);
    const auto status = merkle::verify_inclusion(c.index, c.size, RawHash(c.leaf_bytes, 0x11),
                                                 filler_proof(c.proof_bytes), RawHash(c.root_bytes, 0x22));
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == c.code);
    CHECK_FALSE(status.error().message.empty());
}

namespace {

struct HostileConsistency {
    std::string name;
    std::uint64_t size1;
    std::uint64_t size2;
    std::size_t root1_bytes;
    std::size_t root2_bytes;
    std::vector<std::size_t> proof_bytes;
    std::string code;
};

}  // namespace

TEST_CASE("consistency verification fails cleanly on hostile input", "[core][merkle]") {
    const HostileConsistency c = GENERATE(values<HostileConsistency>({
        {"size1 above size2", 8, 7, 32, 32, full_hashes(3), "merkle.size_order"},
        {"largest size1, zero size2", kMaxU64, 0, 32, 32, {}, "merkle.size_order"},
        {"size1 zero", 0, 8, 32, 32, {}, "merkle.empty_tree"},
        {"both zero", 0, 0, 32, 32, {}, "merkle.empty_tree"},
        {"size1 zero, largest size2", 0, kMaxU64, 32, 32, full_hashes(64), "merkle.empty_tree"},
        {"equal sizes with a proof", 4, 4, 32, 32, full_hashes(1), "merkle.proof_not_empty"},
        {"equal largest sizes with a proof", kMaxU64, kMaxU64, 32, 32, full_hashes(1), "merkle.proof_not_empty"},
        {"short root1", 3, 8, 31, 32, full_hashes(3), "merkle.bad_hash_size"},
        {"empty root2", 3, 8, 32, 0, full_hashes(3), "merkle.bad_hash_size"},
        {"long proof element", 3, 8, 32, 32, {32, 33, 32}, "merkle.bad_hash_size"},
        {"empty proof", 3, 8, 32, 32, {}, "merkle.proof_wrong_length"},
        {"proof too short", 3, 8, 32, 32, full_hashes(2), "merkle.proof_wrong_length"},
        {"proof too long", 3, 8, 32, 32, full_hashes(5), "merkle.proof_wrong_length"},
        {"largest sizes, one element", kMaxU64 - 1, kMaxU64, 32, 32, full_hashes(1), "merkle.proof_wrong_length"},
        {"largest sizes, 200 elements", kMaxU64 - 1, kMaxU64, 32, 32, full_hashes(200), "merkle.proof_wrong_length"},
        {"one to largest, 64 elements", 1, kMaxU64, 32, 32, full_hashes(64), "merkle.root_mismatch"},
        {"a hundred thousand elements", 3, 1000, 32, 32, full_hashes(100000), "merkle.proof_wrong_length"},
    }));
    CAPTURE(c.name);
    const auto status = merkle::verify_consistency(c.size1, c.size2, RawHash(c.root1_bytes, 0x11),
                                                   RawHash(c.root2_bytes, 0x22), filler_proof(c.proof_bytes));
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == c.code);
    CHECK_FALSE(status.error().message.empty());
}

TEST_CASE("a tree is consistent with itself only with an empty proof and equal roots", "[core][merkle]") {
    const RawHash root = raw(merkle::root_from_leaf_hashes(numbered_leaf_hashes(9)));
    CHECK(merkle::verify_consistency(9, 9, root, root, {}).ok());
    RawHash other = root;
    flip_bit(other, 7);
    CHECK(merkle::verify_consistency(9, 9, root, other, {}).error().code == "merkle.root_mismatch");
    CHECK(merkle::verify_consistency(kMaxU64, kMaxU64, root, root, {}).ok());
}
