// Proof bundle verification (consentctl verify, server/cli/verify_command.cpp)
// on untrusted bundles. The original is the bundle of a log signed with the
// fixed fuzz key (three receipts of one subject among five, a checkpoint, the
// inclusion proofs, the notice text). Property: a bundle that verifies proves
// nothing the original does not: its receipts are, byte for byte, the
// original's first receipts (the verifier accepts a prefix by design: only a
// later receipt or the log shows that the newest were left out), for the same
// site and subject, under the same checkpoint body. Formatting, member order
// and members the verifier does not read may change freely.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/verify_command.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/checkpoint.hpp"
#include "fuzz_fixtures.hpp"

using namespace consent;
using nlohmann::json;

namespace {

// run_verify reads a file: each input is written to this one, removed after each run.
const std::string& bundle_path() {
    static const std::string path = [] {
        const std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                                                              : std::filesystem::temp_directory_path();
        return (dir / ("consent-fuzz-bundle-" + std::to_string(::getpid()) + ".json")).string();
    }();
    return path;
}

void remove_bundle_file() { std::remove(bundle_path().c_str()); }

std::string body_of(const std::string& note) {
    auto parsed = checkpoint::parse(note);
    return parsed ? parsed->signed_text : std::string();
}

void check_proves_no_more(const std::string& text) {
    const json bundle = parse_json_strict(text).value();  // it verified, so it parsed
    const auto& original = fuzz::signed_log();
    const json& receipts = bundle.at("receipts");
    fuzz::check(receipts.size() <= original.subject_jws.size(), "no receipt is added", text);
    for (std::size_t i = 0; i < receipts.size(); ++i)
        fuzz::check(receipts[i].at("jws") == original.subject_jws[i], "the receipts are a prefix of the original's",
                    text);
    if (receipts.empty()) return;
    fuzz::check(bundle.at("site") == fuzz::kSite && bundle.at("subject") == fuzz::kBundleSubject,
                "the site and subject are the original's", text);
    fuzz::check(body_of(bundle.at("log").at("checkpoint").get<std::string>()) == body_of(original.checkpoint),
                "the checkpoint body is the original's", text);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    std::atexit(remove_bundle_file);
    std::ofstream(bundle_path(), std::ios::binary) << fuzz::signed_log().bundle_text;
    const auto outcome = cli::run_verify(bundle_path(), "", "");
    remove_bundle_file();
    fuzz::check(outcome.exit_code == 0, "the original bundle verifies", outcome.err);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(fuzz::as_text(data, size));
    {
        std::ofstream out(bundle_path(), std::ios::binary | std::ios::trunc);
        out << text;
    }
    const auto outcome = cli::run_verify(bundle_path(), "", "");
    remove_bundle_file();  // libFuzzer may end with _Exit, skipping atexit
    fuzz::check(outcome.exit_code == 0 || outcome.exit_code == 65, "a bad bundle is exit 65 (data error)", outcome.err);
    if (outcome.exit_code == 0) check_proves_no_more(text);
    return 0;
}
