// consentd's whole HTTP request path on untrusted bytes: httplib's parsing
// and routing (Server::process_request) with consentd's HttpServer routes,
// over an in-memory stream, on a real SQLite store in a temporary directory
// (tmpfs when there is one). One input is one request.
// Properties: the answer (if any) parses as HTTP/1.1 with a body of the
// length it announces; its status is below 500; a 4xx carries the JSON error
// {"error":{"code","message"}}; and a 4xx leaves the store as it was (the
// receipt count and the current notice version did not change).
//
// The bytes go through consentd's own framing (server/http/request_framer)
// and routing exactly as a connection's input would, with no socket:
// HttpServer::answer_bytes. Pipelined requests in one input are answered in order.
#include <sodium.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "consent/crypto/encoding.hpp"
#include "consent/crypto/sha256.hpp"
#include "consent/json/canonical_json.hpp"
#include "crypto/key_ring.hpp"
#include "fuzz_fixtures.hpp"
#include "http/http_server.hpp"
#include "http_seeds.hpp"
#include "storage/sqlite_store.hpp"

namespace {

using namespace consent;
namespace fs = std::filesystem;

template <class T>
T must(Result<T> r, const char* what) {
    if (!r) fuzz::fail(what, r.error().code + ": " + r.error().message);
    return std::move(r).value();
}

// consentd as tests/server/server_fixture.cpp sets it up, with the fuzz
// corpus's fixed API key and subject-token key, a fixed clock, and no
// waiting in event streams (the hub is stopped: a stream sends what is stored).
struct Consentd {
    fs::path dir;
    std::unique_ptr<server::KeyRing> keys;
    std::unique_ptr<server::SiteSecrets> secrets;  // as consentd: pseudonyms and erasure tags
    std::unique_ptr<server::SqliteStore> store;
    std::unique_ptr<server::ConsentService> service;
    std::unique_ptr<server::HttpServer> http;

    Consentd() {
        const fs::path base = fs::exists("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
        dir = base / ("consent-fuzz-http-" + std::to_string(::getpid()));
        fs::remove_all(dir);
        fs::create_directories(dir);
        const std::string key_dir = (dir / "keys").string();
        must(server::KeyRing::create_key(key_dir, fuzz::kNow), "create key");
        keys = std::make_unique<server::KeyRing>(must(server::KeyRing::load(key_dir), "load keys"));
        const auto clock = [] { return fuzz::kNow + 1; };
        store = must(server::SqliteStore::open((dir / "consentd.db").string(), clock), "open store");
        service = std::make_unique<server::ConsentService>(*store, *keys, clock);
        secrets = std::make_unique<server::SiteSecrets>(key_dir);
        service->set_site_secrets(*secrets);
        must(store->put_site(server::Site{fuzz::kSite, {fuzz::kShopOrigin}, fuzz::kNow, {fuzz::fixed_key().x()}}),
             "site");
        must(store->put_site(server::Site{"other-site", {}, fuzz::kNow, {}}), "other site");
        must(service->publish_notice(fuzz::kSite,
                                     parse_json_strict(fuzz::read_source_file("tests/data/notices/shop.json")).value()),
             "publish");
        must(store->put_api_key(server::ApiKeyRecord{fuzz::kApiKeyId, fuzz::kSite,
                                                     hex_encode(sha256(std::string_view(fuzz::kApiKeySecret))),
                                                     fuzz::kNow, std::nullopt, ""}),
             "api key");
        server::ServerConfig config;
        config.public_rate_per_minute = 1u << 30;
        config.public_rate_burst = 1u << 30;
        http = std::make_unique<server::HttpServer>(*service, config);
        service->events().stop();
    }
    ~Consentd() {
        http.reset();
        service.reset();
        store.reset();
        std::error_code ignored;
        fs::remove_all(dir, ignored);
    }
};

Consentd* g_consentd = nullptr;

void stop_consentd() {
    delete g_consentd;
    g_consentd = nullptr;
}

std::int64_t current_version() {
    auto current = g_consentd->store->current_notice(fuzz::kSite);
    return current ? current->notice.version : -1;
}

// An HTTP/1.1 answer: status line, headers, then exactly the announced body.
struct Answer {
    int status = 0;
    std::string content_type;
    std::string body;
};

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// An event stream ends only when the connection does: there it may stop
// after any whole chunk, without the last-chunk (RFC 9112 §7.1).
bool dechunk(std::string_view rest, std::string& body, bool open_ended) {
    while (true) {
        const auto eol = rest.find("\r\n");
        if (eol == std::string_view::npos) return open_ended && rest.empty();
        const std::size_t size = std::strtoul(std::string(rest.substr(0, eol)).c_str(), nullptr, 16);
        rest.remove_prefix(eol + 2);
        if (size == 0) return rest == "\r\n";
        if (rest.size() < size + 2 || rest.substr(size, 2) != "\r\n") return false;
        body.append(rest.substr(0, size));
        rest.remove_prefix(size + 2);
    }
}

Answer parse_answer(const std::string& out, bool head) {
    Answer a;
    const auto end = out.find("\r\n\r\n");
    fuzz::check(end != std::string::npos && out.rfind("HTTP/1.1 ", 0) == 0 && out.size() >= 12,
                "the answer has a status line and headers", out.substr(0, 200));
    a.status = std::atoi(out.substr(9, 3).c_str());
    fuzz::check(a.status >= 100 && a.status <= 599, "the status is a number", out.substr(0, 200));
    std::size_t length = 0;
    bool has_length = false, chunked = false;
    for (std::size_t line = out.find("\r\n") + 2; line < end + 2;) {
        const auto next = out.find("\r\n", line);
        const std::string header = out.substr(line, next - line);
        const auto colon = header.find(':');
        fuzz::check(colon != std::string::npos && colon > 0, "each header line is name: value", header);
        const std::string name = lower(header.substr(0, colon));
        const std::string value = header.substr(header.find_first_not_of(' ', colon + 1) == std::string::npos
                                                    ? header.size()
                                                    : header.find_first_not_of(' ', colon + 1));
        if (name == "content-length") {
            length = std::stoul(value);
            has_length = true;
        }
        if (name == "transfer-encoding" && lower(value) == "chunked") chunked = true;
        if (name == "content-type") a.content_type = value;
        line = next + 2;
    }
    const std::string rest = out.substr(end + 4);
    if (head) return a;
    if (chunked) {
        fuzz::check(dechunk(rest, a.body, a.content_type.rfind("text/event-stream", 0) == 0),
                    "a chunked body is well framed", rest.substr(0, 200));
    } else {
        fuzz::check(rest.size() == (has_length ? length : 0), "the body has the announced length", out.substr(0, 300));
        a.body = rest;
    }
    return a;
}

void check_error_body(const Answer& a) {
    const auto body = parse_json_strict(a.body);
    fuzz::check(body.ok() && body->is_object() && body->contains("error") && (*body)["error"].is_object() &&
                    (*body)["error"].value("code", "") != "" && (*body)["error"].contains("message"),
                "a 4xx answer is the JSON error {\"error\":{\"code\",\"message\"}}",
                std::to_string(a.status) + " " + a.body);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    if (sodium_init() < 0) fuzz::fail("sodium_init");
    g_consentd = new Consentd();
    std::atexit(stop_consentd);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = fuzz::as_text(data, size);
    const std::int64_t receipts_before = *g_consentd->store->receipt_count();
    const std::int64_t version_before = current_version();
    const bool head = input.substr(0, 5) == "HEAD ";
    // With several pipelined requests in one input an earlier one may have
    // been recorded: the store must be unchanged only when every answer refused.
    const auto answers = g_consentd->http->answer_bytes(input);
    const bool all_refused = std::all_of(answers.begin(), answers.end(),
                                         [](const std::string& out) { return out.size() >= 12 && out[9] >= '4'; });
    for (const std::string& out : answers) {
        const Answer answer = parse_answer(out, head);
        fuzz::check(answer.status < 500 || answer.status == 501 || answer.status == 505,
                    "no request gets a 5xx but 'not implemented' for a method or HTTP version", out.substr(0, 600));
        if (answer.status >= 400 && !head) check_error_body(answer);
        if (all_refused) {
            fuzz::check(*g_consentd->store->receipt_count() == receipts_before, "a refused request stores no receipt",
                        out.substr(0, 600));
            fuzz::check(current_version() == version_before, "a refused request publishes no notice",
                        out.substr(0, 600));
        }
    }
    return 0;
}
