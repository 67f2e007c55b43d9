// The core is grouped in layers (docs/core.md opens with the picture):
//   api > banner > log > consent > json > crypto > base
// A file may include its own layer and the layers below it, never one above:
// that keeps the lower layers usable (and testable) without the upper ones, and
// the layer of a file is the folder it sits in, so the rule can be read off a path.
// This test reads every #include "..." in core/ and fails on an upward one.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "test_files.hpp"

namespace {

// Bottom first: the index is the rank.
const std::vector<std::string> kLayers = {"base", "crypto", "json", "consent", "log", "banner", "api"};

int rank_of(const std::string& layer) {
    const auto it = std::find(kLayers.begin(), kLayers.end(), layer);
    return it == kLayers.end() ? -1 : static_cast<int>(it - kLayers.begin());
}

// "consent/log/merkle.hpp" -> "log"; a quoted include without a folder is a
// private header beside the includer, in the includer's own layer.
std::string layer_of_include(const std::string& target, const std::string& own_layer) {
    if (target.rfind("consent/", 0) != 0) return own_layer;
    const auto slash = target.find('/', 8);
    return slash == std::string::npos ? std::string() : target.substr(8, slash - 8);
}

std::vector<std::string> quoted_includes(const std::string& text) {
    std::vector<std::string> out;
    const std::string directive = "#include \"";
    std::size_t pos = 0;
    while ((pos = text.find(directive, pos)) != std::string::npos) {
        const auto start = pos + directive.size();
        const auto end = text.find('"', start);
        if (end == std::string::npos) break;
        out.push_back(text.substr(start, end - start));
        pos = end;
    }
    return out;
}

// Every include of text that breaks the rule, for a file in own_layer.
std::vector<std::string> layer_violations(const std::string& own_layer, const std::string& text) {
    std::vector<std::string> bad;
    for (const auto& target : quoted_includes(text)) {
        const int target_rank = rank_of(layer_of_include(target, own_layer));
        if (target_rank < 0 || target_rank > rank_of(own_layer)) bad.push_back(target);
    }
    return bad;
}

// core/src/<layer>/x.cpp or core/include/consent/<layer>/x.hpp -> <layer>.
std::string layer_of_file(const std::string& path, const std::string& base) {
    const auto rest = path.substr(base.size() + 1);
    const auto slash = rest.find('/');
    return slash == std::string::npos ? std::string() : rest.substr(0, slash);
}

struct CoreFile {
    std::string path;
    std::string layer;
};

std::vector<CoreFile> core_files() {
    const std::string root = std::string(CONSENT_SOURCE_DIR) + "/core";
    std::vector<CoreFile> out;
    for (const auto& base : {root + "/src", root + "/include/consent"})
        for (const auto& ext : {".cpp", ".hpp"})
            for (const auto& path : consent::test::list_files(base, ext))
                out.push_back({path, layer_of_file(path, base)});
    return out;
}

}  // namespace

TEST_CASE("every core file sits in one of the layers", "[core][layers]") {
    const auto files = core_files();
    REQUIRE(files.size() > 20);
    for (const auto& f : files) {
        CAPTURE(f.path, f.layer);
        CHECK(rank_of(f.layer) >= 0);
    }
}

TEST_CASE("core files include only their own layer and the layers below", "[core][layers]") {
    for (const auto& f : core_files()) {
        const auto bad = layer_violations(f.layer, consent::test::read_file(f.path));
        CAPTURE(f.path, f.layer, bad);
        CHECK(bad.empty());
    }
}

TEST_CASE("the layer check catches an upward include, an unknown layer and a flat one", "[core][layers]") {
    const std::string text =
        "#include \"consent/base/result.hpp\"\n"
        "#include \"consent/log/merkle.hpp\"\n"
        "#include \"ed25519_point.hpp\"\n"
        "#include \"consent/banner/labels.hpp\"\n"
        "#include \"consent/server/store.hpp\"\n"
        "#include \"consent/policy.hpp\"\n";
    CHECK(layer_violations("log", text) ==
          std::vector<std::string>{"consent/banner/labels.hpp", "consent/server/store.hpp", "consent/policy.hpp"});
    CHECK(layer_violations("api", "#include \"consent/banner/labels.hpp\"\n").empty());
    CHECK(layer_violations("crypto", "#include \"consent/json/canonical_json.hpp\"\n") ==
          std::vector<std::string>{"consent/json/canonical_json.hpp"});
}
