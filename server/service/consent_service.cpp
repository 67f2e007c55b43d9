#include "service/consent_service.hpp"

#include <algorithm>

#include "consent/banner/banner_view.hpp"
#include "consent/banner/click.hpp"
#include "consent/banner/click_outcome.hpp"
#include "consent/consent/pseudonym.hpp"
#include "consent/consent/state_json.hpp"
#include "consent/consent/subject_trust.hpp"
#include "consent/consent/text_rules.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/json/field_reader.hpp"
#include "consent/log/checkpoint.hpp"
#include "consent/log/receipt.hpp"
#include "crypto/random_id.hpp"
#include "service/acknowledgements.hpp"
#include "service/site_lookup.hpp"

namespace consent::server {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxBatchChecks = 1000;

std::vector<Notice> notice_versions(const std::vector<StoredNotice>& stored) {
    std::vector<Notice> out;
    out.reserve(stored.size());
    for (const auto& s : stored) out.push_back(s.notice);
    return out;
}

// Signs a receipt for its slot in the log: the core builds the payload and the
// signing input, the key ring signs.
SealFunction make_seal(const KeyRing& keys, const StoredNotice& shown, const Decision& decision,
                       const std::string& site_id) {
    return [&keys, &shown, decision, site_id](const ReceiptSlot& slot) -> Result<SealedReceipt> {
        const ReceiptFacts facts{slot.receipt_id, site_id, slot.server_time, slot.log_index,
                                 slot.previous_receipt_hash};
        if (auto valid = check_receipt_inputs(shown.notice, shown.content_hash, decision, facts); !valid)
            return valid.error();
        const json payload = make_receipt_payload(shown.notice, decision, facts);
        auto input = jws_signing_input(receipt_jws_header(keys.active_kid()), payload);
        if (!input) return input.error();
        auto canonical = canonicalize(payload);
        if (!canonical) return canonical.error();
        return SealedReceipt{jws_compact(*input, keys.sign(*input)), *canonical};
    };
}

std::array<std::uint8_t, kEd25519PublicKeySize> to_public_key(const Bytes& bytes) {
    std::array<std::uint8_t, kEd25519PublicKeySize> key{};
    std::copy(bytes.begin(), bytes.end(), key.begin());
    return key;
}

// A subject token is verified against the site backend's registered keys:
// the signature by kid (the key's RFC 7638 thumbprint), then the claims (core).
Status verify_subject_token(const Site& site, const std::string& token, const std::string& subject_id,
                            std::int64_t now) {
    const Error invalid = make_error("subject.token_invalid", "the subject token is not signed by this site's backend");
    auto jws = parse_compact_jws_as(token, kSubjectTokenType, false);
    if (!jws) return make_error("subject.token_invalid", "the subject token is malformed: " + jws.error().message);
    const std::string kid = jws->header.value("kid", std::string());
    for (const auto& encoded : site.subject_token_keys) {
        auto key = base64url_decode(encoded);
        if (!key || key->size() != kEd25519PublicKeySize || ed25519_jwk_thumbprint(to_public_key(*key)) != kid)
            continue;
        if (!ed25519_verify(key->data(), jws->signing_input, jws->signature)) return invalid;
        return check_subject_token_claims(jws->payload, site.site_id, subject_id, now);
    }
    return invalid;
}

// Signs a checkpoint note for the store (C2SP signed note, key name = log origin).
CheckpointSigner make_checkpoint_signer(const KeyRing& keys, const std::string& origin) {
    return [&keys, origin](std::int64_t size, const merkle::Hash& root, std::int64_t time) -> Result<std::string> {
        const PublicKey* key = keys.find(keys.active_kid());
        if (key == nullptr) return make_error("keys.none_active", "no active signing key");
        const std::string text = checkpoint::body_text({origin, size, root, time});
        return checkpoint::assemble(text, origin, checkpoint::ed25519_key_hash(origin, key->bytes.data()),
                                    keys.sign(text));
    };
}

}  // namespace

ConsentService::ConsentService(ReceiptStore& store, const KeyRing& keys, Clock clock, std::string log_origin)
    : store_(store), keys_(keys), clock_(std::move(clock)), log_origin_(std::move(log_origin)) {
    store_.set_checkpoint_signer(make_checkpoint_signer(keys_, log_origin_));
}

Result<Checkpoint> ConsentService::latest_checkpoint() {
    auto latest = store_.latest_checkpoint();
    if (!latest && is_not_found(latest.error())) return make_error("log.empty", "the log has no checkpoint yet");
    return latest;
}

Result<std::vector<merkle::Hash>> ConsentService::inclusion_proof(std::int64_t leaf_index, std::int64_t tree_size) {
    return store_.inclusion_proof(leaf_index, tree_size);
}

Result<std::vector<merkle::Hash>> ConsentService::consistency_proof(std::int64_t from_size, std::int64_t to_size) {
    return store_.consistency_proof(from_size, to_size);
}

Result<ConsentService::CurrentNotice> ConsentService::current_notice(const std::string& site_id) {
    auto notices = notice_context(site_id);
    if (!notices) return notices.error();
    return CurrentNotice{(*notices)->current, (*notices)->last_material_version};
}

// What each first-layer button records for a visitor with no choices yet
// (click.hpp); a save's choices are the switches the banner sends along.
// Accept and reject also carry what the page allows once they hold
// (click_outcome.hpp), so the banner runs the gated scripts at the click
// without waiting for its wasm core.
static Result<json> first_visit_clicks(const PolicyContext& context, const std::string& notice_hash) {
    json out = json::object();
    const std::pair<const char*, Click> clicks[] = {
        {"accept", Click::accept}, {"reject", Click::reject}, {"save", Click::save}};
    for (const auto& [name, click] : clicks) {
        const ClickRecord r = click_record(context, SubjectState{}, click, {});
        json entry = {{"method", std::string(to_string(r.method))}};
        if (click != Click::save && (r.method == Method::gpc || r.method == Method::custom))
            entry["choices"] = r.choices;
        if (click != Click::save) {
            auto outcome = click_outcome(context, notice_hash, SubjectState{}, r);
            if (!outcome) return outcome.error();
            entry["allowed"] = outcome->allowed;
            entry["consent_mode"] = outcome->consent_mode;
        }
        out[name] = std::move(entry);
    }
    return out;
}

Result<json> ConsentService::first_visit_view(const std::string& site_id, const std::vector<std::string>& languages,
                                              bool gpc) {
    auto notices = notice_context(site_id);
    if (!notices) return notices.error();
    const NoticeContext& current = **notices;
    const PolicyContext context{current.current.notice, current.last_material_version, clock_(), gpc};
    auto clicks = first_visit_clicks(context, current.current.content_hash);
    if (!clicks) return clicks.error();
    // What is allowed before any choice (the necessary purposes): what a click's outcome changes from.
    json allowed = json::object();
    for (const auto& p : current.current.notice.purposes) allowed[p.id] = is_allowed(context, p.id, {}).allowed;
    return json{{"notice_id", current.current.notice.notice_id},
                {"notice_version", current.current.notice.version},
                {"hash", current.current.content_hash},
                {"last_material_version", current.last_material_version},
                {"notice", notice_to_json(current.current.notice)},
                {"view", banner_view_to_json(banner_view(context, languages, SubjectState{}))},
                {"gpc", gpc},  // the signal it was made for (a page that inlines this answer checks it)
                {"allowed", std::move(allowed)},
                {"clicks", std::move(*clicks)}};
}

// DESIGN.md "Subjects and trust": the public endpoint speaks for a visitor;
// a verified subject token vouches that the visitor is this very subject.
Result<Speaker> ConsentService::public_speaker(const Site& site, const std::string& subject_token,
                                               const std::string& subject_id) {
    if (subject_token.empty()) return Speaker::visitor;
    if (auto t = verify_subject_token(site, subject_token, subject_id, clock_()); !t) return t.error();
    return Speaker::vouched_visitor;
}

Result<DecisionAnswer> ConsentService::submit_decision(const std::string& site_id, const json& body,
                                                       const PublicCaller& caller) {
    const auto site = store_.site(site_id);
    if (!site) return or_not_found(site.error(), "site");
    auto parsed = parse_decision_request(body);
    if (!parsed) return parsed.error();
    DecisionRequest request = std::move(parsed).value();
    auto speaker = public_speaker(*site, caller.subject_token, request.subject_id);
    if (!speaker) return speaker.error();
    if (auto may = check_speaker(request.subject_id, request.method, *speaker); !may) return may.error();
    // Who may speak was decided on the id as given; what is stored and signed is its pseudonym.
    auto stored = stored_subject(site_id, request.subject_id);
    if (!stored) return stored.error();
    request.subject_id = std::move(stored).value();
    // The receipt signs where the request came from as the server saw it, not
    // what the client wrote (issue #10): a body's context.origin is ignored.
    request.context.origin = caller.origin && is_origin(*caller.origin) ? caller.origin : std::nullopt;
    // The decision names the version it was shown; any published version is
    // accepted (a cached banner), and the core checks the hash against it.
    auto shown = notice_version(site_id, request.notice_version);
    if (!shown && is_not_found(shown.error()))
        return make_error("decision.notice_version_unknown", "no such notice version", "/notice_version");
    if (!shown) return shown.error();
    auto decision = make_decision((*shown)->notice, (*shown)->content_hash, request);
    if (!decision) return decision.error();
    return record(site_id, *decision, **shown);
}

Result<DecisionAnswer> ConsentService::record(const std::string& site_id, const Decision& decision,
                                              const StoredNotice& shown) {
    AppendRequest append{site_id, ordered_random_id("rcpt_", clock_(), 12), decision,
                         make_seal(keys_, shown, decision, site_id)};
    auto outcome = store_.append(std::move(append));
    if (!outcome) return outcome.error();
    if (!outcome->replayed) events_.publish(site_id, outcome->receipt.log_index);
    DecisionAnswer answer{outcome->receipt, outcome->replayed, outcome->checkpoint, std::move(outcome->inclusion)};
    // The banner keeps the proof with the receipt: anyone holding a later
    // checkpoint can then show the receipt was never dropped (RFC 9162 §2.1.3).
    // The receipt is durable by now: a proof that cannot be read is left out
    // (the export and the proof route give it later) rather than failing an
    // answer whose retry would only replay it.
    if (answer.inclusion.empty() && answer.checkpoint.tree_size > answer.receipt.log_index) {
        auto proof = store_.inclusion_proof(answer.receipt.log_index, answer.checkpoint.tree_size);
        if (proof) answer.inclusion = std::move(proof).value();
    }
    return answer;
}

// A published version never changes, so once read it is kept for good.
Result<std::shared_ptr<const StoredNotice>> ConsentService::notice_version(const std::string& site_id,
                                                                           std::int64_t version) {
    const auto key = std::make_pair(site_id, version);
    {
        std::lock_guard<std::mutex> lock(cache_mutex_);
        const auto hit = version_cache_.find(key);
        if (hit != version_cache_.end()) return hit->second;
    }
    auto stored = store_.notice(site_id, version);
    if (!stored) return stored.error();
    auto shared = std::make_shared<const StoredNotice>(std::move(stored).value());
    std::lock_guard<std::mutex> lock(cache_mutex_);
    version_cache_.emplace(key, shared);
    return shared;
}

Result<std::shared_ptr<const ConsentService::NoticeContext>> ConsentService::notice_context(
    const std::string& site_id) {
    const std::int64_t now = clock_();
    std::uint64_t generation = 0;
    {
        std::lock_guard<std::mutex> lock(cache_mutex_);
        const auto hit = notice_cache_.find(site_id);
        if (hit != notice_cache_.end() && now - hit->second->loaded_at < kNoticeCacheSeconds) return hit->second;
        generation = notice_generation_;
    }
    if (auto site = require_site(store_, site_id); !site) return site.error();
    const auto versions = store_.notices(site_id);
    if (!versions) return versions.error();
    if (versions->empty()) return make_error("notice.none_published", "this site has no published notice yet");
    auto context = std::make_shared<NoticeContext>();
    context->current = versions->back();
    context->last_material_version = last_material_version(notice_versions(*versions), context->current.notice.version);
    context->loaded_at = now;
    std::lock_guard<std::mutex> lock(cache_mutex_);
    // Read before a publish that has since returned: good for this caller, stale for the next.
    if (generation == notice_generation_) notice_cache_[site_id] = context;
    return std::shared_ptr<const NoticeContext>(context);
}

// What a check goes by: the stored state with the denials of decisions still
// being written (a withdrawal counts from its arrival, not its commit). The
// pending ones are read first: a decision leaves them only once committed, so
// one that arrived before this check is in one or the other. A state that
// cannot be read is an error, not "no decision": the backend must treat the
// 503 as "not allowed now" and ask again, not as the answer.
Result<SubjectState> ConsentService::current_state(const std::string& site_id, const std::string& stored_subject) {
    const std::vector<Decision> pending = store_.pending_decisions(site_id, stored_subject);
    auto state = store_.subject_state(site_id, stored_subject);
    if (!state || pending.empty()) return state;
    return with_pending_denials(*state, pending, clock_());
}

Result<Verdict> ConsentService::check(const std::string& site_id, const std::string& subject_id,
                                      const std::string& purpose) {
    if (!is_subject_id(subject_id)) return make_error("request.invalid_subject", "not a subject id");
    auto notices = notice_context(site_id);
    if (!notices) return notices.error();
    const PolicyContext context{(*notices)->current.notice, (*notices)->last_material_version, clock_(), false};
    auto stored = stored_subject(site_id, subject_id);
    if (!stored) return stored.error();
    auto state = current_state(site_id, *stored);
    if (!state) return state.error();
    return is_allowed(context, purpose, *state);
}

Result<json> ConsentService::check_batch(const std::string& site_id, const json& body) {
    FieldReader r(body, "", "request");
    r.reject_unknown({"checks"});
    const json* checks = r.array("checks", true);
    if (!r.ok()) return r.error();
    if (checks->size() > kMaxBatchChecks)
        return make_error("request.too_many_checks", "at most 1000 checks per request", "/checks");
    auto notices = notice_context(site_id);
    if (!notices) return notices.error();
    const PolicyContext context{(*notices)->current.notice, (*notices)->last_material_version, clock_(), false};
    json results = json::array();
    for (std::size_t i = 0; i < checks->size(); ++i) {
        FieldReader item((*checks)[i], json_pointer_append("/checks", i), "request");
        item.reject_unknown({"subject", "purpose"});
        const std::string subject = item.string("subject", 128);
        const std::string purpose = item.string("purpose", 64);
        if (!item.ok()) return item.error();
        auto stored = stored_subject(site_id, subject);
        if (!stored) return stored.error();
        auto state = current_state(site_id, *stored);
        if (!state) return state.error();
        json verdict = verdict_to_json(is_allowed(context, purpose, *state));
        verdict["subject"] = subject;
        verdict["purpose"] = purpose;
        results.push_back(std::move(verdict));
    }
    return json{{"results", results}};
}

Result<DecisionAnswer> ConsentService::withdraw(const std::string& site_id, const std::string& subject_id,
                                                const json& body) {
    FieldReader r(body, "", "request");
    r.reject_unknown({"decision_id", "purposes"});
    const std::string decision_id = r.optional_string("decision_id", 64).value_or(random_id("srv_", 16));
    const json* purposes = r.array("purposes", false);
    if (!r.ok()) return r.error();
    auto notices = notice_context(site_id);
    if (!notices) return notices.error();
    const StoredNotice& current = (*notices)->current;
    auto stored = stored_subject(site_id, subject_id);
    if (!stored) return stored.error();
    json request = {{"decision_id", decision_id},
                    {"subject_id", *stored},
                    {"notice_id", current.notice.notice_id},
                    {"notice_version", current.notice.version},
                    {"notice_hash", current.content_hash},
                    {"language", current.notice.default_language()},
                    {"method", "server_withdraw"}};
    if (purposes != nullptr) request["purposes"] = *purposes;
    auto parsed = parse_decision_request(request);
    if (!parsed) return parsed.error();
    if (auto may = check_speaker(subject_id, parsed->method, Speaker::backend); !may) return may.error();
    auto decision = make_decision(current.notice, current.content_hash, *parsed);
    if (!decision) return decision.error();
    return record(site_id, *decision, current);
}

// A self-contained proof bundle (DESIGN.md "Receipts and the log"): the
// receipts, the exact notice texts shown, the public keys, a checkpoint and an
// inclusion proof per receipt, so `consentctl verify` needs nothing else.
Result<json> ConsentService::export_subject(const std::string& site_id, const std::string& asked_id) {
    // Every read must succeed: an export that answered 200 with less than was
    // stored would tell the person (Art. 15) and the auditor a falsehood.
    if (auto site = require_site(store_, site_id); !site) return site.error();
    // The bundle names the id its receipts sign: an account's pseudonym.
    auto stored = stored_subject(site_id, asked_id);
    if (!stored) return stored.error();
    const std::string& subject_id = *stored;
    const auto receipts = store_.subject_receipts(site_id, subject_id);
    if (!receipts) return receipts.error();
    auto state = store_.subject_state(site_id, subject_id);
    if (!state) return state.error();
    auto latest = store_.latest_checkpoint();
    if (!latest && !is_not_found(latest.error())) return latest.error();
    const std::optional<Checkpoint> checkpoint =
        latest ? std::optional<Checkpoint>(std::move(latest).value()) : std::nullopt;
    json out = {{"bundle", "consent-proof-bundle/1"}, {"site", site_id},           {"subject", subject_id},
                {"receipts", json::array()},          {"notices", json::object()}, {"keys", keys_.jwks()}};
    if (checkpoint) out["log"] = {{"origin", log_origin_}, {"checkpoint", checkpoint->note}};
    for (const auto& r : *receipts) {
        json entry = {{"receipt_id", r.receipt_id}, {"log_index", r.log_index}, {"jws", r.jws}};
        if (checkpoint && r.log_index < checkpoint->tree_size) {
            auto proof = store_.inclusion_proof(r.log_index, checkpoint->tree_size);
            if (!proof) return proof.error();
            entry["inclusion_proof"] = json::array();
            for (const auto& h : *proof) entry["inclusion_proof"].push_back(base64_encode(h));
        }
        out["receipts"].push_back(std::move(entry));
        if (auto added = add_notice_text(site_id, r, out["notices"]); !added) return added.error();
    }
    out["state"] = subject_state_to_json(*state);
    // Which backends applied each receipt (a withdrawal: stopped processing), and when (issue #15).
    auto acknowledgements = subject_acknowledgements(store_, site_id, subject_id);
    if (!acknowledgements) return acknowledgements.error();
    out["acknowledgements"] = std::move(acknowledgements).value();
    // Receipts erased (issue #13): "erased" and the erasure receipts that say so.
    if (auto erasures = add_erasures(site_id, subject_id, checkpoint, out); !erasures) return erasures.error();
    return out;
}

// The notice version a receipt names, as the canonical text that was shown,
// read from the signed payload (not a column a writer could have changed).
Status ConsentService::add_notice_text(const std::string& site_id, const StoredReceipt& receipt, json& notices) {
    auto jws = parse_compact_jws(receipt.jws);
    if (!jws) return make_error("storage.corrupt_row", "a stored receipt is not a valid JWS: " + jws.error().code);
    const json& payload = jws->payload;
    if (!payload.contains("notice") || !payload["notice"].is_object()) return Unit{};
    const json& version = payload["notice"]["version"];
    if (!version.is_number_integer()) return Unit{};
    const std::string key = std::to_string(version.get<std::int64_t>());
    if (notices.contains(key)) return Unit{};
    auto n = notice_version(site_id, version.get<std::int64_t>());
    if (!n) return n.error();
    notices[key] = {{"hash", (*n)->content_hash}, {"canonical_json", (*n)->canonical_json}};
    return Unit{};
}

Result<bool> ConsentService::origin_allowed(const std::string& site_id, const std::string& origin) {
    auto site = store_.site(site_id);
    if (!site) return is_not_found(site.error()) ? Result<bool>(false) : Result<bool>(site.error());
    const auto& listed = site->allowed_origins;
    return std::find(listed.begin(), listed.end(), origin) != listed.end();
}

Result<StoredNotice> ConsentService::publish_notice(const std::string& site_id, const json& body) {
    if (auto site = require_site(store_, site_id); !site) return site.error();
    auto notice = parse_notice(body);
    if (!notice) return notice.error();
    auto canonical = canonicalize(notice_to_json(*notice));
    if (!canonical) return canonical.error();
    StoredNotice stored{site_id, *notice, notice_content_hash(*notice), *canonical, clock_()};
    if (auto s = store_.publish_notice(stored); !s) return s.error();
    notice_published_elsewhere(site_id);
    return stored;
}

void ConsentService::notice_published_elsewhere(const std::string& site_id) {
    {
        std::lock_guard<std::mutex> lock(cache_mutex_);
        if (site_id.empty()) notice_cache_.clear();
        else notice_cache_.erase(site_id);  // the next check sees the new version at once
        ++notice_generation_;
    }
    if (!site_id.empty()) events_.publish(site_id, -1);  // streams with notice events send it (issue #15)
}

}  // namespace consent::server
