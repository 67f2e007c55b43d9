// The one registry of error codes (issue #10 item 5): every code the sources
// can produce is in it with the status its refusals use, the HTTP mapping
// reads it, an unknown code is 500 server.internal that tells nothing, and
// docs/errors.md is the registry as generated.
#include "http/error_registry.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <regex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "http/error_mapping.hpp"
#include "test_files.hpp"

namespace {

using consent::server::error_registry;
using consent::server::find_error;

std::string source_root() { return consent::test::data_dir() + "/../.."; }

std::vector<std::string> sources() {
    std::vector<std::string> out;
    for (const char* dir : {"/core", "/server"})
        for (const char* ext : {".cpp", ".hpp"})
            for (auto& f : consent::test::list_files(source_root() + dir, ext)) out.push_back(f);
    return out;
}

// Every code a source can produce, with the status a refusal writes next to
// it (0 where the registry decides). Codes are written four ways, and the
// http fuzz target found one this scan missed (a reader's own fail()):
// - "domain.word" literals anywhere (make_error, a ternary, a function that
//   returns a code, a code passed on to a helper), for the registry's
//   domains; the JSON API's operation names ({"notice.parse", op_…} and
//   their callers) are not codes;
// - refusals: refuse(NNN, "code") and {NNN, "code"}, with their status;
// - FieldReader's own failures: every domain of a reader × every suffix
//   field_reader.cpp fails with;
// - a file's reader failing with its own suffix, r.fail("suffix"): that
//   file's reader domains × those suffixes.
std::vector<std::pair<std::string, int>> codes_in_sources() {
    std::set<std::string> known_domains;
    for (const auto& e : error_registry()) known_domains.insert(std::string(e.code.substr(0, e.code.find('.'))));
    const std::regex literal(R"re("([a-z]+)\.([a-z_]+)")re");
    const std::regex refused(R"re((?:refuse\(|\{)\s*(\d{3}),\s*"([a-z_]+\.[a-z_]+)")re");
    const std::regex reader(R"re(FieldReader \w+\([^;]*"([a-z_]+)"\);)re");
    const std::regex suffix(R"re(fail\("([a-z_]+)")re");
    const std::set<std::string> file_kinds{"json", "js",   "css",  "md",     "hpp",  "cpp", "db",
                                           "txt",  "html", "conf", "sqlite", "wasm", "tmp", "partial"};
    const std::regex operation(R"re(\{"([a-z]+\.[a-z_]+)",\s*op_)re");
    std::set<std::string> operations;
    for (const auto& file : sources()) {
        const std::string text = consent::test::read_file(file);
        for (std::sregex_iterator m(text.begin(), text.end(), operation), end; m != end; ++m)
            operations.insert((*m)[1]);
    }
    REQUIRE(operations.count("notice.parse") == 1);
    std::vector<std::pair<std::string, int>> out;
    std::set<std::string> domains, suffixes;
    for (const auto& file : sources()) {
        const std::string text = consent::test::read_file(file);
        const std::string name = std::filesystem::path(file).filename().string();
        for (std::sregex_iterator m(text.begin(), text.end(), literal), end; m != end; ++m) {
            const std::string code = (*m)[1].str() + "." + (*m)[2].str();
            if (known_domains.count((*m)[1]) && !file_kinds.count((*m)[2]) && !operations.count(code))
                out.emplace_back(code, 0);
        }
        for (std::sregex_iterator m(text.begin(), text.end(), refused), end; m != end; ++m)
            out.emplace_back((*m)[2], std::stoi((*m)[1]));
        std::set<std::string> file_domains, file_suffixes;
        for (std::sregex_iterator m(text.begin(), text.end(), reader), end; m != end; ++m) file_domains.insert((*m)[1]);
        for (std::sregex_iterator m(text.begin(), text.end(), suffix), end; m != end; ++m)
            file_suffixes.insert((*m)[1]);
        domains.insert(file_domains.begin(), file_domains.end());
        if (name == "field_reader.cpp") suffixes = file_suffixes;
        for (const auto& d : file_domains)
            for (const auto& s : file_suffixes) out.emplace_back(d + "." + s, 0);
    }
    REQUIRE(domains.size() >= 5);
    REQUIRE(suffixes.size() >= 5);
    for (const auto& d : domains)
        for (const auto& s : suffixes) out.emplace_back(d + "." + s, 0);
    return out;
}

}  // namespace

TEST_CASE("the error registry is sorted, unique, and retryable only where a retry can help", "[server][errors]") {
    const auto& all = error_registry();
    REQUIRE(all.size() > 100);
    for (std::size_t i = 0; i < all.size(); ++i) {
        CAPTURE(all[i].code);
        if (i > 0) CHECK(all[i - 1].code < all[i].code);
        CHECK(find_error(all[i].code) == &all[i]);
        CHECK(!all[i].meaning.empty());
        CHECK((all[i].status == 0 || (all[i].status >= 400 && all[i].status <= 599)));
        if (all[i].retryable) CHECK((all[i].status == 503 || all[i].status == 429));
    }
    CHECK(find_error("storage.unavailable")->retryable);
    CHECK(find_error("storage.unavailable")->status == 503);
    CHECK_FALSE(find_error("storage.commit_failed")->retryable);
}

TEST_CASE("every error code written in the sources is registered, with the status its refusal sends",
          "[server][errors]") {
    const auto codes = codes_in_sources();
    REQUIRE(codes.size() > 100);
    for (const auto& [code, status] : codes) {
        CAPTURE(code, status);
        const auto* info = find_error(code);
        REQUIRE(info != nullptr);
        if (status != 0) CHECK(info->status == status);
    }
}

TEST_CASE("an unregistered code is answered 500 server.internal and tells nothing of itself", "[server][errors]") {
    const auto e = consent::make_error("storage.brand_new_failure", "secret detail: /var/lib/x", "/field");
    CHECK(consent::server::http_status_for(e) == 500);
    const auto body = nlohmann::json::parse(consent::server::error_body(e));
    CHECK(body["error"]["code"] == "server.internal");
    CHECK(body["error"]["message"].get<std::string>().find("secret") == std::string::npos);
    CHECK_FALSE(body["error"].contains("path"));
    CHECK_FALSE(consent::server::is_retryable(e));
    // A CLI-only code never reaches HTTP as itself either.
    CHECK(consent::server::http_status_for(consent::make_error("cli.cannot_read", "x")) == 500);
}

TEST_CASE("a storage fault is a retryable 503, a lookup that finds nothing a 404", "[server][errors]") {
    CHECK(consent::server::http_status_for(consent::make_error("storage.unavailable", "database is locked")) == 503);
    CHECK(consent::server::is_retryable(consent::make_error("storage.unavailable", "")));
    CHECK(consent::server::http_status_for(consent::make_error("request.not_found", "site not found")) == 404);
    const auto body = nlohmann::json::parse(
        consent::server::error_body(consent::make_error("decision.missing_field", "no subject", "/subject_id")));
    CHECK(body ==
          nlohmann::json{
              {"error", {{"code", "decision.missing_field"}, {"message", "no subject"}, {"path", "/subject_id"}}}});
}

TEST_CASE("docs/errors.md is the registry as consentctl errors --markdown prints it", "[server][errors]") {
    CHECK(consent::test::read_file(source_root() + "/docs/errors.md") == consent::server::error_registry_markdown());
}
