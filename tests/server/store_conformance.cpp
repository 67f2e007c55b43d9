// The ReceiptStore conformance suite (store_conformance.hpp): scenarios
// that see only ReceiptStore&, and the inputs and checks they share with the
// back ends' own tests.
#include "store_conformance.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/crypto/sha256.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/receipt.hpp"
#include "fixtures.hpp"
#include "storage/site_cache.hpp"
#include "store_reads.hpp"

namespace consent::test::store {

// ---------------------------------------------------------------- inputs

const Notice& notice() {
    static const Notice n = shop_notice();
    return n;
}

const std::string& notice_hash() {
    static const std::string h = consent::notice_content_hash(notice());
    return h;
}

StoredNotice stored_notice(const std::string& site_id, const Notice& n) {
    auto canonical = consent::canonicalize(consent::notice_to_json(n));
    REQUIRE(canonical.ok());
    return StoredNotice{site_id, n, consent::notice_content_hash(n), canonical.value(), kNow};
}

Notice notice_version(std::int64_t version, const std::string& notice_id) {
    Notice n = notice();
    n.version = version;
    n.notice_id = notice_id;
    return n;
}

// Decision ids are 8-64 characters of [A-Za-z0-9_-] (the core's rule).
Decision decide(const std::string& decision_id, const std::string& subject_id, Method method,
                std::map<std::string, bool> choices, std::vector<std::string> withdraw) {
    DecisionRequest r;
    r.decision_id = decision_id;
    r.subject_id = subject_id;
    r.notice_id = notice().notice_id;
    r.notice_version = notice().version;
    r.notice_hash = notice_hash();
    r.language = "en";
    r.method = method;
    r.choices = std::move(choices);
    r.withdraw = std::move(withdraw);
    auto d = consent::make_decision(notice(), notice_hash(), r);
    REQUIRE(d.ok());
    return d.value();
}

Decision grant_all(const std::string& decision_id, const std::string& subject_id) {
    return decide(decision_id, subject_id, Method::accept_all);
}

// A seal that must not be called (a replay, a refused id): deterministic, and
// its payload repeats the slot so a test could see what the store handed over.
SealedReceipt fake_seal(const ReceiptSlot& slot) {
    const json payload = {{"log_index", slot.log_index},
                          {"prev", slot.previous_receipt_hash},
                          {"receipt_id", slot.receipt_id},
                          {"server_time", slot.server_time}};
    return SealedReceipt{"h.p." + slot.receipt_id, payload.dump()};
}

// A receipt as consentd seals it (the core's payload in a compact JWS), with
// a fixed stand-in signature: the store never verifies signatures, but its
// audit (rebuild_check) compares every column with the payload inside.
SealFunction receipt_seal(const std::string& site_id, const Decision& decision) {
    return [site_id, decision](const ReceiptSlot& slot) -> Result<SealedReceipt> {
        const consent::ReceiptFacts facts{slot.receipt_id, site_id, slot.server_time, slot.log_index,
                                          slot.previous_receipt_hash};
        const json payload = consent::make_receipt_payload(notice(), decision, facts);
        auto input = consent::jws_signing_input(consent::receipt_jws_header("test-kid"), payload);
        if (!input) return input.error();
        auto canonical = consent::canonicalize(payload);
        if (!canonical) return canonical.error();
        return SealedReceipt{consent::jws_compact(*input, consent::Bytes(64, 0x5a)), *canonical};
    };
}

AppendRequest request(const std::string& site_id, Decision decision, SealFunction seal) {
    std::string receipt_id = "rcpt_" + site_id + "_" + decision.decision_id;
    if (!seal) seal = receipt_seal(site_id, decision);
    return AppendRequest{site_id, std::move(receipt_id), std::move(decision), std::move(seal)};
}

AppendOutcome append_ok(ReceiptStore& store, AppendRequest r) {
    auto outcome = store.append(std::move(r));
    if (!outcome) FAIL(outcome.error().code << ": " << outcome.error().message);
    return outcome.value();
}

std::string hash_of(const std::string& jws) { return consent::hex_encode(consent::sha256(jws)); }

json payload_of(const StoredReceipt& r) { return json::parse(r.payload); }

void setup_site(ReceiptStore& store, const std::string& site_id) {
    REQUIRE(store.put_site(Site{site_id, {"https://" + site_id + ".example"}, kNow, {}}).ok());
    REQUIRE(store.publish_notice(stored_notice(site_id, notice())).ok());
}

consent::PolicyContext policy_context() {
    return consent::PolicyContext{notice(), consent::last_material_version({notice()}, notice().version), kNow, false};
}

std::vector<std::int64_t> indexes_of(const std::vector<StoredReceipt>& receipts) {
    std::vector<std::int64_t> out;
    for (const auto& r : receipts) out.push_back(r.log_index);
    return out;
}

// ---------------------------------------------------------------- the Merkle log

using RawHash = std::vector<std::uint8_t>;

RawHash bytes_of(const merkle::Hash& hash) { return RawHash(hash.begin(), hash.end()); }

std::vector<RawHash> bytes_of(const std::vector<merkle::Hash>& proof) {
    std::vector<RawHash> out;
    for (const auto& hash : proof) out.push_back(bytes_of(hash));
    return out;
}

std::string fake_note(std::int64_t tree_size, const merkle::Hash& root, std::int64_t timestamp) {
    return "consentd test log\n" + std::to_string(tree_size) + "\n" + consent::hex_encode(root) + "\n" +
           std::to_string(timestamp) + "\n";
}

bool same_checkpoint(const Checkpoint& a, const Checkpoint& b) {
    return a.tree_size == b.tree_size && a.root == b.root && a.timestamp == b.timestamp && a.note == b.note;
}

// The independent tree: leaf_hash of every stored receipt's JWS, in log order.
std::vector<merkle::Hash> stored_leaf_hashes(ReceiptStore& store, const std::string& site_id) {
    const auto receipts = consent::test::read_ok(store.receipts_after(site_id, -1, 1u << 20));
    std::vector<merkle::Hash> leaves;
    for (const auto& r : receipts) {
        REQUIRE(r.log_index == static_cast<std::int64_t>(leaves.size()));
        leaves.push_back(merkle::leaf_hash(r.jws));
    }
    return leaves;
}

// What the core computes over the first k leaves, to hold the store's answers against.
struct MemoryTree {
    std::vector<merkle::Hash> leaves;
    merkle::Hash root;
    std::int64_t size() const { return static_cast<std::int64_t>(leaves.size()); }
};

MemoryTree memory_tree(const std::vector<merkle::Hash>& all, std::size_t k) {
    MemoryTree tree{std::vector<merkle::Hash>(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(k)), {}};
    tree.root = merkle::root_from_leaf_hashes(tree.leaves);
    return tree;
}

void compare_inclusion(ReceiptStore& store, const MemoryTree& tree, std::size_t i, std::vector<std::string>& problems) {
    const std::string what = "inclusion_proof(" + std::to_string(i) + ", " + std::to_string(tree.size()) + ")";
    const auto got = store.inclusion_proof(static_cast<std::int64_t>(i), tree.size());
    if (!got) return problems.push_back(what + ": " + got.error().code);
    if (got.value() != merkle::inclusion_proof(tree.leaves, i).value())
        problems.push_back(what + " differs from the core's");
    if (!merkle::verify_inclusion(i, tree.leaves.size(), bytes_of(tree.leaves[i]), bytes_of(got.value()),
                                  bytes_of(tree.root)))
        problems.push_back(what + " does not verify");
}

void compare_consistency(ReceiptStore& store, const MemoryTree& old_tree, const MemoryTree& tree,
                         std::vector<std::string>& problems) {
    const auto m = old_tree.leaves.size();
    const std::string what = "consistency_proof(" + std::to_string(m) + ", " + std::to_string(tree.size()) + ")";
    const auto got = store.consistency_proof(old_tree.size(), tree.size());
    if (!got) return problems.push_back(what + ": " + got.error().code);
    if (got.value() != merkle::consistency_proof(tree.leaves, m).value())
        problems.push_back(what + " differs from the core's");
    if (!merkle::verify_consistency(m, tree.leaves.size(), bytes_of(old_tree.root), bytes_of(tree.root),
                                    bytes_of(got.value())))
        problems.push_back(what + " does not verify");
}

// Every root_at(k), inclusion_proof(i, k) and consistency_proof(m, k) for
// 0 <= i < k, 1 <= m <= k <= N, held against the core over the same leaves.
std::vector<std::string> differences_from_memory(ReceiptStore& store, const std::vector<merkle::Hash>& leaves) {
    std::vector<MemoryTree> trees;
    for (std::size_t k = 0; k <= leaves.size(); ++k) trees.push_back(memory_tree(leaves, k));
    std::vector<std::string> problems;
    for (const MemoryTree& tree : trees) {
        const auto root = store.root_at(tree.size());
        if (!root || root.value() != tree.root) problems.push_back("root_at(" + std::to_string(tree.size()) + ")");
        for (std::size_t i = 0; i < tree.leaves.size(); ++i) compare_inclusion(store, tree, i, problems);
        for (std::size_t m = 1; m <= tree.leaves.size(); ++m) compare_consistency(store, trees[m], tree, problems);
    }
    return problems;
}

// An outcome's checkpoint is the stored one, its tree holds the receipt, and
// the store's inclusion proof leads from the receipt's JWS to its root.
void check_outcome_checkpoint(ReceiptStore& store, const AppendOutcome& outcome) {
    const Checkpoint& checkpoint = outcome.checkpoint;
    const std::int64_t index = outcome.receipt.log_index;
    CAPTURE(index, checkpoint.tree_size);
    CHECK(checkpoint.tree_size > index);
    CHECK(checkpoint.note == fake_note(checkpoint.tree_size, checkpoint.root, checkpoint.timestamp));
    const auto stored = store.checkpoint_at(checkpoint.tree_size);
    REQUIRE(stored.ok());
    CHECK(same_checkpoint(*stored, checkpoint));
    const auto proof = ok_value(store.inclusion_proof(index, checkpoint.tree_size));
    CHECK(merkle::verify_inclusion(static_cast<std::uint64_t>(index), static_cast<std::uint64_t>(checkpoint.tree_size),
                                   bytes_of(merkle::leaf_hash(outcome.receipt.jws)), bytes_of(proof),
                                   bytes_of(checkpoint.root))
              .ok());
}

// ---------------------------------------------------------------- conformance

namespace conformance {

void sites_round_trip(const StoreFactory& open) {
    auto store = open();
    CHECK(store->site(kShop).error().code == "storage.not_found");
    REQUIRE(
        store->put_site(Site{kShop, {"https://shop.example", "https://www.shop.example"}, kNow, {"token-key-1"}}).ok());
    auto site = store->site(kShop);
    REQUIRE(site.ok());
    CHECK(site->site_id == kShop);
    CHECK(site->allowed_origins == std::vector<std::string>{"https://shop.example", "https://www.shop.example"});
    CHECK(site->created_at == kNow);
    CHECK(site->subject_token_keys == std::vector<std::string>{"token-key-1"});
    // A second put changes the allowlist; the site keeps its creation time.
    REQUIRE(store->put_site(Site{kShop, {}, kNow + 5, {}}).ok());
    site = store->site(kShop);
    REQUIRE(site.ok());
    CHECK(site->allowed_origins.empty());
    CHECK(site->subject_token_keys.empty());
    CHECK(site->created_at == kNow);
}

// Stores keep sites in memory for a moment (site_cache.hpp): a site another
// process adds is served at once (a missing site is never kept), and its
// change is seen within kSiteCacheFor; the store that made a change sees it at once.
void site_change_reaches_another_store(const StoreFactory& open) {
    auto writer = open();
    auto other = open();
    CHECK(other->site(kShop).error().code == "storage.not_found");
    REQUIRE(writer->put_site(Site{kShop, {"https://shop.example"}, kNow, {}}).ok());
    auto seen = other->site(kShop);
    REQUIRE(seen.ok());
    CHECK(seen->allowed_origins == std::vector<std::string>{"https://shop.example"});

    REQUIRE(writer->put_site(Site{kShop, {"https://www.shop.example"}, kNow, {"token-key-2"}}).ok());
    auto own = writer->site(kShop);
    REQUIRE(own.ok());
    CHECK(own->subject_token_keys == std::vector<std::string>{"token-key-2"});
    std::this_thread::sleep_for(consent::server::kSiteCacheFor + std::chrono::milliseconds(20));
    seen = other->site(kShop);
    REQUIRE(seen.ok());
    CHECK(seen->allowed_origins == std::vector<std::string>{"https://www.shop.example"});
    CHECK(seen->subject_token_keys == std::vector<std::string>{"token-key-2"});
}

void notices_round_trip(const StoreFactory& open) {
    auto store = open();
    check_error(store->publish_notice(stored_notice(kShop, notice())), "storage.unknown_site");
    setup_site(*store, kShop);
    const auto stored = store->notice(kShop, 3);
    REQUIRE(stored.ok());
    CHECK(stored->site_id == kShop);
    CHECK(stored->content_hash == notice_hash());
    CHECK(stored->canonical_json == stored_notice(kShop, notice()).canonical_json);
    CHECK(consent::notice_to_json(stored->notice) == consent::notice_to_json(notice()));
    CHECK(stored->published_at == kNow);
    CHECK(store->notice(kShop, 2).error().code == "storage.not_found");
    CHECK(store->notice(kBlog, 3).error().code == "storage.not_found");
    CHECK(store->current_notice(kBlog).error().code == "storage.not_found");
}

void notice_version_rules(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    check_error(store->publish_notice(stored_notice(kShop, notice())), "storage.notice_version_exists");
    check_error(store->publish_notice(stored_notice(kShop, notice_version(2))), "storage.notice_version_order");
    check_error(store->publish_notice(stored_notice(kShop, notice_version(4, "other-shop"))),
                "storage.notice_id_changed");
    StoredNotice tampered = stored_notice(kShop, notice_version(4));
    tampered.content_hash = notice_hash();  // the hash of version 3, not of this text
    check_error(store->publish_notice(tampered), "storage.notice_inconsistent");
    REQUIRE(store->publish_notice(stored_notice(kShop, notice_version(4))).ok());
    REQUIRE(store->publish_notice(stored_notice(kShop, notice_version(7))).ok());
    const auto current = store->current_notice(kShop);
    REQUIRE(current.ok());
    CHECK(current->notice.version == 7);
    std::vector<std::int64_t> versions;
    for (const auto& n : consent::test::read_ok(store->notices(kShop))) versions.push_back(n.notice.version);
    CHECK(versions == std::vector<std::int64_t>{3, 4, 7});
    // The replaced attempt left version 3 as it was.
    CHECK(store->notice(kShop, 3)->content_hash == notice_hash());
}

void api_keys_round_trip(const StoreFactory& open) {
    auto store = open();
    const ApiKeyRecord key{"key_abc", kShop, std::string(64, 'a'), kNow, std::nullopt, ""};
    const ApiKeyRecord bound{"key_news", kShop, std::string(64, 'c'), kNow, std::nullopt, "newsletter"};
    check_error(store->put_api_key(key), "storage.unknown_site");
    setup_site(*store, kShop);
    REQUIRE(store->put_api_key(key).ok());
    check_error(store->put_api_key(key), "storage.api_key_exists");
    auto read = store->api_key("key_abc");
    REQUIRE(read.ok());
    CHECK(read->site_id == kShop);
    CHECK(read->key_hash == key.key_hash);
    CHECK(read->created_at == kNow);
    CHECK_FALSE(read->revoked_at.has_value());
    CHECK(read->backend.empty());  // a site-wide key
    REQUIRE(store->put_api_key(bound).ok());
    CHECK(store->api_key("key_news")->backend == "newsletter");  // registered for one backend
    REQUIRE(store->revoke_api_key("key_abc", kNow + 10).ok());
    REQUIRE(store->revoke_api_key("key_abc", kNow + 20).ok());  // the first revocation time stays
    CHECK(store->api_key("key_abc")->revoked_at == std::optional<std::int64_t>(kNow + 10));
    check_error(store->revoke_api_key("key_nope", kNow), "storage.unknown_api_key");
    CHECK(store->api_key("key_nope").error().code == "storage.not_found");
}

void consecutive_log_indexes(const StoreFactory& open, std::atomic<std::int64_t>& now) {
    auto store = open();
    setup_site(*store, kShop);
    setup_site(*store, kBlog);
    CHECK(*store->receipt_count() == 0);
    for (int i = 0; i < 6; ++i) {
        now = kNow + i;
        const std::string site = i % 2 == 0 ? kShop : kBlog;  // one log across all sites
        const auto outcome = append_ok(*store, request(site, grant_all("decision-" + std::to_string(i), "subj-a")));
        CHECK_FALSE(outcome.replayed);
        CHECK(outcome.receipt.log_index == i);
        CHECK(outcome.receipt.server_time == kNow + i);
        CHECK(outcome.receipt.site_id == site);
        CHECK(outcome.receipt.subject_id == "subj-a");
        CHECK(outcome.receipt.method == "accept_all");
        CHECK(outcome.receipt.jws.find(".") != std::string::npos);  // the seal's JWS, as sealed
        CHECK(payload_of(outcome.receipt)["log_index"] == i);
    }
    CHECK(*store->receipt_count() == 6);
}

void retried_decision_is_replayed(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    setup_site(*store, kBlog);
    const auto first = append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    int seals = 0;
    AppendRequest retry = request(kShop, grant_all("decision-1", "subj-a"), [&](const ReceiptSlot& slot) {
        ++seals;
        return Result<SealedReceipt>(fake_seal(slot));
    });
    retry.receipt_id = "rcpt_made_for_the_retry";
    const auto again = append_ok(*store, std::move(retry));
    CHECK(again.replayed);
    CHECK(seals == 0);
    CHECK(again.receipt.receipt_id == first.receipt.receipt_id);
    CHECK(again.receipt.log_index == first.receipt.log_index);
    CHECK(again.receipt.jws == first.receipt.jws);
    CHECK(*store->receipt_count() == 1);
    CHECK(consent::test::read_ok(store->subject_receipts(kShop, "subj-a")).size() == 1);
    // Decision ids are per site: the same id on another site is a new decision.
    const auto other = append_ok(*store, request(kBlog, grant_all("decision-1", "subj-a")));
    CHECK_FALSE(other.replayed);
    CHECK(other.receipt.log_index == 1);
}

// A decision id is a key for one request only (DESIGN.md "Subjects and trust"):
// another subject, other states or another method under a used id is refused,
// writes nothing, seals nothing, and the error carries nothing of the first receipt.
void reused_decision_id_is_a_conflict(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    const auto first = append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    const Decision others[] = {
        grant_all("decision-1", "subj-b"),
        decide("decision-1", "subj-a", Method::reject_all),
        decide("decision-1", "subj-a", Method::custom, {{"analytics", true}}),
        decide("decision-1", "subj-a", Method::withdraw, {}, {"marketing"}),
    };
    for (const Decision& other : others) {
        CAPTURE(consent::decision_to_json(other).dump());
        int seals = 0;
        auto outcome = store->append(request(kShop, other, [&](const ReceiptSlot& slot) {
            ++seals;
            return Result<SealedReceipt>(fake_seal(slot));
        }));
        check_error(outcome, "decision.id_conflict");
        CHECK(outcome.error().message.find(first.receipt.receipt_id) == std::string::npos);
        CHECK(outcome.error().message.find("subj-a") == std::string::npos);
        CHECK(seals == 0);
    }
    CHECK(*store->receipt_count() == 1);
    CHECK(consent::test::read_ok(store->subject_receipts(kShop, "subj-b")).empty());
    // The same request again is still the replay of the first.
    CHECK(append_ok(*store, request(kShop, grant_all("decision-1", "subj-a"))).replayed);
}

void previous_hash_chains_a_subject(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    setup_site(*store, kBlog);
    const auto a1 = append_ok(*store, request(kShop, grant_all("decision-a1", "subj-a")));
    const auto b1 = append_ok(*store, request(kShop, grant_all("decision-b1", "subj-b")));
    const auto a2 = append_ok(*store, request(kShop, decide("decision-a2", "subj-a", Method::reject_all)));
    const auto other_site = append_ok(*store, request(kBlog, grant_all("decision-a3", "subj-a")));
    const auto a3 = append_ok(*store, request(kShop, decide("decision-a4", "subj-a", Method::withdraw)));
    CHECK(payload_of(a1.receipt).value("prev", std::string()) == "");
    CHECK(payload_of(b1.receipt).value("prev", std::string()) == "");
    CHECK(payload_of(a2.receipt)["prev"] == hash_of(a1.receipt.jws));
    CHECK(payload_of(other_site.receipt).value("prev", std::string()) == "");  // a subject's chain is per site
    CHECK(payload_of(a3.receipt)["prev"] == hash_of(a2.receipt.jws));
    const auto chain = consent::test::read_ok(store->subject_receipts(kShop, "subj-a"));
    CHECK(indexes_of(chain) == std::vector<std::int64_t>{0, 2, 4});
}

// Issue #11: checks see a withdrawal from the moment the store has it
// (pending_decisions), and once it is answered, in the state instead.
void pending_decisions_until_answered(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    CHECK(store->pending_decisions(kShop, "subj-a").empty());
    std::mutex mutex;
    std::condition_variable changed;
    bool sealing = false;
    bool release = false;
    const Decision withdrawal = decide("decision-2", "subj-a", Method::withdraw, {}, {"analytics"});
    // Its seal waits until the test has looked: the decision is in flight meanwhile.
    std::optional<Result<AppendOutcome>> written;  // asserted on this thread, after the join
    std::thread writer([&] {
        written = store->append(request(kShop, withdrawal, [&](const ReceiptSlot& slot) {
            std::unique_lock<std::mutex> lock(mutex);
            sealing = true;
            changed.notify_all();
            changed.wait(lock, [&] { return release; });
            return receipt_seal(kShop, withdrawal)(slot);
        }));
    });
    {
        std::unique_lock<std::mutex> lock(mutex);
        changed.wait(lock, [&] { return sealing; });
    }
    const std::vector<Decision> pending = store->pending_decisions(kShop, "subj-a");
    const auto before = consent::test::read_ok(store->subject_state(kShop, "subj-a"));
    CHECK(store->pending_decisions(kShop, "subj-b").empty());
    CHECK(store->pending_decisions(kBlog, "subj-a").empty());
    {
        std::lock_guard<std::mutex> lock(mutex);
        release = true;
    }
    changed.notify_all();
    writer.join();
    REQUIRE(written.has_value());
    REQUIRE(written->ok());
    REQUIRE(pending.size() == 1);
    CHECK(pending[0].decision_id == "decision-2");
    // In flight, the committed state still granted; with the pending denial it did not.
    CHECK(consent::is_allowed(policy_context(), "analytics", before).allowed);
    CHECK(consent::is_allowed(policy_context(), "analytics",
                              consent::with_pending_denials(before, pending, policy_context().now))
              .reason == "withdrawn");
    CHECK(store->pending_decisions(kShop, "subj-a").empty());
    CHECK(consent::is_allowed(policy_context(), "analytics",
                              consent::test::read_ok(store->subject_state(kShop, "subj-a")))
              .reason == "withdrawn");
}

void withdrawal_after_grant_denies(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    CHECK(consent::is_allowed(policy_context(), "analytics",
                              consent::test::read_ok(store->subject_state(kShop, "subj-a")))
              .reason == "no_decision");
    const auto grant = append_ok(*store, request(kShop, decide("decision-1", "subj-a", Method::custom,
                                                               {{"analytics", true}, {"marketing", true}})));
    auto verdict = consent::is_allowed(policy_context(), "analytics",
                                       consent::test::read_ok(store->subject_state(kShop, "subj-a")));
    CHECK(verdict.allowed);
    CHECK(verdict.receipt_id == grant.receipt.receipt_id);
    const auto withdrawal =
        append_ok(*store, request(kShop, decide("decision-2", "subj-a", Method::withdraw, {}, {"analytics"})));
    const auto state = consent::test::read_ok(store->subject_state(kShop, "subj-a"));
    verdict = consent::is_allowed(policy_context(), "analytics", state);
    CHECK_FALSE(verdict.allowed);
    CHECK(verdict.reason == "withdrawn");
    CHECK(verdict.receipt_id == withdrawal.receipt.receipt_id);
    CHECK(consent::is_allowed(policy_context(), "marketing", state).allowed);  // not withdrawn
    CHECK(state.at("analytics").decided_at == withdrawal.receipt.server_time);
    CHECK(consent::test::read_ok(store->subject_state(kShop, "subj-b")).empty());
    CHECK(store->rebuild_check().ok());
}

void rebuild_check_passes(const StoreFactory& open) {
    auto store = open();
    CHECK(store->rebuild_check().ok());
    setup_site(*store, kShop);
    setup_site(*store, kBlog);
    append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    append_ok(*store, request(kShop, decide("decision-2", "subj-a", Method::withdraw, {}, {"marketing"})));
    append_ok(*store, request(kBlog, decide("decision-3", "subj-a", Method::custom, {{"analytics", true}})));
    append_ok(*store, request(kShop, decide("decision-4", "subj-b", Method::reject_all)));
    append_ok(*store, request(kShop, decide("decision-5", "subj-b", Method::gpc, {{"analytics", true}})));
    const auto status = store->rebuild_check();
    CAPTURE(status ? std::string() : status.error().message);
    CHECK(status.ok());
}

void failing_seal_writes_nothing(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    auto refused = store->append(request(kShop, grant_all("decision-1", "subj-a"), [](const ReceiptSlot&) {
        return Result<SealedReceipt>(consent::make_error("keys.sign_failed", "the signer is unavailable"));
    }));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == "keys.sign_failed");  // the seal's own error comes back
    const SealFunction throwing = [](const ReceiptSlot&) -> Result<SealedReceipt> { throw std::runtime_error("boom"); };
    auto thrown = store->append(request(kShop, grant_all("decision-2", "subj-a"), throwing));
    REQUIRE_FALSE(thrown.ok());
    CHECK(thrown.error().code == "storage.seal_failed");
    CHECK(*store->receipt_count() == 0);
    CHECK(consent::test::read_ok(store->subject_receipts(kShop, "subj-a")).empty());
    CHECK(consent::test::read_ok(store->subject_state(kShop, "subj-a")).empty());
    // The refused decision was not recorded: sending it again makes the first receipt, at index 0.
    const auto retried = append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    CHECK_FALSE(retried.replayed);
    CHECK(retried.receipt.log_index == 0);
    CHECK(payload_of(retried.receipt).value("prev", std::string()) == "");
    CHECK(store->rebuild_check().ok());
}

void append_to_unknown_site_is_refused(const StoreFactory& open) {
    auto store = open();
    auto outcome = store->append(request("nowhere", grant_all("decision-1", "subj-a")));
    REQUIRE_FALSE(outcome.ok());
    CHECK(outcome.error().code == "storage.unknown_site");
    CHECK(*store->receipt_count() == 0);
}

std::string subject_of_thread(int t) { return "subject-" + std::to_string(t); }

// Decisions are built before the threads start: Catch2's assertions belong to the main thread.
std::vector<std::vector<Decision>> decisions_per_thread(int threads, int per_thread) {
    std::vector<std::vector<Decision>> decisions(static_cast<std::size_t>(threads));
    for (int t = 0; t < threads; ++t)
        for (int i = 0; i < per_thread; ++i)
            decisions[t].push_back(decide("decision-" + std::to_string(t) + "-" + std::to_string(i),
                                          subject_of_thread(t), Method::custom,
                                          {{"analytics", i % 2 == 0}, {"marketing", i % 3 == 0}}));
    return decisions;
}

std::vector<ThreadResult> append_from_threads(ReceiptStore& store,
                                              const std::vector<std::vector<Decision>>& decisions) {
    std::vector<ThreadResult> results(decisions.size());
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < decisions.size(); ++t)
        workers.emplace_back([&, t] {
            for (const auto& d : decisions[t]) {
                auto outcome = store.append(request(kShop, d));
                if (!outcome) {
                    results[t].errors.push_back(outcome.error().code + ": " + outcome.error().message);
                    continue;
                }
                results[t].receipt_ids.push_back(outcome.value().receipt.receipt_id);
                results[t].log_indexes.push_back(outcome.value().receipt.log_index);
            }
        });
    for (auto& w : workers) w.join();
    return results;
}

// Every receipt a thread was acknowledged is stored exactly once, in that order,
// chained, and the subject's state rests on the last one.
void check_thread_receipts(ReceiptStore& store, int t, const ThreadResult& r) {
    CAPTURE(t);
    REQUIRE(r.errors.empty());
    const auto stored = consent::test::read_ok(store.subject_receipts(kShop, subject_of_thread(t)));
    std::vector<std::string> stored_ids;
    for (const auto& s : stored) stored_ids.push_back(s.receipt_id);
    CHECK(stored_ids == r.receipt_ids);
    CHECK(indexes_of(stored) == r.log_indexes);
    for (std::size_t i = 0; i < stored.size(); ++i)
        CHECK(payload_of(stored[i]).value("prev", std::string()) ==
              (i == 0 ? std::string() : hash_of(stored[i - 1].jws)));
    CHECK(consent::test::read_ok(store.subject_state(kShop, subject_of_thread(t))).at("analytics").receipt_id ==
          r.receipt_ids.back());
}

// threads x per_thread appends at once, one subject per thread. Returns the
// number of acknowledged appends after checking the log and the chains.
std::int64_t concurrent_appends(ReceiptStore& store, int threads, int per_thread) {
    setup_site(store, kShop);
    const auto results = append_from_threads(store, decisions_per_thread(threads, per_thread));
    std::vector<std::int64_t> all_indexes;
    for (int t = 0; t < threads; ++t) {
        check_thread_receipts(store, t, results[t]);
        all_indexes.insert(all_indexes.end(), results[t].log_indexes.begin(), results[t].log_indexes.end());
    }
    const auto total = static_cast<std::int64_t>(threads) * per_thread;
    std::sort(all_indexes.begin(), all_indexes.end());
    std::vector<std::int64_t> expected(static_cast<std::size_t>(total));
    for (std::int64_t i = 0; i < total; ++i) expected[static_cast<std::size_t>(i)] = i;
    CHECK(all_indexes == expected);  // 0..N-1: no gap, no duplicate
    CHECK(*store.receipt_count() == total);
    CHECK(store.rebuild_check().ok());
    return total;
}

void data_survives_reopening(const StoreFactory& open) {
    StoredReceipt last;
    {
        auto store = open();
        setup_site(*store, kShop);
        REQUIRE(store->put_api_key(ApiKeyRecord{"key_abc", kShop, std::string(64, 'b'), kNow, std::nullopt, ""}).ok());
        append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
        last = append_ok(*store, request(kShop, decide("decision-2", "subj-a", Method::withdraw))).receipt;
    }
    auto store = open();
    CHECK(store->site(kShop).ok());
    CHECK(store->current_notice(kShop)->content_hash == notice_hash());
    CHECK(store->api_key("key_abc").ok());
    CHECK(*store->receipt_count() == 2);
    CHECK(consent::test::read_ok(store->subject_state(kShop, "subj-a")).at("analytics").state == PurposeState::denied);
    const auto replay = append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    CHECK(replay.replayed);
    // The log and the subject's chain continue where they stopped.
    const auto next = append_ok(*store, request(kShop, grant_all("decision-3", "subj-a")));
    CHECK(next.receipt.log_index == 2);
    CHECK(payload_of(next.receipt)["prev"] == hash_of(last.jws));
    CHECK(store->rebuild_check().ok());
}

void receipts_after_pages(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    setup_site(*store, kBlog);
    std::vector<std::int64_t> shop_indexes;
    for (int i = 0; i < 9; ++i) {
        const std::string site = i % 3 == 1 ? kBlog : kShop;
        const auto outcome = append_ok(*store, request(site, grant_all("decision-" + std::to_string(i), "subj-a")));
        if (site == kShop) shop_indexes.push_back(outcome.receipt.log_index);
    }
    std::vector<std::int64_t> paged;
    std::int64_t after = -1;  // before the first index, 0
    for (int pages = 0; pages < 10; ++pages) {
        const auto page = consent::test::read_ok(store->receipts_after(kShop, after, 2));
        if (page.empty()) break;
        CHECK(page.size() <= 2);
        for (const auto& r : page) {
            CHECK(r.site_id == kShop);
            paged.push_back(r.log_index);
        }
        after = page.back().log_index;
    }
    CHECK(paged == shop_indexes);
    CHECK(consent::test::read_ok(store->receipts_after(kShop, -1, 0)).empty());
    CHECK(indexes_of(consent::test::read_ok(store->receipts_after(kShop, 3, 100))) ==
          std::vector<std::int64_t>{5, 6, 8});
    CHECK(consent::test::read_ok(store->receipts_after("nowhere", -1, 100)).empty());
}

// Times step back once (a wall clock may) and repeat, so the order by
// (server_time, log_index) differs from log order; the blog's receipts interleave.
void receipts_in_time_pages(const StoreFactory& open, std::atomic<std::int64_t>& now) {
    auto store = open();
    setup_site(*store, kShop);
    setup_site(*store, kBlog);
    const std::int64_t offsets[] = {10, 20, 20, 5, 30, 20, 40, 10, 50};
    std::vector<std::pair<std::int64_t, std::int64_t>> expected;  // (server_time, log_index) of shop's in [10, 50)
    for (int i = 0; i < 9; ++i) {
        now = kNow + offsets[i];
        const std::string site = i % 4 == 1 ? kBlog : kShop;
        const auto outcome = append_ok(*store, request(site, grant_all("decision-" + std::to_string(i), "subj-a")));
        if (site == kShop && offsets[i] >= 10 && offsets[i] < 50)
            expected.emplace_back(outcome.receipt.server_time, outcome.receipt.log_index);
    }
    std::sort(expected.begin(), expected.end());
    REQUIRE(expected.size() == 5);
    std::vector<std::pair<std::int64_t, std::int64_t>> paged;
    consent::server::TimePosition after{kNow + 10, -1};
    for (int pages = 0; pages < 10; ++pages) {
        const auto page = ok_value(store->receipts_in_time(kShop, after, kNow + 50, 2));
        CHECK(page.size() <= 2);
        for (const auto& r : page) {
            CHECK(r.site_id == kShop);
            paged.emplace_back(r.server_time, r.log_index);
        }
        if (page.size() < 2) break;
        after = {page.back().server_time, page.back().log_index};
    }
    CHECK(paged == expected);
    CHECK(ok_value(store->receipts_in_time(kShop, {kNow + 20, -1}, kNow + 20, 100)).empty());  // until is excluded
    CHECK(ok_value(store->receipts_in_time(kShop, {kNow, -1}, kNow + 100, 0)).empty());
    CHECK(ok_value(store->receipts_in_time("nowhere", {0, -1}, kNow + 100, 100)).empty());
    const auto rest = ok_value(store->receipts_in_time(kShop, {kNow + 10, expected[0].second}, kNow + 100, 100));
    REQUIRE_FALSE(rest.empty());
    CHECK(rest.front().log_index == expected[1].second);  // the same second, after the cursor's index
}

void proofs_match_an_in_memory_tree(const StoreFactory& open, int appends) {
    auto store = open();
    setup_site(*store, kShop);
    for (int i = 0; i < appends; ++i)
        append_ok(*store, request(kShop, grant_all("decision-" + std::to_string(i), "subj-" + std::to_string(i % 5))));
    const auto leaves = stored_leaf_hashes(*store, kShop);
    REQUIRE(leaves.size() == static_cast<std::size_t>(appends));
    CHECK(differences_from_memory(*store, leaves) == std::vector<std::string>{});
    CHECK(ok_value(store->root_at(0)) == merkle::empty_root());  // RFC 9162 §2.1.1: MTH({}) = SHA-256()
}

// threads x per_thread appends at once; every acknowledged outcome, for checks after the threads end.
std::vector<AppendOutcome> outcomes_from_threads(ReceiptStore& store, int threads, int per_thread) {
    const auto decisions = decisions_per_thread(threads, per_thread);
    std::vector<std::vector<AppendOutcome>> per(decisions.size());
    std::vector<std::thread> workers;
    for (std::size_t t = 0; t < decisions.size(); ++t)
        workers.emplace_back([&, t] {
            for (const auto& d : decisions[t])
                if (auto outcome = store.append(request(kShop, d))) per[t].push_back(std::move(outcome.value()));
        });
    for (auto& w : workers) w.join();
    std::vector<AppendOutcome> all;
    for (auto& outcomes : per) all.insert(all.end(), outcomes.begin(), outcomes.end());
    return all;
}

void checkpoints_follow_batches(const StoreFactory& open, std::atomic<std::int64_t>& now) {
    RecordingSigner signer;
    auto store = open();
    store->set_checkpoint_signer(signer.function());
    setup_site(*store, kShop);
    CHECK_FALSE(store->latest_checkpoint().ok());
    for (int i = 0; i < 3; ++i) {  // one append, one batch, one checkpoint
        now = kNow + i;
        const auto outcome = append_ok(*store, request(kShop, grant_all("decision-" + std::to_string(i), "subj-a")));
        CHECK(outcome.checkpoint.tree_size == i + 1);
        CHECK(outcome.checkpoint.timestamp == kNow + i);
        check_outcome_checkpoint(*store, outcome);
    }
    const auto outcomes = outcomes_from_threads(*store, 8, 10);
    REQUIRE(outcomes.size() == 80);
    for (const auto& outcome : outcomes) check_outcome_checkpoint(*store, outcome);
    const auto calls = signer.calls();
    REQUIRE_FALSE(calls.empty());
    for (std::size_t i = 0; i < calls.size(); ++i) {
        CAPTURE(i, calls[i].tree_size);
        if (i > 0) CHECK(calls[i].tree_size > calls[i - 1].tree_size);  // strictly growing
        CHECK(ok_value(store->root_at(calls[i].tree_size)) == calls[i].root);
        const auto stored = store->checkpoint_at(calls[i].tree_size);
        REQUIRE(stored.ok());
        CHECK(same_checkpoint(*stored, calls[i]));
    }
    CHECK(calls.back().tree_size == *store->receipt_count());
    REQUIRE(store->latest_checkpoint().ok());
    CHECK(same_checkpoint(*store->latest_checkpoint(), calls.back()));
    // A replay adds no receipt and signs nothing: its receipt is in the latest tree already.
    const auto replay = append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    CHECK(replay.replayed);
    CHECK(same_checkpoint(replay.checkpoint, calls.back()));
    CHECK(signer.calls().size() == calls.size());
    CHECK(store->rebuild_check().ok());
}

void failing_checkpoint_signer_fails_the_batch(const StoreFactory& open) {
    RecordingSigner good;
    auto store = open();
    store->set_checkpoint_signer(good.function());
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    append_ok(*store, request(kShop, decide("decision-2", "subj-a", Method::withdraw, {}, {"marketing"})));
    const auto before = store->latest_checkpoint();
    REQUIRE(before.ok());
    const auto state_before = consent::test::read_ok(store->subject_state(kShop, "subj-a"));
    store->set_checkpoint_signer([](std::int64_t, const merkle::Hash&, std::int64_t) {
        return Result<std::string>(consent::make_error("keys.sign_failed", "the log key is unavailable"));
    });
    const auto refused = store->append(request(kShop, decide("decision-3", "subj-a", Method::reject_all)));
    check_error(refused, "storage.checkpoint_failed");
    CHECK_THAT(refused.error().message, Catch::Contains("keys.sign_failed"));
    store->set_checkpoint_signer([](std::int64_t, const merkle::Hash&, std::int64_t) -> Result<std::string> {
        throw std::runtime_error("boom");
    });
    check_error(store->append(request(kShop, decide("decision-3", "subj-a", Method::reject_all))),
                "storage.checkpoint_failed");
    // Nothing of the refused batches was kept: no receipt, node, state or checkpoint.
    CHECK(*store->receipt_count() == 2);
    check_error(store->root_at(3), "storage.bad_proof_request");
    CHECK(ok_value(store->root_at(2)) == before->root);
    CHECK(same_checkpoint(*store->latest_checkpoint(), *before));
    CHECK(consent::test::read_ok(store->subject_state(kShop, "subj-a")).at("analytics").receipt_id ==
          state_before.at("analytics").receipt_id);
    CHECK(store->rebuild_check().ok());
    // The decision was not recorded: with a working signer it is a new receipt at the next index.
    store->set_checkpoint_signer(good.function());
    const auto retried = append_ok(*store, request(kShop, decide("decision-3", "subj-a", Method::reject_all)));
    CHECK_FALSE(retried.replayed);
    CHECK(retried.receipt.log_index == 2);
    CHECK(retried.checkpoint.tree_size == 3);
    const auto proof = ok_value(store->consistency_proof(2, 3));
    CHECK(merkle::verify_consistency(2, 3, bytes_of(before->root), bytes_of(retried.checkpoint.root), bytes_of(proof))
              .ok());
}

void no_signer_means_no_checkpoint(const StoreFactory& open) {
    RecordingSigner signer;
    auto store = open();
    setup_site(*store, kShop);
    const auto first = append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    CHECK(first.checkpoint.tree_size == 0);  // none
    CHECK_FALSE(store->latest_checkpoint().ok());
    CHECK_FALSE(store->checkpoint_at(1).ok());
    // The log itself is kept all the same: a one-leaf tree's root is its leaf hash.
    CHECK(ok_value(store->root_at(1)) == merkle::leaf_hash(first.receipt.jws));
    store->set_checkpoint_signer(signer.function());
    // The replayed receipt is in no signed tree yet, so its batch signs one.
    const auto replay = append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    CHECK(replay.replayed);
    CHECK(replay.checkpoint.tree_size == 1);
    check_outcome_checkpoint(*store, replay);
    const auto second = append_ok(*store, request(kShop, grant_all("decision-2", "subj-b")));
    CHECK(second.checkpoint.tree_size == 2);
    check_outcome_checkpoint(*store, second);
    CHECK(signer.calls().size() == 2);
}

void bad_proof_requests_are_refused(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    for (int i = 0; i < 3; ++i) append_ok(*store, request(kShop, grant_all("decision-" + std::to_string(i), "subj-a")));
    const std::string bad = "storage.bad_proof_request";
    check_error(store->root_at(-1), bad);
    check_error(store->root_at(4), bad);
    CHECK_THAT(store->root_at(4).error().message, Catch::Contains("beyond the log"));
    check_error(store->inclusion_proof(3, 3), bad);  // index >= size
    check_error(store->inclusion_proof(0, 0), bad);  // the empty tree has no leaf
    check_error(store->inclusion_proof(-1, 2), bad);
    check_error(store->inclusion_proof(0, 4), bad);    // beyond the log
    check_error(store->consistency_proof(0, 3), bad);  // RFC 9162 §2.1.4.1: only from 0 < m
    check_error(store->consistency_proof(-2, 3), bad);
    check_error(store->consistency_proof(3, 2), bad);
    check_error(store->consistency_proof(1, 4), bad);
    CHECK(ok_value(store->consistency_proof(3, 3)).empty());  // a tree is consistent with itself
    CHECK(ok_value(store->inclusion_proof(0, 1)).empty());
    CHECK_FALSE(store->checkpoint_at(4).ok());
    CHECK_FALSE(store->checkpoint_at(-1).ok());
}

void log_survives_reopening(const StoreFactory& open) {
    RecordingSigner signer;
    std::optional<Checkpoint> before;
    {
        auto store = open();
        store->set_checkpoint_signer(signer.function());
        setup_site(*store, kShop);
        for (int i = 0; i < 5; ++i)
            append_ok(*store, request(kShop, grant_all("decision-" + std::to_string(i), "subj-a")));
        before = consent::test::read_ok(store->latest_checkpoint());
    }
    REQUIRE(before.has_value());
    auto store = open();
    const auto latest = store->latest_checkpoint();
    REQUIRE(latest.ok());
    CHECK(same_checkpoint(*latest, *before));
    CHECK(ok_value(store->root_at(5)) == before->root);
    store->set_checkpoint_signer(signer.function());
    const auto next = append_ok(*store, request(kShop, grant_all("decision-5", "subj-a")));
    CHECK(next.receipt.log_index == 5);
    check_outcome_checkpoint(*store, next);
    const auto proof = ok_value(store->consistency_proof(5, next.checkpoint.tree_size));
    CHECK(
        merkle::verify_consistency(5, 6, bytes_of(before->root), bytes_of(next.checkpoint.root), bytes_of(proof)).ok());
    CHECK(differences_from_memory(*store, stored_leaf_hashes(*store, kShop)) == std::vector<std::string>{});
    CHECK(store->rebuild_check().ok());
}

// Proof that processing stopped (issue #15): the first acknowledgement of a
// receipt by a backend stands, a request with one unknown receipt keeps
// nothing, and the reads see what was kept.
void acknowledgements_round_trip(const StoreFactory& open) {
    using consent::server::AcknowledgementRequest;
    auto store = open();
    setup_site(*store, kShop);
    setup_site(*store, kBlog);
    const auto grant = append_ok(*store, request(kShop, grant_all("decision-1", "subj-a")));
    const auto withdrawal = append_ok(*store, request(kShop, decide("decision-2", "subj-a", Method::withdraw)));
    const auto elsewhere = append_ok(*store, request(kBlog, grant_all("decision-3", "subj-a")));
    CHECK(consent::test::read_ok(store->newest_withdrawal(kShop)) == withdrawal.receipt.log_index);
    CHECK(consent::test::read_ok(store->newest_withdrawal(kBlog)) == -1);
    AcknowledgementRequest ack{kShop, "newsletter", "key_1", {withdrawal.receipt.receipt_id}, kNow + 5};
    const auto first = consent::test::read_ok(store->acknowledge(ack));
    REQUIRE(first.size() == 1);
    CHECK_FALSE(first[0].replayed);
    CHECK(first[0].subject_id == "subj-a");
    CHECK(first[0].log_index == withdrawal.receipt.log_index);
    ack.now = kNow + 9;
    ack.key_id = "key_2";
    const auto again = consent::test::read_ok(store->acknowledge(ack));
    REQUIRE(again.size() == 1);
    CHECK(again[0].replayed);
    CHECK(again[0].acknowledged_at == kNow + 5);
    CHECK(again[0].key_id == "key_1");
    // All or none: one receipt of another site (or none at all) refuses the request.
    check_error(store->acknowledge(AcknowledgementRequest{
                    kShop, "recommendations", "key_1", {grant.receipt.receipt_id, elsewhere.receipt.receipt_id}, kNow}),
                "storage.unknown_receipt");
    check_error(store->acknowledge(AcknowledgementRequest{kShop, "recommendations", "key_1", {"rcpt_nope"}, kNow}),
                "storage.unknown_receipt");
    const auto kept = consent::test::read_ok(store->subject_acknowledgements(kShop, "subj-a"));
    REQUIRE(kept.size() == 1);
    CHECK(kept[0].backend == "newsletter");
    CHECK(kept[0].acknowledged_at == kNow + 5);
    const auto positions = consent::test::read_ok(store->backend_positions(kShop));
    REQUIRE(positions.size() == 1);
    CHECK(positions[0].backend == "newsletter");
    CHECK(positions[0].last_index == withdrawal.receipt.log_index);
    CHECK(positions[0].acknowledgements == 1);
    CHECK(consent::test::read_ok(store->backend_positions(kBlog)).empty());
    // A backend a live key is registered for is listed before it acknowledged anything.
    REQUIRE(
        store->put_api_key(ApiKeyRecord{"key_recs", kShop, std::string(64, 'd'), kNow, std::nullopt, "recommendations"})
            .ok());
    const auto registered = consent::test::read_ok(store->backend_positions(kShop));
    REQUIRE(registered.size() == 2);
    CHECK(registered[1].backend == "recommendations");
    CHECK(registered[1].registered);
    CHECK(registered[1].last_index == -1);
    CHECK(registered[1].acknowledgements == 0);
    CHECK_FALSE(registered[0].registered);  // newsletter acknowledged under a site-wide key
}

// Snapshots (issue #15): subjects in byte order after a cursor, each with the
// fold of its receipts up to the index.
void snapshots_fold_up_to_the_index(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    setup_site(*store, kBlog);
    CHECK(consent::test::read_ok(store->site_log_head(kShop)) == -1);
    append_ok(*store, request(kShop, grant_all("decision-1", "subj-b")));
    append_ok(*store, request(kShop, grant_all("decision-2", "subj-a")));
    append_ok(*store, request(kBlog, grant_all("decision-3", "subj-c")));
    append_ok(*store, request(kShop, decide("decision-4", "subj-a", Method::withdraw)));
    CHECK(consent::test::read_ok(store->site_log_head(kShop)) == 3);
    const auto at_one = consent::test::read_ok(store->states_at(kShop, 1, "", 10));
    REQUIRE(at_one.size() == 2);
    CHECK(at_one[0].subject_id == "subj-a");
    CHECK(at_one[0].last_index == 1);
    CHECK(at_one[0].state.at("analytics").state == PurposeState::granted);
    CHECK(at_one[1].subject_id == "subj-b");
    CHECK(at_one[1].last_index == 0);
    const auto first_page = consent::test::read_ok(store->states_at(kShop, 3, "", 1));
    REQUIRE(first_page.size() == 1);
    CHECK(first_page[0].subject_id == "subj-a");
    CHECK(first_page[0].last_index == 3);
    CHECK(first_page[0].state.at("analytics").state == PurposeState::denied);
    const auto next_page = consent::test::read_ok(store->states_at(kShop, 3, "subj-a", 10));
    REQUIRE(next_page.size() == 1);
    CHECK(next_page[0].subject_id == "subj-b");
}

}  // namespace conformance

}  // namespace consent::test::store
