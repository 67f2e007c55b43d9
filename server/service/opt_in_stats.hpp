// Operator statistics: per consent purpose and time bucket, how many decisions
// stated the purpose, how many granted it and how many withdrew it, so a site
// can chart its opt-in rate (granted / decisions) over time.
//
// Reporting, not a consent rule: nothing here decides whether a purpose is
// allowed, so it lives in the server, not in the core. Counts only: the answer
// never holds a subject id or anything else about one person.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {

inline constexpr std::int64_t kStatsMinBucketSeconds = 60;
inline constexpr std::int64_t kStatsMaxBucketSeconds = 2678400;  // 31 days
inline constexpr std::int64_t kStatsDefaultBucketSeconds = 86400;
inline constexpr std::int64_t kStatsDefaultBuckets = 30;  // since defaults to until - 30 buckets
inline constexpr std::int64_t kStatsMaxBuckets = 1000;
// Receipts read from the store per page while counting.
inline constexpr std::size_t kStatsPageSize = 1000;

// The query as sent; a parameter left out is nullopt.
struct OptInQuery {
    std::optional<std::int64_t> bucket_seconds;
    std::optional<std::int64_t> since;
    std::optional<std::int64_t> until;
};

// The range [since, until) cut into buckets of bucket_seconds from since on;
// the last bucket ends at until, so it may be shorter.
struct OptInWindow {
    std::int64_t bucket_seconds = kStatsDefaultBucketSeconds;
    std::int64_t since = 0;
    std::int64_t until = 0;

    std::int64_t bucket_count() const { return (until - since + bucket_seconds - 1) / bucket_seconds; }
};

// Fills in the defaults (bucket 86400, until = now, since = until - 30 buckets
// but not before 0) and checks the window. Codes: stats.invalid_bucket (not in
// 60..2678400), stats.invalid_range (since > until, or a time after
// 9999-12-31T23:59:59Z), stats.too_many_buckets (more than 1000).
Result<OptInWindow> resolve_window(const OptInQuery& query, std::int64_t now);

struct PurposeCounts {
    std::int64_t decisions = 0;  // decisions that stated the purpose, by any method
    std::int64_t granted = 0;    // of those, the ones that granted it
    std::int64_t withdrawn = 0;  // withdrawals (withdraw, server_withdraw) that named it
};

// What one receipt contributes, per purpose its decision states. payload_text
// is the receipt's canonical payload (core/include/consent/log/receipt.hpp): its
// "method" and its "purposes" array of {"id","state"}. storage.corrupt_row if
// it is not one.
Result<std::map<std::string, PurposeCounts>> receipt_contribution(const std::string& payload_text);

// The answer of GET /v1/sites/{site}/stats/opt-in:
// {"bucket_seconds","since","until",
//  "purposes":{purpose:[{"start","decisions","granted","withdrawn"},…]},
//  "notice_versions":[{"version","hash","material","published_at"},…]}
// with one entry per bucket (empty ones as zeros) for every consent purpose of
// any of the site's notice versions. A receipt counts in the bucket of its
// server time. request.not_found for an unknown site.
Result<nlohmann::json> opt_in_stats(ReceiptStore& store, const std::string& site_id, const OptInQuery& query,
                                    std::int64_t now);

}  // namespace consent::server
