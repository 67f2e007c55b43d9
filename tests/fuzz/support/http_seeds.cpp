#include "http_seeds.hpp"

#include <nlohmann/json.hpp>

#include "fuzz_fixtures.hpp"

namespace consent::fuzz {
namespace {

using nlohmann::json;

std::string request(const std::string& method, const std::string& target, const std::string& headers = {},
                    const std::string& body = {}) {
    std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers;
    if (!body.empty() || method == "POST")
        r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    return r + "\r\n" + body;
}

std::string decision_body(const std::string& id, const std::string& subject, const std::string& method) {
    return json{{"decision_id", id},
                {"subject_id", subject},
                {"notice_id", "bike-shop"},
                {"notice_version", 3},
                {"notice_hash", shop_notice_hash()},
                {"language", "en"},
                {"method", method}}
        .dump();
}

}  // namespace

std::string api_key_header() { return std::string("Bearer ck_") + kApiKeyId + "." + kApiKeySecret; }

std::vector<std::pair<std::string, std::string>> http_seed_requests() {
    const std::string auth = "Authorization: " + api_key_header() + "\r\n";
    const std::string origin = std::string("Origin: ") + kShopOrigin + "\r\n";
    const std::string site = "/v1/sites/bike-shop";
    const std::string subject = "b_RnV6ei1odHRwLXN1YmplY3Q";
    return {
        {"notice", request("GET", site + "/notice", origin)},
        {"notice-if-none-match", request("GET", site + "/notice", "If-None-Match: \"" + shop_notice_hash() + "\"\r\n")},
        {"banner-view", request("GET", site + "/banner-view?languages=de-AT,en&gpc=1", origin)},
        {"options", request("OPTIONS", site + "/decisions", origin)},
        {"decision-accept",
         request("POST", site + "/decisions", origin, decision_body("dec-http-1", subject, "accept_all"))},
        {"decision-reject",
         request("POST", site + "/decisions", "", decision_body("dec-http-2", subject, "reject_all"))},
        {"decision-token", request("POST", site + "/decisions", "Consent-Subject-Token: " + subject_token() + "\r\n",
                                   decision_body("dec-http-3", kTokenSubject, "accept_all"))},
        {"decision-chunked", "POST " + site +
                                 "/decisions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n"},
        {"check", request("GET", site + "/subjects/" + subject + "/purposes/analytics", auth)},
        {"checks", request("POST", site + "/checks", auth,
                           json{{"checks", json::array({{{"subject", subject}, {"purpose", "marketing"}}})}}.dump())},
        {"withdrawal", request("POST", site + "/subjects/" + subject + "/withdrawals", auth,
                               json{{"purposes", json::array({"analytics"})}}.dump())},
        {"export", request("GET", site + "/subjects/" + subject + "/export", auth)},
        {"publish-notice", request("POST", site + "/notices", auth, read_source_file("tests/data/notices/shop.json"))},
        {"events", request("GET", site + "/events", auth + "Last-Event-ID: 0\r\n")},
        {"stats", request("GET", site + "/stats/opt-in?bucket=86400&since=0&until=1767312000", auth)},
        {"checkpoint", request("GET", "/v1/log/checkpoint")},
        {"inclusion", request("GET", "/v1/log/proofs/inclusion?leaf=0&size=1")},
        {"consistency", request("GET", "/v1/log/proofs/consistency?from=1&to=2")},
        {"jwks", request("GET", "/.well-known/jwks.json")},
        {"healthz", request("GET", "/healthz")},
        {"metrics", request("GET", "/metrics")},
        {"not-found", request("GET", "/v1/nothing-here")},
        {"head", request("HEAD", site + "/notice")},
    };
}

}  // namespace consent::fuzz
