// Writes the seed corpora of tests/fuzz/corpus/ from the project's own data
// (tests/data, tests/vectors) and the fixed fuzz key's signatures, which are
// deterministic: run again, the files come out the same.
//   consent_fuzz_seeds tests/fuzz/corpus
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "consent/consent/decision.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/merkle.hpp"
#include "consent/log/receipt.hpp"
#include "fuzz_fixtures.hpp"
#include "http_seeds.hpp"

namespace fs = std::filesystem;
using namespace consent;
using nlohmann::json;

namespace {

fs::path g_out;

void write(const std::string& target, const std::string& name, const std::string& bytes) {
    const fs::path dir = g_out / target;
    fs::create_directories(dir);
    std::ofstream(dir / name, std::ios::binary) << bytes;
}

std::vector<fs::path> files_below(const fs::path& dir, const std::string& ext) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

std::string read(const fs::path& p) { return fuzz::read_source_file(fs::relative(p, CONSENT_SOURCE_DIR).string()); }

void json_seeds() {
    for (const auto& f : files_below(fs::path(CONSENT_SOURCE_DIR) / "tests/vectors/jcs/input", ".json"))
        write("canonical_json", f.filename().string(), read(f));
    for (const auto& f : files_below(fs::path(CONSENT_SOURCE_DIR) / "tests/vectors/jcs/input", ".json"))
        write("small_json", f.filename().string(), read(f));
    const fs::path notices = fs::path(CONSENT_SOURCE_DIR) / "tests/data/notices";
    for (const auto& f : files_below(notices, ".json")) write("small_json", "notice-" + f.filename().string(), read(f));
    for (const auto& f : files_below(notices, ".json"))
        write("notice",
              fs::relative(f, notices).string() == "shop.json" ? "shop.json" : "invalid-" + f.filename().string(),
              read(f));
}

void substitute(json& value) {
    const std::string text = value.is_string() ? value.get<std::string>() : std::string();
    if (text == "@notice:shop") value = notice_to_json(fuzz::shop_notice());
    else if (text == "@hash:shop") value = fuzz::shop_notice_hash();
    else if (value.is_structured())
        for (auto& child : value) substitute(child);
}

// One case of each operation of tests/data/differential/cases.json, and the decision requests.
void api_seeds() {
    std::set<std::string> seen;
    int requests = 0;
    const json cases = parse_json_strict(fuzz::read_source_file("tests/data/differential/cases.json")).value();
    for (json c : cases) {
        const std::string op = c["operation"];
        substitute(c["input"]);
        if (op == "decision.make")
            write("decision", "request-" + std::to_string(++requests) + ".json", c["input"]["request"].dump());
        if (!seen.insert(op).second) continue;
        write("json_api", op, op + "\n" + c["input"].dump());
    }
    const auto& log = fuzz::signed_log();
    const json bundle = parse_json_strict(log.bundle_text).value();
    const json payload = parse_compact_jws(bundle["receipts"][1]["jws"].get<std::string>()).value().payload;
    write("decision", "stored.json", payload.dump());
    write("json_api", "merkle.verify_inclusion",
          "merkle.verify_inclusion\n" + json{{"leaf_index", 2},
                                             {"tree_size", 5},
                                             {"leaf_hash", base64_encode(merkle::leaf_hash(log.leaves[2]))},
                                             {"root", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
                                             {"proof", bundle["receipts"][1]["inclusion_proof"]}}
                                            .dump());
    write("json_api", "merkle.verify_consistency",
          "merkle.verify_consistency\n" + json{{"size1", 3},
                                               {"size2", 5},
                                               {"root1", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
                                               {"root2", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
                                               {"proof", json::array({"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="})}}
                                              .dump());
}

void signed_seeds() {
    const auto& log = fuzz::signed_log();
    const auto& served = fuzz::served_receipt();
    write("receipt", "served.jws", served.jws);
    for (std::size_t i = 0; i < log.leaves.size(); ++i)
        write("receipt", "fuzz-" + std::to_string(i) + ".jws", log.leaves[i]);
    write("checkpoint", "served.note", served.checkpoint);
    write("checkpoint", "fuzz.note", log.checkpoint);
    write("bundle", "fuzz-bundle.json", log.bundle_text);
    write("subject_token", "token.jws", fuzz::subject_token());
    write("subject_token", "claims.json",
          json{{"site", fuzz::kSite}, {"sub", fuzz::kTokenSubject}, {"iat", fuzz::kNow}, {"exp", fuzz::kNow + 600}}
              .dump());
}

// Merkle inputs: mode byte (even inclusion, odd consistency), then the choices.
void merkle_seeds() {
    write("merkle", "inclusion-5-of-13", std::string("\x00\x00\x0c\x00\x05", 5));
    write("merkle", "inclusion-edit-index", std::string("\x00\x00\x3f\x00\x20\x00\x00\x04\x00\x21", 10));
    write("merkle", "consistency-7-of-64", std::string("\x01\x00\x3f\x00\x06", 5));
    write("merkle", "consistency-edit-proof", std::string("\x01\x00\x20\x00\x0f\x00\x00\x00\x00\x00\x07", 11));
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: consent_fuzz_seeds CORPUS_DIR\n");
        return 64;
    }
    g_out = argv[1];
    json_seeds();
    api_seeds();
    signed_seeds();
    merkle_seeds();
    for (const auto& [name, request] : fuzz::http_seed_requests()) write("http", name, request);
    std::printf("seeds written to %s\n", argv[1]);
    return 0;
}
