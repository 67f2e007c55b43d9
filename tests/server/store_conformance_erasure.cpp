// The erasure scenarios of the ReceiptStore conformance suite (issue #13,
// docs/erasure.md; store_conformance.hpp): every store erases the same rows
// the same way, keeps the same proofs valid and audits the same tampering.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "consent/consent/decision.hpp"
#include "consent/consent/policy.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/erasure.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/receipt.hpp"
#include "fixtures.hpp"
#include "store_conformance.hpp"
#include "store_reads.hpp"

namespace consent::test::store {

using consent::server::AcknowledgementRequest;
using consent::server::ErasureOrder;
using consent::server::TimePosition;
using consent::test::kNow;
using consent::test::read_ok;

std::string tag_of(const std::string& subject_id) { return "tag-" + subject_id; }

AppendRequest erasure_request(ReceiptStore& store, const std::string& site_id, const std::string& subject_id,
                              const std::string& erasure_id) {
    const auto receipts = read_ok(store.subject_receipts(site_id, subject_id));
    std::vector<consent::ErasedEntry> entries;
    ErasureOrder order;
    order.subject_id = subject_id;
    order.subject_tag = tag_of(subject_id);
    for (const auto& r : receipts) {
        auto jws = consent::parse_compact_jws(r.jws);
        REQUIRE(jws.ok());
        auto entry = consent::erased_entry(*jws, r.jws);
        REQUIRE(entry.ok());
        auto residue = consent::canonicalize(consent::erased_entry_json(*entry));
        REQUIRE(residue.ok());
        order.log_indices.push_back(r.log_index);
        order.residues.push_back(*residue);
        entries.push_back(*entry);
    }
    Decision marker;  // decides nothing: it carries the erasure receipts' chain
    marker.decision_id = erasure_id;
    marker.subject_id = std::string(consent::kErasureSubject);
    SealFunction seal = [site_id, entries](const ReceiptSlot& slot) -> Result<SealedReceipt> {
        const consent::ErasureContents contents{{slot.receipt_id, site_id, slot.server_time, slot.log_index,
                                                 slot.previous_receipt_hash, "subject_request", "ck_test"},
                                                entries};
        if (auto valid = consent::check_erasure(contents); !valid) return valid.error();
        const json payload = consent::make_erasure_payload(contents);
        auto input = consent::jws_signing_input(consent::erasure_jws_header("test-kid"), payload);
        if (!input) return input.error();
        auto canonical = consent::canonicalize(payload);
        if (!canonical) return canonical.error();
        return SealedReceipt{consent::jws_compact(*input, consent::Bytes(64, 0x5a)), *canonical};
    };
    return AppendRequest{site_id, erasure_id, std::move(marker), std::move(seal), std::move(order)};
}

namespace conformance {
namespace {

AppendOutcome erase_ok(ReceiptStore& store, AppendRequest r) {
    auto outcome = store.erase(std::move(r));
    if (!outcome) FAIL(outcome.error().code << ": " << outcome.error().message);
    return outcome.value();
}

bool proof_verifies(ReceiptStore& store, std::int64_t index, const std::string& jws, const Checkpoint& at) {
    const auto proof = read_ok(store.inclusion_proof(index, at.tree_size));
    return merkle::verify_inclusion(static_cast<std::uint64_t>(index), static_cast<std::uint64_t>(at.tree_size),
                                    bytes_of(merkle::leaf_hash(jws)), bytes_of(proof), bytes_of(at.root))
        .ok();
}

// What every read of the store says once subj-a (receipts 0 and 2) is erased
// by the erasure receipt at index 3 and subj-b (receipt 1) is not.
void check_erased_reads(ReceiptStore& store, const std::vector<std::string>& residues, const AppendOutcome& erasure,
                        const std::vector<StoredReceipt>& before) {
    CHECK(read_ok(store.subject_receipts(kShop, "subj-a")).empty());
    CHECK(read_ok(store.subject_state(kShop, "subj-a")).empty());
    CHECK(read_ok(store.subject_acknowledgements(kShop, "subj-a")).empty());
    CHECK(read_ok(store.subject_receipts(kShop, "subj-b")).size() == 1);
    CHECK_FALSE(read_ok(store.subject_state(kShop, "subj-b")).empty());

    const auto log = read_ok(store.log_receipts(-1, 100));
    REQUIRE(log.size() == 4);
    for (const std::size_t i : {std::size_t{0}, std::size_t{2}}) {
        CAPTURE(i);
        const std::string erased_id = "erased:" + std::to_string(i);
        CHECK(consent::server::is_erased(log[i]));
        CHECK(log[i].receipt_id == erased_id);
        CHECK(log[i].decision_id == erased_id);
        CHECK(log[i].subject_id.empty());
        CHECK(log[i].site_id == kShop);
        CHECK(log[i].server_time == before[i].server_time);
        CHECK(log[i].method == before[i].method);
        CHECK(log[i].payload == residues[i == 0 ? 0 : 1]);
    }
    CHECK(log[1].jws == before[1].jws);
    CHECK(consent::server::is_erasure_receipt(log[3]));
    CHECK(log[3].jws == erasure.receipt.jws);

    // Event streams see no erased row but do see the erasure receipt (its
    // "erasure" event tells mirrors to forget); snapshots see neither;
    // statistics still count the erased rows (their residue), not the erasure.
    const auto streamed = read_ok(store.receipts_after(kShop, -1, 100));
    CHECK(indexes_of(streamed) == std::vector<std::int64_t>{1, 3});
    REQUIRE(streamed.size() == 2);
    CHECK(consent::server::is_erasure_receipt(streamed[1]));
    CHECK(streamed[1].receipt_id == erasure.receipt.receipt_id);
    CHECK(indexes_of(read_ok(store.receipts_after(kShop, 1, 100))) == std::vector<std::int64_t>{3});
    CHECK(indexes_of(read_ok(store.receipts_in_time(kShop, TimePosition{0, -1}, kNow + 10000, 100))) ==
          std::vector<std::int64_t>{0, 1, 2});
    const auto snapshot = read_ok(store.states_at(kShop, 3, "", 100));
    REQUIRE(snapshot.size() == 1);
    CHECK(snapshot[0].subject_id == "subj-b");

    const auto erasures = read_ok(store.subject_erasures(kShop, tag_of("subj-a")));
    REQUIRE(erasures.size() == 1);
    CHECK(erasures[0].log_index == 3);
    CHECK(erasures[0].jws == erasure.receipt.jws);
    CHECK(read_ok(store.subject_erasures(kShop, tag_of("subj-b"))).empty());
    CHECK(read_ok(store.subject_erasures(kBlog, tag_of("subj-a"))).empty());
    read_ok(store.rebuild_check());
}

}  // namespace

void erasure_blanks_rows_and_keeps_every_proof(const StoreFactory& open, std::atomic<std::int64_t>& now) {
    RecordingSigner signer;
    auto store = open();
    store->set_checkpoint_signer(signer.function());
    setup_site(*store, kShop);
    setup_site(*store, kBlog);
    now = kNow;
    const auto held = append_ok(*store, request(kShop, grant_all("decision-era-1", "subj-a")));
    now = kNow + 60;
    append_ok(*store, request(kShop, grant_all("decision-era-2", "subj-b")));
    now = kNow + 120;
    const auto withdrawal = append_ok(*store, request(kShop, decide("decision-era-3", "subj-a", Method::withdraw)));
    // A backend's acknowledgement names the subject too.
    read_ok(store->acknowledge(
        AcknowledgementRequest{kShop, "newsletter", "key_1", {withdrawal.receipt.receipt_id}, kNow + 130}));
    const auto before_rows = read_ok(store->log_receipts(-1, 100));
    const auto before = read_ok(store->latest_checkpoint());

    now = kNow + 180;
    AppendRequest order = erasure_request(*store, kShop, "subj-a", "era_conformance_1");
    const std::vector<std::string> residues = order.erasure->residues;
    const auto erased = erase_ok(*store, std::move(order));
    CHECK_FALSE(erased.replayed);
    CHECK(erased.receipt.log_index == 3);
    CHECK(erased.receipt.subject_id == consent::kErasureSubject);
    CHECK(erased.receipt.method == "erasure");
    check_outcome_checkpoint(*store, erased);

    // The receipt the banner kept is still a leaf at its index of today's log,
    // proven by the proof it was handed and by a new one; today's log extends
    // the checkpoint held before.
    const auto latest = read_ok(store->latest_checkpoint());
    CHECK(latest.tree_size == 4);
    CHECK(proof_verifies(*store, 0, held.receipt.jws, held.checkpoint));
    CHECK(proof_verifies(*store, 0, held.receipt.jws, latest));
    CHECK(proof_verifies(*store, 2, withdrawal.receipt.jws, latest));
    const auto consistency = read_ok(store->consistency_proof(before.tree_size, latest.tree_size));
    CHECK(merkle::verify_consistency(static_cast<std::uint64_t>(before.tree_size),
                                     static_cast<std::uint64_t>(latest.tree_size), bytes_of(before.root),
                                     bytes_of(latest.root), bytes_of(consistency))
              .ok());

    check_erased_reads(*store, residues, erased, before_rows);
    store.reset();
    auto reopened = open();
    check_erased_reads(*reopened, residues, erased, before_rows);
}

void erasure_of_a_receipt_not_the_subjects_is_a_conflict(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, grant_all("decision-era-1", "subj-a")));
    append_ok(*store, request(kShop, grant_all("decision-era-2", "subj-b")));
    // subj-a's order, but naming subj-b's receipt.
    AppendRequest order = erasure_request(*store, kShop, "subj-a", "era_conformance_2");
    order.erasure->log_indices = {1};
    check_error(store->erase(std::move(order)), "storage.erasure_conflict");
    // Not an erasure receipt with its order at all.
    check_error(store->erase(request(kShop, grant_all("decision-era-3", "subj-a"))), "storage.invalid_argument");
    CHECK(read_ok(store->receipt_count()) == 2);
    CHECK(read_ok(store->subject_receipts(kShop, "subj-a")).size() == 1);
    CHECK(read_ok(store->subject_receipts(kShop, "subj-b")).size() == 1);
    CHECK(read_ok(store->subject_erasures(kShop, tag_of("subj-a"))).empty());
    read_ok(store->rebuild_check());
}

void erasure_that_fails_midway_erases_nothing(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, grant_all("decision-era-1", "subj-a")));
    append_ok(*store, request(kShop, grant_all("decision-era-2", "subj-b")));
    const auto state = read_ok(store->subject_state(kShop, "subj-a"));
    // An order naming the same receipt twice: the first is recorded in the
    // transaction before the second is refused by the schema.
    AppendRequest order = erasure_request(*store, kShop, "subj-a", "era_conformance_3");
    order.erasure->log_indices = {0, 0};
    order.erasure->residues = {order.erasure->residues[0], order.erasure->residues[0]};
    REQUIRE_FALSE(store->erase(std::move(order)).ok());
    CHECK(read_ok(store->receipt_count()) == 2);
    CHECK(read_ok(store->subject_receipts(kShop, "subj-a")).size() == 1);
    CHECK(read_ok(store->subject_state(kShop, "subj-a")).size() == state.size());
    CHECK(read_ok(store->subject_erasures(kShop, tag_of("subj-a"))).empty());
    read_ok(store->rebuild_check());
    // The log goes on where it was: the next append takes index 2.
    CHECK(append_ok(*store, request(kShop, grant_all("decision-era-3", "subj-b"))).receipt.log_index == 2);
}

void erased_subject_comes_back_on_a_new_chain(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, grant_all("decision-era-1", "subj-a")));
    const auto first = erase_ok(*store, erasure_request(*store, kShop, "subj-a", "era_conformance_4"));
    // The same decision id again: its id was erased too, so it is recorded anew.
    const auto again = append_ok(*store, request(kShop, grant_all("decision-era-1", "subj-a")));
    CHECK_FALSE(again.replayed);
    CHECK(again.receipt.log_index == 2);
    CHECK(payload_of(again.receipt).value("prev", std::string()) == "");
    append_ok(*store, request(kShop, decide("decision-era-2", "subj-b", Method::reject_all)));
    CHECK_FALSE(read_ok(store->subject_state(kShop, "subj-a")).empty());
    read_ok(store->rebuild_check());
    // A second erasure receipt chains to the first.
    const auto second = erase_ok(*store, erasure_request(*store, kShop, "subj-a", "era_conformance_5"));
    auto jws = consent::parse_erasure_jws(second.receipt.jws);
    REQUIRE(jws.ok());
    auto contents = consent::read_erasure_payload(jws->payload);
    REQUIRE(contents.ok());
    CHECK(contents->facts.previous_erasure_hash == hash_of(first.receipt.jws));
    const auto erasures = read_ok(store->subject_erasures(kShop, tag_of("subj-a")));
    CHECK(indexes_of(erasures) == std::vector<std::int64_t>{1, 4});
    CHECK(read_ok(store->subject_state(kShop, "subj-a")).empty());
    CHECK(read_ok(store->subject_receipts(kShop, "subj-b")).size() == 1);
    read_ok(store->rebuild_check());
}

void retention_policies_round_trip(const StoreFactory& open) {
    {
        auto store = open();
        setup_site(*store, kShop);
        setup_site(*store, kBlog);
        check_error(store->retention(kShop), "storage.not_found");
        CHECK(read_ok(store->retention_policies()).empty());
        read_ok(store->set_retention(kShop, 86400));
        CHECK(read_ok(store->retention(kShop)) == 86400);
        read_ok(store->set_retention(kShop, 3600));  // replaced, not added
        read_ok(store->set_retention(kBlog, 0));
        check_error(store->set_retention(kBlog, -1), "storage.invalid_argument");
    }
    auto reopened = open();
    CHECK(read_ok(reopened->retention(kShop)) == 3600);
    CHECK(read_ok(reopened->retention(kBlog)) == 0);
    const auto policies = read_ok(reopened->retention_policies());
    CHECK(policies == std::vector<std::pair<std::string, std::int64_t>>{{kBlog, 0}, {kShop, 3600}});
}

namespace {

// subj-a (receipt 0) erased by the erasure receipt at 2; subj-b (receipt 1) not,
// with an acknowledgement of its receipt.
std::unique_ptr<ReceiptStore> erased_log(const StoreFactory& open) {
    auto store = open();
    setup_site(*store, kShop);
    append_ok(*store, request(kShop, grant_all("decision-era-1", "subj-a")));
    const auto kept = append_ok(*store, request(kShop, grant_all("decision-era-2", "subj-b")));
    read_ok(store->acknowledge(AcknowledgementRequest{kShop, "newsletter", "key_1", {kept.receipt.receipt_id}, kNow}));
    erase_ok(*store, erasure_request(*store, kShop, "subj-a", "era_conformance_6"));
    read_ok(store->rebuild_check());
    return store;
}

}  // namespace

void schema_lets_a_receipt_change_only_into_its_erased_form(const StoreFactory& open, const RawDatabase& raw) {
    auto store = erased_log(open);
    // Not named by an erasure: refused, even in the erased form.
    CHECK_THAT(raw.exec("UPDATE receipts SET receipt_id = 'erased:1', decision_id = 'erased:1', subject_id = '', "
                        "jws = '', prev_hash = '', decision = '' WHERE log_index = 1"),
               Catch::Contains("append-only"));
    // Named, but already erased: refused.
    CHECK_THAT(raw.exec("UPDATE receipts SET payload = '' WHERE log_index = 0"), Catch::Contains("append-only"));
    CHECK_THAT(raw.exec("DELETE FROM receipts WHERE log_index = 0"), Catch::Contains("append-only"));
    CHECK_THAT(raw.exec("DELETE FROM erasures"), Catch::Contains("append-only"));
    CHECK_THAT(raw.exec("UPDATE erasures SET erasure_index = 1"), Catch::Contains("append-only"));
    CHECK_THAT(raw.exec("DELETE FROM erased_subjects"), Catch::Contains("append-only"));
    // An unerased receipt's acknowledgement stays.
    CHECK_THAT(raw.exec("DELETE FROM acknowledgements"), Catch::Contains("append-only"));
    // An erasure row must name a receipt and an erasure receipt after it.
    CHECK_THAT(raw.exec("INSERT INTO erasures (log_index, erasure_index) VALUES (1, 1)"),
               Catch::Contains("unerased receipt"));
    read_ok(store->rebuild_check());
}

void audit_names_a_row_blanked_or_deleted_without_an_erasure(const StoreFactory& open, const RawDatabase& raw) {
    auto store = erased_log(open);
    const std::string forget_b =
        "DELETE FROM acknowledgements; DELETE FROM current_state WHERE subject_id = 'subj-b'; ";
    SECTION("blanked like an erasure, without one") {
        REQUIRE(raw.exec_unguarded(
                    forget_b + "UPDATE receipts SET receipt_id = 'erased:1', decision_id = 'erased:1', "
                               "subject_id = '', jws = '', prev_hash = '', decision = '' WHERE log_index = 1") == "");
        auto audit = store->rebuild_check();
        REQUIRE_FALSE(audit.ok());
        CHECK(audit.error().code == "storage.receipt_missing");
        CHECK_THAT(audit.error().message, Catch::Contains("log index 1"));
    }
    SECTION("deleted") {
        REQUIRE(raw.exec_unguarded(forget_b + "DELETE FROM receipts WHERE log_index = 1") == "");
        auto audit = store->rebuild_check();
        REQUIRE_FALSE(audit.ok());
        CHECK(audit.error().code == "storage.receipt_missing");
        CHECK_THAT(audit.error().message, Catch::Contains("log index 1"));
    }
    SECTION("an erased row's residue changed") {
        REQUIRE(raw.exec_unguarded("UPDATE receipts SET payload = replace(payload, 'granted', 'denied') "
                                   "WHERE log_index = 0") == "");
        auto audit = store->rebuild_check();
        REQUIRE_FALSE(audit.ok());
        CHECK(audit.error().code == "storage.receipt_mismatch");
    }
}

}  // namespace conformance
}  // namespace consent::test::store
