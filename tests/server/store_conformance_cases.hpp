// One Catch2 test case per conformance scenario (store_conformance.hpp) for
// a back end: CONSENT_STORE_CONFORMANCE_CASES("sqlite: ", "[server][storage][sqlite]", SqliteHarness)
// names every case "<prefix><sentence>" and tags it with tags (plus the
// scenario's own). Harness is default-constructible per test case, and has
// factory() (a StoreFactory over its backing data), now (the injected
// clock, std::atomic<std::int64_t>) and raw() (a RawDatabase on that data).
#pragma once

#include <catch2/catch.hpp>

#include "store_conformance.hpp"

#define CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, extra_tags, Harness, sentence, call) \
    TEST_CASE(prefix sentence, tags extra_tags) {                                         \
        Harness h;                                                                        \
        ::consent::test::store::conformance::call;                                        \
    }

#define CONSENT_STORE_CONFORMANCE_CASES(prefix, tags, Harness)                                                        \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness, "a site is stored and read back and updated",           \
                                   sites_round_trip(h.factory()))                                                     \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness,                                                         \
                                   "a site added or changed by another store on the same data reaches this one",      \
                                   site_change_reaches_another_store(h.factory()))                                    \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness, "a published notice reads back as the exact text",      \
                                   notices_round_trip(h.factory()))                                                   \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness,                                                         \
                                   "notice versions only grow and are never replaced and keep the notice id",         \
                                   notice_version_rules(h.factory()))                                                 \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness, "API keys are stored and read back and revoked once",   \
                                   api_keys_round_trip(h.factory()))                                                  \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness,                                                         \
                                   "appends take consecutive log indexes from 0 across sites",                        \
                                   consecutive_log_indexes(h.factory(), h.now))                                       \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness,                                                         \
                                   "a retried decision id returns the first receipt and adds no row",                 \
                                   retried_decision_is_replayed(h.factory()))                                         \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness,                                                         \
                                   "a reused decision id with another decision is a conflict and writes nothing",     \
                                   reused_decision_id_is_a_conflict(h.factory()))                                     \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness,                                                         \
                                   "each receipt names the hash of the subject's previous one",                       \
                                   previous_hash_chains_a_subject(h.factory()))                                       \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness, "a withdrawal after a grant denies the purpose",        \
                                   withdrawal_after_grant_denies(h.factory()))                                        \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "[concurrency]", Harness,                                            \
                                   "a decision is pending from its arrival until its answer, then in the state",      \
                                   pending_decisions_until_answered(h.factory()))                                     \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness, "the current state equals a rebuild from the receipts", \
                                   rebuild_check_passes(h.factory()))                                                 \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness, "a failing seal writes nothing",                        \
                                   failing_seal_writes_nothing(h.factory()))                                          \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness, "an append for an unknown site is refused",             \
                                   append_to_unknown_site_is_refused(h.factory()))                                    \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness, "everything survives closing and reopening the store",  \
                                   data_survives_reopening(h.factory()))                                              \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness,                                                         \
                                   "receipts_after pages through one site's receipts in log order",                   \
                                   receipts_after_pages(h.factory()))                                                 \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness,                                                         \
                                   "receipts_in_time pages through one site's time range in server-time order",       \
                                   receipts_in_time_pages(h.factory(), h.now))                                        \
    CONSENT_STORE_CONFORMANCE_CASE(                                                                                   \
        prefix, tags, "", Harness,                                                                                    \
        "acknowledgements are kept once, all or none, and read back per subject and backend",                         \
        acknowledgements_round_trip(h.factory()))                                                                     \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "", Harness,                                                         \
                                   "a snapshot page folds each subject's receipts up to the index",                   \
                                   snapshots_fold_up_to_the_index(h.factory()))                                       \
    TEST_CASE(prefix "every root and proof of the log equals the core's over an in-memory tree", tags "[merkle]") {   \
        const int appends = GENERATE(1, 2, 3, 7, 8, 9, 31, 64, 100);                                                  \
        CAPTURE(appends);                                                                                             \
        Harness h;                                                                                                    \
        ::consent::test::store::conformance::proofs_match_an_in_memory_tree(h.factory(), appends);                    \
    }                                                                                                                 \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "[merkle][concurrency]", Harness,                                    \
                                   "each batch signs a checkpoint of a larger tree that includes its receipts",       \
                                   checkpoints_follow_batches(h.factory(), h.now))                                    \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "[merkle]", Harness,                                                 \
                                   "a failing checkpoint signer fails the batch and leaves the log unchanged",        \
                                   failing_checkpoint_signer_fails_the_batch(h.factory()))                            \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "[merkle]", Harness,                                                 \
                                   "without a checkpoint signer the log grows but no checkpoint is stored",           \
                                   no_signer_means_no_checkpoint(h.factory()))                                        \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "[merkle]", Harness,                                                 \
                                   "a proof request for a tree or leaf that does not exist is refused",               \
                                   bad_proof_requests_are_refused(h.factory()))                                       \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "[merkle]", Harness,                                                 \
                                   "the log and its checkpoints survive closing and reopening the store",             \
                                   log_survives_reopening(h.factory()))                                               \
    CONSENT_STORE_CONFORMANCE_CASE(                                                                                   \
        prefix, tags, "[erasure]", Harness,                                                                           \
        "an erasure blanks the subject's rows in one commit and every proof still verifies",                          \
        erasure_blanks_rows_and_keeps_every_proof(h.factory(), h.now))                                                \
    CONSENT_STORE_CONFORMANCE_CASE(                                                                                   \
        prefix, tags, "[erasure]", Harness,                                                                           \
        "an erasure naming a receipt that is not the subject's is a conflict and erases nothing",                     \
        erasure_of_a_receipt_not_the_subjects_is_a_conflict(h.factory()))                                             \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "[erasure]", Harness,                                                \
                                   "an erasure that fails midway erases nothing and appends no erasure receipt",      \
                                   erasure_that_fails_midway_erases_nothing(h.factory()))                             \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "[erasure]", Harness,                                                \
                                   "a subject who comes back after an erasure starts a new chain and audit passes",   \
                                   erased_subject_comes_back_on_a_new_chain(h.factory()))                             \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "[erasure]", Harness,                                                \
                                   "retention policies are set, replaced, listed and kept across reopening",          \
                                   retention_policies_round_trip(h.factory()))                                        \
    CONSENT_STORE_CONFORMANCE_CASE(                                                                                   \
        prefix, tags, "[erasure]", Harness,                                                                           \
        "the schema lets a receipt change only into its erased form once for a named index",                          \
        schema_lets_a_receipt_change_only_into_its_erased_form(h.factory(), h.raw()))                                 \
    CONSENT_STORE_CONFORMANCE_CASE(prefix, tags, "[erasure]", Harness,                                                \
                                   "audit names a row blanked or deleted behind the store's back with no erasure",    \
                                   audit_names_a_row_blanked_or_deleted_without_an_erasure(h.factory(), h.raw()))
