// CTest takes a test's name from Catch2's list and splits it on ';' (a CMake
// list): a test whose name holds one becomes two tests that both "fail"
// without running. Every Catch2 test name in the project must do without.
#include <catch2/catch.hpp>

#include <regex>
#include <string>

#include "test_files.hpp"

TEST_CASE("no Catch2 test name contains a semicolon", "[tests]") {
    const std::string root = CONSENT_SOURCE_DIR;
    const std::regex test_case(R"re(TEST_CASE\(\s*"([^"]*)")re");
    std::size_t names = 0;
    for (const auto& file : consent::test::list_files(root + "/tests", ".cpp")) {
        const std::string text = consent::test::read_file(file);
        for (auto it = std::sregex_iterator(text.begin(), text.end(), test_case); it != std::sregex_iterator(); ++it) {
            ++names;
            CAPTURE(file, (*it)[1].str());
            CHECK((*it)[1].str().find(';') == std::string::npos);
        }
    }
    CHECK(names > 100);
}
