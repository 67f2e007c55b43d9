// The JSON API's two faces: call_json_api (every operation: consentctl, the
// full wasm module) and call_banner_api (what consent-banner.wasm exports: only
// the five operations the page calls). The banner's face must answer its
// operations exactly as the full one does and know nothing of the others
// (the proof verifiers, JCS, the separate view and policy calls), which it does not ship.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "consent/api/json_api.hpp"
#include "fixtures.hpp"

namespace {

using nlohmann::json;

const std::vector<std::string> kBannerOperations{
    "consent_mode.state",  "decision.make", "jcs.canonicalize", "notice.parse",    "policy.is_allowed",
    "policy.needs_prompt", "state.apply",   "banner.view",      "banner.evaluate", "banner.click"};
// What the page calls (web/src/banner.js), and so all that consent-banner.wasm answers.
const std::vector<std::string> kPageOperations{"notice.parse", "decision.make", "state.apply", "banner.evaluate",
                                               "banner.click"};
const std::vector<std::string> kProofOperations{"bundle.verify",           "checkpoint.verify",
                                                "merkle.leaf_hash",        "merkle.verify_consistency",
                                                "merkle.verify_inclusion", "receipt.verify"};

}  // namespace

TEST_CASE("the full API lists every operation once, in order", "[core][api]") {
    auto all = kBannerOperations;
    all.insert(all.end(), kProofOperations.begin(), kProofOperations.end());
    std::sort(all.begin(), all.end());
    CHECK(consent::json_api_operations() == all);
}

TEST_CASE("the banner's API answers its operations exactly as the full API does", "[core][api]") {
    const json notice = consent::test::shop_notice_json();
    const std::string evaluate_input = json{
        {"notice", notice},
        {"now", 1800000000},
        {"gpc", false},
        {"state", json::object()},
        {"languages", {"de-AT"}}}.dump();
    CHECK(consent::call_banner_api("banner.evaluate", evaluate_input) ==
          consent::call_json_api("banner.evaluate", evaluate_input));
    CHECK(consent::call_banner_api("notice.parse", notice.dump()) ==
          consent::call_json_api("notice.parse", notice.dump()));
    const json parsed = json::parse(consent::call_banner_api("notice.parse", notice.dump()));
    CHECK(parsed["ok"] == true);
    // Errors too: same code, same path.
    CHECK(consent::call_banner_api("notice.parse", "{\"notice_id\":1}") ==
          consent::call_json_api("notice.parse", "{\"notice_id\":1}"));
}

TEST_CASE("the banner's API knows only the page's operations", "[core][api]") {
    for (const auto& op : kBannerOperations) {
        CAPTURE(op);
        const bool on_page = std::find(kPageOperations.begin(), kPageOperations.end(), op) != kPageOperations.end();
        const json answer = json::parse(consent::call_banner_api(op, "{}"));
        CHECK((answer["ok"] == false && answer["error"]["code"] == "api.unknown_operation") == !on_page);
    }
}

TEST_CASE("the banner's API does not know the proof verifiers", "[core][api]") {
    for (const auto& op : kProofOperations) {
        CAPTURE(op);
        const json answer = json::parse(consent::call_banner_api(op, "{}"));
        CHECK(answer["ok"] == false);
        CHECK(answer["error"]["code"] == "api.unknown_operation");
        CHECK(json::parse(consent::call_json_api(op, "{}"))["error"]["code"] != "api.unknown_operation");
    }
}

TEST_CASE("banner.evaluate answers what banner.view, policy.is_allowed and consent_mode.state answer", "[core][api]") {
    const json notice = consent::test::shop_notice_json();
    const json state = {{"analytics",
                         {{"state", "granted"},
                          {"method", "custom"},
                          {"notice_id", "bike-shop"},
                          {"notice_version", 3},
                          {"decided_at", 1799990000},
                          {"receipt_id", "rcpt_1"}}}};
    for (const bool gpc : {false, true}) {
        CAPTURE(gpc);
        const json args = {
            {"notice", notice}, {"now", 1800000000}, {"gpc", gpc}, {"state", state}, {"languages", {"ar"}}};
        const json all = json::parse(consent::call_banner_api("banner.evaluate", args.dump()));
        REQUIRE(all["ok"] == true);
        const json& v = all["value"];
        CHECK(v["view"] == json::parse(consent::call_json_api("banner.view", args.dump()))["value"]);
        CHECK(v["consent_mode"] == json::parse(consent::call_json_api("consent_mode.state", args.dump()))["value"]);
        REQUIRE(v["verdicts"].size() == 3);
        for (const auto& p : notice["purposes"]) {
            json one = args;
            one["purpose"] = p["id"];
            CHECK(v["verdicts"][p["id"].get<std::string>()] ==
                  json::parse(consent::call_json_api("policy.is_allowed", one.dump()))["value"]);
        }
        CHECK(v["verdicts"]["analytics"]["allowed"] == true);
    }
}

TEST_CASE("banner.click answers what a click records, as JSON", "[core][api]") {
    const json notice = consent::test::shop_notice_json();
    const json save = {{"notice", notice}, {"now", 1800000000}, {"click", "save"}, {"choices", {{"analytics", true}}}};
    CHECK(json::parse(consent::call_banner_api("banner.click", save.dump()))["value"] ==
          json({{"method", "custom"}, {"choices", {{"analytics", true}}}}));
    json gpc = save;
    gpc["gpc"] = true;
    gpc["click"] = "accept";
    CHECK(json::parse(consent::call_banner_api("banner.click", gpc.dump()))["value"] ==
          json({{"method", "gpc"}, {"choices", {{"analytics", true}}}}));
    json bad = save;
    bad["click"] = "dismiss";
    CHECK(json::parse(consent::call_banner_api("banner.click", bad.dump()))["error"]["code"] == "api.invalid_click");
}
