// Who may speak in a subject's name (DESIGN.md "Subjects and trust", issue #10
// item 7): every method, every kind of subject id, every speaker.
#include <catch2/catch.hpp>

#include <string>

#include "consent/consent/subject_trust.hpp"

namespace {

using consent::Method;
using consent::Speaker;

std::string code_of(const std::string& subject, Method method, Speaker speaker) {
    const auto checked = consent::check_speaker(subject, method, speaker);
    return checked.ok() ? std::string("ok") : checked.error().code;
}

const char* name_of(Speaker speaker) {
    switch (speaker) {
        case Speaker::visitor: return "visitor";
        case Speaker::vouched_visitor: return "vouched_visitor";
        case Speaker::backend: return "backend";
    }
    return "?";
}

}  // namespace

TEST_CASE("only a browser-made random subject id is a capability", "[core][trust]") {
    CHECK(consent::is_browser_subject_id("b_AAAAAAAAAAAAAAAAAAAAAA"));
    CHECK(consent::is_browser_subject_id("b_q-Z_09azAZ09azAZ09azAZ"));
    CHECK_FALSE(consent::is_browser_subject_id("user-42"));
    CHECK_FALSE(consent::is_browser_subject_id("alice@example.com"));
    CHECK_FALSE(consent::is_browser_subject_id("b_short"));
    CHECK_FALSE(consent::is_browser_subject_id("b_AAAAAAAAAAAAAAAAAAAAAAA"));
    CHECK_FALSE(consent::is_browser_subject_id("b_AAAAAAAAAAAAAAAAAAAAA!"));
    CHECK_FALSE(consent::is_browser_subject_id("x_AAAAAAAAAAAAAAAAAAAAAA"));
}

TEST_CASE("who may speak for a subject for every method and kind of subject id", "[core][trust]") {
    const auto method = GENERATE(Method::accept_all, Method::reject_all, Method::custom, Method::withdraw, Method::gpc,
                                 Method::server_withdraw);
    const auto subject =
        GENERATE(as<std::string>(), "b_Q2xhcmEtYnJvd3Nlci0wMQ", "alice@example.com", "user-42", "b_short");
    const auto speaker = GENERATE(Speaker::visitor, Speaker::vouched_visitor, Speaker::backend);
    CAPTURE(consent::to_string(method), subject, name_of(speaker));
    const bool browser_id = consent::is_browser_subject_id(subject);
    std::string want = "ok";
    if ((method == Method::server_withdraw) != (speaker == Speaker::backend))
        want = "decision.method_not_allowed";  // the backend's method, and its only one
    else if (speaker == Speaker::visitor && !browser_id)
        want = "subject.token_required";  // a refusal or withdrawal too: false evidence otherwise
    CHECK(code_of(subject, method, speaker) == want);
}

TEST_CASE("a refusal or withdrawal for a guessable subject id without a token is refused", "[core][trust]") {
    for (const Method m : {Method::reject_all, Method::withdraw, Method::gpc, Method::custom}) {
        CAPTURE(consent::to_string(m));
        const auto refused = consent::check_speaker("alice@example.com", m, Speaker::visitor);
        REQUIRE_FALSE(refused.ok());
        CHECK(refused.error().code == "subject.token_required");
        CHECK(refused.error().path == "/subject_id");
        CHECK(consent::check_speaker("alice@example.com", m, Speaker::vouched_visitor).ok());
    }
    CHECK(consent::check_speaker("alice@example.com", Method::server_withdraw, Speaker::backend).ok());
}

TEST_CASE("who may ask for an erasure for every kind of subject id and every speaker", "[core][trust][erasure]") {
    const auto subject =
        GENERATE(as<std::string>(), "b_Q2xhcmEtYnJvd3Nlci0wMQ", "alice@example.com", "user-42", "b_short");
    const auto speaker = GENERATE(Speaker::visitor, Speaker::vouched_visitor, Speaker::backend);
    CAPTURE(subject, name_of(speaker));
    const auto checked = consent::check_erasure_speaker(subject, speaker);
    // The public endpoint without a token erases only a browser-made id: anyone could name an account id.
    const bool want = speaker != Speaker::visitor || consent::is_browser_subject_id(subject);
    CHECK(checked.ok() == want);
    if (!want) {
        CHECK(checked.error().code == "subject.token_required");
        CHECK(checked.error().path == "/subject_id");
    }
}

TEST_CASE("a public erasure names the public path and how the visitor proved the id, never a key",
          "[core][trust][erasure]") {
    CHECK(consent::public_erasure_requester(Speaker::visitor) == "public:browser_id");
    CHECK(consent::public_erasure_requester(Speaker::vouched_visitor) == "public:subject_token");
    CHECK(consent::public_erasure_requester(Speaker::backend).empty());
    CHECK(consent::kSubjectRequestReason == "subject_request");
}
