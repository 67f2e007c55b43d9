#include "http/error_mapping.hpp"

#include <array>
#include <string_view>

#include <nlohmann/json.hpp>

namespace consent::server {
namespace {

struct Mapping {
    std::string_view code;  // an exact code, or a prefix ending in '.'
    int status;
};

// Most specific first; anything unlisted about input is 400, anything else 500.
constexpr std::array<Mapping, 20> kTable{{
    {"storage.bad_proof_request", 400},
    {"log.empty", 404},
    {"request.not_found", 404},
    {"request.body_too_large", 413},
    {"request.rate_limited", 429},
    {"request.origin_not_allowed", 403},
    {"request.unsupported_media_type", 415},
    {"auth.missing_key", 401},
    {"auth.invalid_key", 401},
    {"auth.wrong_site", 403},
    {"subject.", 403},
    {"notice.none_published", 404},
    {"storage.notice_version_exists", 409},
    {"storage.notice_version_order", 409},
    {"storage.notice_id_changed", 409},
    {"storage.", 500},
    {"keys.", 500},
    {"decision.notice_version_unknown", 409},
    {"decision.notice_hash_mismatch", 409},
    {"decision.id_conflict", 409},
}};

bool matches(std::string_view code, std::string_view pattern) {
    if (!pattern.empty() && pattern.back() == '.') return code.substr(0, pattern.size()) == pattern;
    return code == pattern;
}

}  // namespace

int http_status_for(const Error& error) {
    for (const auto& m : kTable)
        if (matches(error.code, m.code)) return m.status;
    return 400;  // validation errors of the core: notice.*, decision.*, json.*, jcs.*, request.*
}

std::string error_body(const Error& error) {
    nlohmann::json body = {{"error", {{"code", error.code}, {"message", error.message}}}};
    if (!error.path.empty()) body["error"]["path"] = error.path;
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace consent::server
