// core/ must stay pure so that it compiles for the browser and the server alike
// and gives the same answers on both: no I/O, clocks, entropy, threads or
// process state. This test reads the core's own sources and fails on any
// include or call that would break that.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test_files.hpp"

namespace {

const std::vector<std::string> kForbidden = {"<iostream>",
                                             "<fstream>",
                                             "<filesystem>",
                                             "<chrono>",
                                             "<ctime>",
                                             "<time.h>",
                                             "<thread>",
                                             "<mutex>",
                                             "<atomic>",
                                             "<future>",
                                             "<condition_variable>",
                                             "<random>",
                                             "<sys/",
                                             "<unistd.h>",
                                             "<emscripten",
                                             "<sodium",
                                             "<sqlite",
                                             "<httplib",
                                             "getenv",
                                             "std::cout",
                                             "std::cerr",
                                             "fopen",
                                             "rand(",
                                             "time(",
                                             "system_clock",
                                             "steady_clock",
                                             "printf(\""};

std::vector<std::string> core_sources() {
    const std::string root = CONSENT_SOURCE_DIR;
    auto files = consent::test::list_files(root + "/core/src", ".cpp");
    auto headers = consent::test::list_files(root + "/core/include", ".hpp");
    files.insert(files.end(), headers.begin(), headers.end());
    return files;
}

}  // namespace

TEST_CASE("the core has no I/O, clock, entropy or thread dependency", "[core][purity]") {
    const auto files = core_sources();
    REQUIRE(files.size() > 10);
    for (const auto& file : files) {
        const std::string text = consent::test::read_file(file);
        for (const auto& token : kForbidden) {
            CAPTURE(file, token);
            CHECK(text.find(token) == std::string::npos);
        }
    }
}

TEST_CASE("the core keeps no mutable global state", "[core][purity]") {
    // Function-local "static const" tables are allowed; anything else static and
    // non-const would be state shared between calls (and between threads in consentd).
    for (const auto& file : core_sources()) {
        const std::string text = consent::test::read_file(file);
        std::size_t pos = 0;
        while ((pos = text.find("static ", pos)) != std::string::npos) {
            const std::string rest = text.substr(pos + 7, 20);
            const bool immutable = rest.rfind("const", 0) == 0 || rest.rfind("constexpr", 0) == 0 ||
                                   rest.rfind("inline constexpr", 0) == 0;
            const bool function = text.substr(pos, 200).find('(') < text.substr(pos, 200).find(';');
            CAPTURE(file, text.substr(pos, 60));
            CHECK((immutable || function));
            pos += 7;
        }
    }
}
