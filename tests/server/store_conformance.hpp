// The ReceiptStore conformance suite (STYLE.md: one storage conformance
// suite run against every back end). The scenarios in namespace
// `conformance` see only ReceiptStore&, through a StoreFactory that opens the
// same backing data each time it is called; store_conformance_cases.hpp
// turns them into one Catch2 test case each for a back end's harness
// (receipt_store_test.cpp: SQLite; pg/pg_store_test.cpp: PostgreSQL).
// The inputs and checks here are shared with the back ends' own tests.
#pragma once

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/consent/policy.hpp"
#include "consent/log/merkle.hpp"
#include "storage/receipt_store.hpp"

namespace consent::test::store {

using consent::Decision;
using consent::DecisionRequest;
using consent::Method;
using consent::Notice;
using consent::PurposeState;
using consent::Result;
using consent::server::ApiKeyRecord;
using consent::server::AppendOutcome;
using consent::server::AppendRequest;
using consent::server::Checkpoint;
using consent::server::CheckpointSigner;
using consent::server::ReceiptSlot;
using consent::server::ReceiptStore;
using consent::server::SealedReceipt;
using consent::server::SealFunction;
using consent::server::Site;
using consent::server::StoredNotice;
using consent::server::StoredReceipt;
using nlohmann::json;
namespace merkle = consent::merkle;

// Opens the store under test over the same backing data on every call.
using StoreFactory = std::function<std::unique_ptr<ReceiptStore>()>;

constexpr const char* kShop = "shop";
constexpr const char* kBlog = "blog";

// ---------------------------------------------------------------- inputs

const Notice& notice();
const std::string& notice_hash();
StoredNotice stored_notice(const std::string& site_id, const Notice& n);
Notice notice_version(std::int64_t version, const std::string& notice_id = "bike-shop");
// Decision ids are 8-64 characters of [A-Za-z0-9_-] (the core's rule).
Decision decide(const std::string& decision_id, const std::string& subject_id, Method method,
                std::map<std::string, bool> choices = {}, std::vector<std::string> withdraw = {});
Decision grant_all(const std::string& decision_id, const std::string& subject_id);
// A seal that must not be called (a replay, a refused id): deterministic.
SealedReceipt fake_seal(const ReceiptSlot& slot);
// A receipt as consentd seals it, with a fixed stand-in signature.
SealFunction receipt_seal(const std::string& site_id, const Decision& decision);
AppendRequest request(const std::string& site_id, Decision decision, SealFunction seal = nullptr);
AppendOutcome append_ok(ReceiptStore& store, AppendRequest r);
std::string hash_of(const std::string& jws);
json payload_of(const StoredReceipt& r);
void setup_site(ReceiptStore& store, const std::string& site_id);
consent::PolicyContext policy_context();
std::vector<std::int64_t> indexes_of(const std::vector<StoredReceipt>& receipts);

// ---------------------------------------------------------------- the Merkle log

using RawHash = std::vector<std::uint8_t>;
RawHash bytes_of(const merkle::Hash& hash);
std::vector<RawHash> bytes_of(const std::vector<merkle::Hash>& proof);
std::string fake_note(std::int64_t tree_size, const merkle::Hash& root, std::int64_t timestamp);
bool same_checkpoint(const Checkpoint& a, const Checkpoint& b);
// The independent tree: leaf_hash of every stored receipt's JWS, in log order.
std::vector<merkle::Hash> stored_leaf_hashes(ReceiptStore& store, const std::string& site_id);
// Every root and proof of the first N leaves held against the core's; the differences.
std::vector<std::string> differences_from_memory(ReceiptStore& store, const std::vector<merkle::Hash>& leaves);
// An outcome's checkpoint is the stored one and its inclusion proof verifies.
void check_outcome_checkpoint(ReceiptStore& store, const AppendOutcome& outcome);

// A stand-in for the log key (written elsewhere): a note that repeats what it
// signs, and a record of every call. Declare it before the store that uses it.
class RecordingSigner {
public:
    CheckpointSigner function() {
        return [this](std::int64_t tree_size, const merkle::Hash& root, std::int64_t timestamp) {
            std::lock_guard<std::mutex> lock(mutex_);
            calls_.push_back(Checkpoint{tree_size, root, timestamp, fake_note(tree_size, root, timestamp)});
            return Result<std::string>(calls_.back().note);
        };
    }
    std::vector<Checkpoint> calls() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return calls_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Checkpoint> calls_;
};

template <class T>
void check_error(const consent::Result<T>& result, const std::string& code) {
    REQUIRE_FALSE(result.ok());
    CAPTURE(result.error().message);
    CHECK(result.error().code == code);
}

template <class T>
T ok_value(Result<T> result) {
    if (!result) FAIL(result.error().code << ": " << result.error().message);
    return std::move(result).value();
}

// ---------------------------------------------------------------- erasure (issue #13; store_conformance_erasure.cpp)

// What someone with the database's own client can do behind the store's
// back. Each returns "" or the database's refusal, whose text names the rule.
struct RawDatabase {
    std::function<std::string(const std::string& sql)> exec;  // the schema's guards in force
    // The append-only guards of receipts switched off first (tampering that
    // the audit must find, since the schema would refuse it).
    std::function<std::string(const std::string& sql)> exec_unguarded;
};

// The subject tag the erasure scenarios keep (the service keys it; any text does here).
std::string tag_of(const std::string& subject_id);
// An erasure of every receipt the store holds of the subject at the site,
// sealed as consentd seals one (the core's payload, a stand-in signature).
AppendRequest erasure_request(ReceiptStore& store, const std::string& site_id, const std::string& subject_id,
                              const std::string& erasure_id);

// ---------------------------------------------------------------- conformance

namespace conformance {

void sites_round_trip(const StoreFactory& open);
void site_change_reaches_another_store(const StoreFactory& open);
void notices_round_trip(const StoreFactory& open);
void notice_version_rules(const StoreFactory& open);
void api_keys_round_trip(const StoreFactory& open);
void consecutive_log_indexes(const StoreFactory& open, std::atomic<std::int64_t>& now);
void retried_decision_is_replayed(const StoreFactory& open);
void reused_decision_id_is_a_conflict(const StoreFactory& open);
void previous_hash_chains_a_subject(const StoreFactory& open);
void withdrawal_after_grant_denies(const StoreFactory& open);
void pending_decisions_until_answered(const StoreFactory& open);
void rebuild_check_passes(const StoreFactory& open);
void failing_seal_writes_nothing(const StoreFactory& open);
void append_to_unknown_site_is_refused(const StoreFactory& open);
// threads x per_thread appends at once, one subject per thread; checks the
// log and the chains and returns the number of acknowledged appends.
std::int64_t concurrent_appends(ReceiptStore& store, int threads, int per_thread);
std::vector<std::vector<Decision>> decisions_per_thread(int threads, int per_thread);
struct ThreadResult {
    std::vector<std::string> receipt_ids;
    std::vector<std::int64_t> log_indexes;
    std::vector<std::string> errors;
};
// Each thread appends its decisions to kShop, in order.
std::vector<ThreadResult> append_from_threads(ReceiptStore& store, const std::vector<std::vector<Decision>>& decisions);
void data_survives_reopening(const StoreFactory& open);
void receipts_after_pages(const StoreFactory& open);
void receipts_in_time_pages(const StoreFactory& open, std::atomic<std::int64_t>& now);
void proofs_match_an_in_memory_tree(const StoreFactory& open, int appends);
void checkpoints_follow_batches(const StoreFactory& open, std::atomic<std::int64_t>& now);
void failing_checkpoint_signer_fails_the_batch(const StoreFactory& open);
void no_signer_means_no_checkpoint(const StoreFactory& open);
void bad_proof_requests_are_refused(const StoreFactory& open);
void log_survives_reopening(const StoreFactory& open);
void acknowledgements_round_trip(const StoreFactory& open);
void snapshots_fold_up_to_the_index(const StoreFactory& open);

// Erasure (issue #13; store_conformance_erasure.cpp).
void erasure_blanks_rows_and_keeps_every_proof(const StoreFactory& open, std::atomic<std::int64_t>& now);
void erasure_of_a_receipt_not_the_subjects_is_a_conflict(const StoreFactory& open);
void erasure_that_fails_midway_erases_nothing(const StoreFactory& open);
void erased_subject_comes_back_on_a_new_chain(const StoreFactory& open);
void retention_policies_round_trip(const StoreFactory& open);
void schema_lets_a_receipt_change_only_into_its_erased_form(const StoreFactory& open, const RawDatabase& raw);
void audit_names_a_row_blanked_or_deleted_without_an_erasure(const StoreFactory& open, const RawDatabase& raw);

}  // namespace conformance

}  // namespace consent::test::store
