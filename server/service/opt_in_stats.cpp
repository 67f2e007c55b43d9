#include "service/opt_in_stats.hpp"

#include <algorithm>
#include <set>
#include <vector>

#include "consent/consent/decision.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/receipt.hpp"
#include "service/site_lookup.hpp"

namespace consent::server {
namespace {

using nlohmann::json;

Error corrupt(const std::string& message) { return make_error("storage.corrupt_row", message); }

// Every purpose any version of the site's notice asks consent for: a chart
// keeps a purpose's line after a version drops it. Necessary purposes are
// always on, so an opt-in rate means nothing for them.
std::set<std::string> consent_purposes(const std::vector<StoredNotice>& versions) {
    std::set<std::string> out;
    for (const auto& v : versions)
        for (const auto& p : v.notice.purposes)
            if (!p.is_necessary()) out.insert(p.id);
    return out;
}

json notice_versions_json(const std::vector<StoredNotice>& versions) {
    json out = json::array();
    for (const auto& v : versions)
        out.push_back({{"version", v.notice.version},
                       {"hash", v.content_hash},
                       {"material", v.notice.material},
                       {"published_at", v.published_at}});
    return out;
}

// Per purpose, one PurposeCounts per bucket of the window.
using Series = std::map<std::string, std::vector<PurposeCounts>>;

// Counted from the signed payload inside the JWS, not from the payload column
// beside it (issue #10: a changed column must not move the statistics). The
// row was selected by its server_time column, so that must be the signed time.
// An erased receipt (issue #13) counts as before, from the residue its erasure
// receipt signed (time, method, purpose states), which the audit compares
// with the erasure receipt like any column with its JWS.
Result<std::pair<nlohmann::json, std::string>> signed_facts(const StoredReceipt& receipt) {
    if (is_erased(receipt)) {
        auto residue = parse_json_strict(receipt.payload);
        if (!residue || !residue->is_object()) return corrupt("an erased receipt's residue is not a JSON object");
        return std::make_pair(std::move(*residue), receipt.payload);
    }
    auto jws = parse_compact_jws(receipt.jws);
    if (!jws) return corrupt("a stored receipt is not a valid JWS: " + jws.error().code);
    return std::make_pair(std::move(jws->payload), std::move(jws->payload_text));
}

Status add_receipt(const OptInWindow& window, const StoredReceipt& receipt, Series& series) {
    auto facts = signed_facts(receipt);
    if (!facts) return facts.error();
    const json& payload = facts->first;
    const auto iat = payload.find("iat");
    if (iat == payload.end() || !iat->is_number_integer() || iat->get<std::int64_t>() != receipt.server_time)
        return corrupt("a receipt's server_time differs from its signed time");
    auto contribution = receipt_contribution(facts->second);
    if (!contribution) return contribution.error();
    const auto bucket = static_cast<std::size_t>((receipt.server_time - window.since) / window.bucket_seconds);
    for (const auto& [purpose, counts] : *contribution) {
        const auto line = series.find(purpose);
        if (line == series.end()) continue;  // necessary, or a purpose no notice version has
        PurposeCounts& total = line->second.at(bucket);
        total.decisions += counts.decisions;
        total.granted += counts.granted;
        total.withdrawn += counts.withdrawn;
    }
    return Unit{};
}

// Pages through the window's receipts in server-time order.
Status count_receipts(ReceiptStore& store, const std::string& site_id, const OptInWindow& window, Series& series) {
    TimePosition after{window.since, -1};
    for (;;) {
        auto page = store.receipts_in_time(site_id, after, window.until, kStatsPageSize);
        if (!page) return page.error();
        for (const auto& receipt : *page)
            if (auto added = add_receipt(window, receipt, series); !added) return added;
        if (page->size() < kStatsPageSize) return Unit{};
        after = TimePosition{page->back().server_time, page->back().log_index};
    }
}

json series_json(const OptInWindow& window, const Series& series) {
    json out = json::object();
    for (const auto& [purpose, buckets] : series) {
        json line = json::array();
        for (std::size_t i = 0; i < buckets.size(); ++i)
            line.push_back({{"start", window.since + static_cast<std::int64_t>(i) * window.bucket_seconds},
                            {"decisions", buckets[i].decisions},
                            {"granted", buckets[i].granted},
                            {"withdrawn", buckets[i].withdrawn}});
        out[purpose] = std::move(line);
    }
    return out;
}

}  // namespace

Result<OptInWindow> resolve_window(const OptInQuery& query, std::int64_t now) {
    OptInWindow w;
    w.bucket_seconds = query.bucket_seconds.value_or(kStatsDefaultBucketSeconds);
    if (w.bucket_seconds < kStatsMinBucketSeconds || w.bucket_seconds > kStatsMaxBucketSeconds)
        return make_error("stats.invalid_bucket", "bucket is a number of seconds from 60 to 2678400");
    w.until = query.until.value_or(now);
    // Bounded by the latest time a receipt can carry, so no sum below overflows.
    if (w.until < 0 || w.until > kMaxReceiptTime || (query.since && *query.since > kMaxReceiptTime))
        return make_error("stats.invalid_range", "since and until are Unix times up to 253402300799");
    w.since = query.since.value_or(std::max<std::int64_t>(0, w.until - kStatsDefaultBuckets * w.bucket_seconds));
    if (w.since < 0 || w.since > w.until)
        return make_error("stats.invalid_range", "since must not be later than until");
    if (w.bucket_count() > kStatsMaxBuckets)
        return make_error("stats.too_many_buckets", "at most 1000 buckets: use a larger bucket or a shorter range");
    return w;
}

Result<std::map<std::string, PurposeCounts>> receipt_contribution(const std::string& payload_text) {
    auto payload = parse_json_strict(payload_text);
    if (!payload || !payload->is_object()) return corrupt("a receipt payload is not a JSON object");
    const auto method_field = payload->find("method");
    const auto purposes = payload->find("purposes");
    const auto method = method_field != payload->end() && method_field->is_string()
                            ? method_from_string(method_field->get<std::string>())
                            : std::nullopt;
    if (!method || purposes == payload->end() || !purposes->is_array())
        return corrupt("a receipt payload has no method or purposes");
    std::map<std::string, PurposeCounts> out;
    for (const auto& entry : *purposes) {
        const auto id = entry.is_object() ? entry.find("id") : entry.end();
        const auto state = entry.is_object() ? entry.find("state") : entry.end();
        if (id == entry.end() || state == entry.end() || !id->is_string() || !state->is_string())
            return corrupt("a receipt payload holds a purpose without id or state");
        PurposeCounts& counts = out[id->get<std::string>()];
        counts.decisions = 1;
        counts.granted = state->get_ref<const std::string&>() == to_string(PurposeState::granted) ? 1 : 0;
        counts.withdrawn = is_withdrawal(*method) ? 1 : 0;
    }
    return out;
}

Result<json> opt_in_stats(ReceiptStore& store, const std::string& site_id, const OptInQuery& query, std::int64_t now) {
    auto window = resolve_window(query, now);
    if (!window) return window.error();
    if (auto site = require_site(store, site_id); !site) return site.error();
    const auto stored_versions = store.notices(site_id);
    if (!stored_versions) return stored_versions.error();
    const auto& versions = *stored_versions;
    Series series;
    for (const auto& purpose : consent_purposes(versions))
        series[purpose].resize(static_cast<std::size_t>(window->bucket_count()));
    if (auto counted = count_receipts(store, site_id, *window, series); !counted) return counted.error();
    return json{{"bucket_seconds", window->bucket_seconds},
                {"since", window->since},
                {"until", window->until},
                {"purposes", series_json(*window, series)},
                {"notice_versions", notice_versions_json(versions)}};
}

}  // namespace consent::server
