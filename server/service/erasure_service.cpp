// ConsentService: erasure and retention (issue #13, docs/erasure.md). The
// rules of the erasure receipt are the core's (consent/log/erasure.hpp), the
// retention rule too (consent/consent/retention.hpp); the store erases in the
// erasure receipt's own transaction.
#include <algorithm>

#include "consent/consent/pseudonym.hpp"
#include "consent/consent/retention.hpp"
#include "consent/consent/subject_trust.hpp"
#include "consent/consent/text_rules.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/json/field_reader.hpp"
#include "consent/log/erasure.hpp"
#include "crypto/random_id.hpp"
#include "service/consent_service.hpp"
#include "service/site_lookup.hpp"

namespace consent::server {
namespace {

using nlohmann::json;

constexpr std::size_t kRetentionPage = 500;

// Signs the erasure receipt for its slot in the log, as make_seal does a receipt.
SealFunction make_erasure_seal(const KeyRing& keys, std::vector<ErasedEntry> entries, const std::string& site_id,
                               const std::string& reason, const std::string& requested_by) {
    return [&keys, entries = std::move(entries), site_id, reason,
            requested_by](const ReceiptSlot& slot) -> Result<SealedReceipt> {
        const ErasureContents contents{{slot.receipt_id, site_id, slot.server_time, slot.log_index,
                                        slot.previous_receipt_hash, reason, requested_by},
                                       entries};
        if (auto valid = check_erasure(contents); !valid) return valid.error();
        const json payload = make_erasure_payload(contents);
        auto input = jws_signing_input(erasure_jws_header(keys.active_kid()), payload);
        if (!input) return input.error();
        auto canonical = canonicalize(payload);
        if (!canonical) return canonical.error();
        return SealedReceipt{jws_compact(*input, keys.sign(*input)), *canonical};
    };
}

// What the erasure receipt names of each receipt, read from its signed payload.
Result<std::pair<std::vector<ErasedEntry>, ErasureOrder>> erasure_order(const std::vector<StoredReceipt>& receipts,
                                                                        const std::string& subject_id) {
    std::vector<ErasedEntry> entries;
    ErasureOrder order;
    order.subject_id = subject_id;
    for (const auto& r : receipts) {
        auto jws = parse_compact_jws(r.jws);
        if (!jws) return make_error("storage.corrupt_row", "a stored receipt is not a valid JWS: " + jws.error().code);
        auto entry = erased_entry(*jws, r.jws);
        if (!entry) return entry.error();
        if (entry->log_index != r.log_index)
            return make_error("storage.corrupt_row", "a receipt's signed log index differs from its row");
        auto residue = canonicalize(erased_entry_json(*entry));
        if (!residue) return residue.error();
        order.log_indices.push_back(r.log_index);
        order.residues.push_back(std::move(*residue));
        entries.push_back(std::move(*entry));
    }
    return std::make_pair(std::move(entries), std::move(order));
}

json proof_json(const std::vector<merkle::Hash>& proof) {
    json out = json::array();
    for (const auto& h : proof) out.push_back(base64_encode(h));
    return out;
}

}  // namespace

// A keyed tag, so the store can answer "already erased" without keeping the id.
Result<std::string> ConsentService::stored_subject(const std::string& site_id, const std::string& subject_id) {
    // An id that is no subject id is left for the caller's own check to refuse.
    if (stored_as_given(subject_id) || !is_subject_id(subject_id)) return subject_id;
    if (secrets_ == nullptr) return make_error("keys.no_site_secrets", "this service has no site secrets");
    auto mac = secrets_->mac(site_id, kPseudonymLabel, subject_id);
    if (!mac) return mac.error();
    return pseudonym_from_mac(*mac);
}

Result<std::string> ConsentService::subject_tag(const std::string& site_id, const std::string& subject_id) {
    if (secrets_ == nullptr) return make_error("keys.no_site_secrets", "this service has no site secrets");
    auto mac = secrets_->mac(site_id, "erased-subject", subject_id);
    if (!mac) return mac.error();
    return hex_encode(*mac);
}

Result<ErasureAnswer> ConsentService::erasure_answer(StoredReceipt receipt, bool replayed, std::int64_t erased,
                                                     Checkpoint checkpoint) {
    ErasureAnswer answer{std::move(receipt), replayed, erased, std::move(checkpoint), {}};
    if (answer.checkpoint.tree_size > answer.receipt.log_index) {
        auto proof = store_.inclusion_proof(answer.receipt.log_index, answer.checkpoint.tree_size);
        if (proof) answer.inclusion = std::move(proof).value();
    }
    return answer;
}

Result<ErasureAnswer> ConsentService::erase_subject(const std::string& site_id, const std::string& subject_id,
                                                    const std::string& reason, const std::string& requested_by) {
    if (!is_subject_id(subject_id)) return make_error("request.invalid_subject", "not a subject id");
    if (!is_erasure_reason(reason))
        return make_error("erasure.invalid_reason",
                          "reason is a word of [a-z0-9_-] (at most 64), e.g. subject_request: never free text",
                          "/reason");
    if (auto may = check_erasure_speaker(subject_id, Speaker::backend); !may) return may.error();
    if (auto site = require_site(store_, site_id); !site) return site.error();
    auto stored = stored_subject(site_id, subject_id);
    if (!stored) return stored.error();
    return erase_stored(site_id, *stored, reason, requested_by);
}

Result<ErasureAnswer> ConsentService::request_erasure(const std::string& site_id, const json& body,
                                                      const PublicCaller& caller) {
    const auto site = store_.site(site_id);
    if (!site) return or_not_found(site.error(), "site");
    // Only the id: a browser may not choose the reason (nor write free text into the log).
    FieldReader r(body, "", "request");
    r.reject_unknown({"subject_id"});
    const std::string subject_id = r.string("subject_id", 128);
    if (!r.ok()) return r.error();
    if (!is_subject_id(subject_id)) return make_error("request.invalid_subject", "not a subject id", "/subject_id");
    auto speaker = public_speaker(*site, caller.subject_token, subject_id);
    if (!speaker) return speaker.error();
    if (auto may = check_erasure_speaker(subject_id, *speaker); !may) return may.error();
    // Who may ask was decided on the id as given; what is erased is what is stored for it.
    auto stored = stored_subject(site_id, subject_id);
    if (!stored) return stored.error();
    return erase_stored(site_id, *stored, std::string(kSubjectRequestReason),
                        std::string(public_erasure_requester(*speaker)));
}

Result<ErasureAnswer> ConsentService::erase_stored(const std::string& site_id, const std::string& subject_id,
                                                   const std::string& reason, const std::string& requested_by) {
    std::lock_guard<std::mutex> one_at_a_time(erase_mutex_);
    auto tag = subject_tag(site_id, subject_id);
    if (!tag) return tag.error();
    auto receipts = store_.subject_receipts(site_id, subject_id);
    if (!receipts) return receipts.error();
    if (receipts->empty()) {
        // Idempotent: a second erasure answers the first one's receipt.
        auto erasures = store_.subject_erasures(site_id, *tag);
        if (!erasures) return erasures.error();
        if (erasures->empty()) return make_error("subject.unknown", "this site has no receipts of that subject");
        auto latest = store_.latest_checkpoint();
        if (!latest) return latest.error();
        return erasure_answer(erasures->back(), true, 0, std::move(latest).value());
    }
    auto made = erasure_order(*receipts, subject_id);
    if (!made) return made.error();
    auto [entries, order] = std::move(made).value();
    order.subject_tag = *tag;
    const std::string erasure_id = random_id("era_", 16);
    Decision marker;  // decides nothing: it carries the erasure receipts' chain (kErasureSubject)
    marker.decision_id = erasure_id;
    marker.subject_id = std::string(kErasureSubject);
    AppendRequest request{site_id, erasure_id, std::move(marker),
                          make_erasure_seal(keys_, std::move(entries), site_id, reason, requested_by),
                          std::move(order)};
    // The streams name whom to forget (docs/erasure.md): known before the commit, so
    // a stream that reads the receipt once durable finds the subject; kept in memory only.
    events_.remember_erasure(site_id, erasure_id, {subject_id});
    auto outcome = store_.erase(std::move(request));
    if (!outcome) {
        events_.forget_erasure(site_id, erasure_id);
        return outcome.error();
    }
    events_.publish(site_id, outcome->receipt.log_index);
    return erasure_answer(outcome->receipt, false, static_cast<std::int64_t>(receipts->size()), outcome->checkpoint);
}

// The export of a subject some of whose receipts were erased: the erasure
// receipts with their proofs, so the bundle still shows what happened.
Status ConsentService::add_erasures(const std::string& site_id, const std::string& subject_id,
                                    const std::optional<Checkpoint>& checkpoint, json& bundle) {
    auto tag = subject_tag(site_id, subject_id);
    if (!tag) return tag.error();
    auto erasures = store_.subject_erasures(site_id, *tag);
    if (!erasures) return erasures.error();
    bundle["erased"] = !erasures->empty();
    if (erasures->empty()) return Unit{};
    json list = json::array();
    for (const auto& e : *erasures) {
        json entry = {{"erasure_id", e.receipt_id}, {"log_index", e.log_index}, {"jws", e.jws}};
        if (checkpoint && e.log_index < checkpoint->tree_size) {
            auto proof = store_.inclusion_proof(e.log_index, checkpoint->tree_size);
            if (!proof) return proof.error();
            entry["inclusion_proof"] = proof_json(*proof);
        }
        list.push_back(std::move(entry));
    }
    bundle["erasures"] = std::move(list);
    return Unit{};
}

Status ConsentService::set_retention(const std::string& site_id, std::int64_t keep_seconds) {
    if (auto site = require_site(store_, site_id); !site) return site.error();
    if (keep_seconds < 0 || keep_seconds > kMaxReceiptTime)
        return make_error("retention.invalid_period", "the period is a number of days from 0");
    return store_.set_retention(site_id, keep_seconds);
}

Result<RetentionRun> ConsentService::apply_retention(const std::string& site_id, bool dry_run) {
    auto notices = notice_context(site_id);
    if (!notices) return notices.error();
    auto keep = store_.retention(site_id);
    if (!keep && is_not_found(keep.error()))
        return make_error("retention.none", "this site has no retention period: consentctl retention set");
    if (!keep) return keep.error();
    auto head = store_.site_log_head(site_id);
    if (!head) return head.error();
    RetentionRun run;
    run.keep_seconds = *keep;
    const std::int64_t now = clock_();
    std::vector<std::string> due;
    for (std::string after;;) {
        auto page = store_.states_at(site_id, *head, after, kRetentionPage);
        if (!page) return page.error();
        for (const auto& s : *page) {
            ++run.subjects_checked;
            if (retention_due((*notices)->current.notice, s.state, *keep, now)) due.push_back(s.subject_id);
        }
        if (page->size() < kRetentionPage) break;
        after = page->back().subject_id;
    }
    run.subjects_due = static_cast<std::int64_t>(due.size());
    for (const auto& subject : due) {
        auto receipts = store_.subject_receipts(site_id, subject);
        if (!receipts) return receipts.error();
        for (const auto& r : *receipts) run.due_indices.push_back(r.log_index);
        if (dry_run) continue;
        auto erased = erase_stored(site_id, subject, "retention", "retention");
        if (!erased) return erased.error();
        run.erasures.push_back(std::move(*erased));
    }
    std::sort(run.due_indices.begin(), run.due_indices.end());
    return run;
}

}  // namespace consent::server
