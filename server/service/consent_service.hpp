// consentd's orchestration: every operation the HTTP routes and consentctl
// offer, as calls on the core (rules), the store (durability) and the key ring
// (signatures). No consent rule is decided here.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"
#include "consent/consent/policy.hpp"
#include "consent/consent/subject_trust.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/site_secrets.hpp"
#include "service/event_hub.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {

using Clock = std::function<std::int64_t()>;  // seconds since the Unix epoch

struct DecisionAnswer {
    StoredReceipt receipt;
    bool replayed = false;
    Checkpoint checkpoint;                // a signed tree head that includes the receipt
    std::vector<merkle::Hash> inclusion;  // RFC 9162 inclusion proof of the receipt in that tree
};

// An erasure receipt as the erasure route answers it (issue #13).
struct ErasureAnswer {
    StoredReceipt receipt;    // the erasure receipt
    bool replayed = false;    // the subject was already erased: this is the newest erasure receipt
    std::int64_t erased = 0;  // receipts it erased
    Checkpoint checkpoint;
    std::vector<merkle::Hash> inclusion;
};

// What retention found for a site, and erased unless dry_run.
struct RetentionRun {
    std::int64_t keep_seconds = 0;
    std::int64_t subjects_checked = 0;
    std::int64_t subjects_due = 0;
    std::vector<std::int64_t> due_indices;  // the receipts due, in log order
    std::vector<ErasureAnswer> erasures;    // empty for a dry run
};

// The log's identity: the checkpoint origin line and the signed-note key name.
inline constexpr const char* kDefaultLogOrigin = "consentd/receipts";

class ConsentService {
public:
    // Installs the checkpoint signer on the store: every commit batch gets a
    // checkpoint signed by the active key under log_origin.
    ConsentService(ReceiptStore& store, const KeyRing& keys, Clock clock, std::string log_origin = kDefaultLogOrigin);

    // Open: the latest checkpoint note, and proofs against any tree size.
    Result<Checkpoint> latest_checkpoint();
    Result<std::vector<merkle::Hash>> inclusion_proof(std::int64_t leaf_index, std::int64_t tree_size);
    Result<std::vector<merkle::Hash>> consistency_proof(std::int64_t from_size, std::int64_t to_size);
    const std::string& log_origin() const { return log_origin_; }

    // Public: the current notice of a site (normalized JSON text, hash, version).
    // The current notice and the newest material version at or below it: the
    // banner's policy needs both to know whether an earlier choice still holds.
    struct CurrentNotice {
        StoredNotice notice;
        std::int64_t last_material_version = 1;
    };
    Result<CurrentNotice> current_notice(const std::string& site_id);
    // Public: the current notice with the core's banner view of it for a visitor
    // with no known choices, in their language. A first visit draws this view at
    // once, before the banner's own wasm core has loaded (or when it cannot).
    Result<nlohmann::json> first_visit_view(const std::string& site_id, const std::vector<std::string>& languages,
                                            bool gpc);
    // What the HTTP layer received beside a public request's body.
    struct PublicCaller {
        std::string subject_token;          // Consent-Subject-Token, "" if none
        std::optional<std::string> origin;  // the Origin header, nullopt if none (not a browser)
    };
    // Public: record a decision posted by the banner. body is the decision request;
    // the subject token lets it name a subject id the site's backend vouches for
    // (any id but a browser-made one needs it, whatever the method). The receipt's
    // context.origin is the Origin header received: a context.origin in the body is ignored.
    Result<DecisionAnswer> submit_decision(const std::string& site_id, const nlohmann::json& body,
                                           const PublicCaller& caller = {});

    // Backend: may this subject's data be used for this purpose right now?
    Result<Verdict> check(const std::string& site_id, const std::string& subject_id, const std::string& purpose);
    // Backend: many checks, {"checks":[{"subject":…,"purpose":…},…]} -> {"results":[…]}
    Result<nlohmann::json> check_batch(const std::string& site_id, const nlohmann::json& body);
    // Backend: withdraw purposes (all consent purposes when none are listed).
    // A retry with the same decision_id, subject and purposes gets the same receipt.
    Result<DecisionAnswer> withdraw(const std::string& site_id, const std::string& subject_id,
                                    const nlohmann::json& body);
    // Backend: everything recorded about one subject, with the notice texts they saw.
    Result<nlohmann::json> export_subject(const std::string& site_id, const std::string& subject_id);
    // Backend/CLI: publish a notice version (validated by the core).
    Result<StoredNotice> publish_notice(const std::string& site_id, const nlohmann::json& body);
    // A notice version of the site was published elsewhere (another replica on
    // the same PostgreSQL database; "" for any site, after a lost notification):
    // the cached notice is dropped, so the next check reads the new one, and
    // streams with notice events send it.
    void notice_published_elsewhere(const std::string& site_id);

    // Backend: whether the request's Origin may call a site's public routes
    // (its CORS allowlist); storage.* when the site cannot be read.
    Result<bool> origin_allowed(const std::string& site_id, const std::string& origin);
    ReceiptStore& store() { return store_; }

    // Erasure and retention (issue #13, docs/erasure.md; erasure_service.cpp).
    // The site's secrets (keyed subject tags); without them erasure and export
    // fail closed (keys.no_site_secrets).
    void set_site_secrets(SiteSecrets& secrets) { secrets_ = &secrets; }
    // Backend/CLI: erases the subject's receipts (reason: is_erasure_reason;
    // requested_by: the API key id, "consentctl" or "retention"). A subject
    // already erased gets its newest erasure receipt again (replayed); one with
    // no receipts and no erasure is subject.unknown.
    Result<ErasureAnswer> erase_subject(const std::string& site_id, const std::string& subject_id,
                                        const std::string& reason, const std::string& requested_by);
    // Public: the visitor asks for their own erasure, body {"subject_id":…}.
    // Who may is the core's rule (check_erasure_speaker): a browser-made id as
    // it is, any other id with a subject token for it. The reason is always
    // subject_request, requested_by the public path (public_erasure_requester).
    Result<ErasureAnswer> request_erasure(const std::string& site_id, const nlohmann::json& body,
                                          const PublicCaller& caller = {});
    Status set_retention(const std::string& site_id, std::int64_t keep_seconds);
    // Erases (unless dry_run) every subject whose receipts stopped being in
    // force more than the site's period ago. retention.none without a policy.
    Result<RetentionRun> apply_retention(const std::string& site_id, bool dry_run);

    nlohmann::json jwks() const { return keys_.jwks(); }
    // The service clock (seconds since the Unix epoch): reports default to "now" with it.
    std::int64_t now() const { return clock_(); }
    EventHub& events() { return events_; }

    // The id the store keeps and receipts sign for subject_id (consent/consent/pseudonym.hpp):
    // a browser-made id as it is, any other id its keyed pseudonym. Every route that
    // takes a subject id maps it here first, so nothing stored holds an account id.
    // keys.no_site_secrets without secrets (fail closed: never the plain id).
    Result<std::string> stored_subject(const std::string& site_id, const std::string& subject_id);

private:
    Result<SubjectState> current_state(const std::string& site_id, const std::string& stored_subject);
    Result<Speaker> public_speaker(const Site& site, const std::string& subject_token, const std::string& subject_id);
    Result<DecisionAnswer> record(const std::string& site_id, const Decision& decision, const StoredNotice& shown);
    // The current notice and the newest material version, read once and kept
    // for kNoticeCacheSeconds: checks must not parse every notice version each time.
    // A version published through this service replaces it at once, and so does
    // one another replica published (notice_published_elsewhere); one published
    // by consentctl into an SQLite file is seen within the window.
    struct NoticeContext {
        StoredNotice current;
        std::int64_t last_material_version = 1;
        std::int64_t loaded_at = 0;
    };
    static constexpr std::int64_t kNoticeCacheSeconds = 2;
    Result<std::shared_ptr<const NoticeContext>> notice_context(const std::string& site_id);
    Result<std::shared_ptr<const StoredNotice>> notice_version(const std::string& site_id, std::int64_t version);
    Status add_notice_text(const std::string& site_id, const StoredReceipt& receipt, nlohmann::json& notices);

    Result<std::string> subject_tag(const std::string& site_id, const std::string& subject_id);
    Status add_erasures(const std::string& site_id, const std::string& subject_id,
                        const std::optional<Checkpoint>& checkpoint, nlohmann::json& bundle);
    Result<ErasureAnswer> erase_stored(const std::string& site_id, const std::string& subject_id,
                                       const std::string& reason, const std::string& requested_by);
    Result<ErasureAnswer> erasure_answer(StoredReceipt receipt, bool replayed, std::int64_t erased,
                                         Checkpoint checkpoint);

    ReceiptStore& store_;
    const KeyRing& keys_;
    SiteSecrets* secrets_ = nullptr;
    std::mutex erase_mutex_;  // an erasure reads what it erases: one at a time per service
    Clock clock_;
    std::string log_origin_;
    EventHub events_;
    std::mutex cache_mutex_;
    std::map<std::string, std::shared_ptr<const NoticeContext>> notice_cache_;
    // Counts publishes through this service: a reload that began before one
    // must not put what it read into the cache after the publish cleared it.
    std::uint64_t notice_generation_ = 0;
    std::map<std::pair<std::string, std::int64_t>, std::shared_ptr<const StoredNotice>> version_cache_;
};

}  // namespace consent::server
