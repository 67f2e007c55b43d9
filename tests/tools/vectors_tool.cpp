// Prints the core's answer for every input the project and the shared vectors
// provide, one "name<TAB>envelope" line each. Built natively and as wasm; the
// differential test requires both outputs to be byte-identical.
//
// usage: consent_vectors_tool CASES.json NOTICES_DIR VECTORS_DIR
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/api/json_api.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::vector<fs::path> files_below(const fs::path& dir, const std::string& ext) {
    std::vector<fs::path> out;
    for (const auto& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ext) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
}

void emit(const std::string& name, const std::string& op, const std::string& input) {
    std::cout << name << '\t' << consent::call_json_api(op, input) << '\n';
}

// "@notice:NAME" anywhere in a case input stands for tests/data/notices/NAME.json,
// "@hash:NAME" for that notice's content hash as the core computes it.
void substitute_notices(json& value, const fs::path& notices) {
    const std::string text = value.is_string() ? value.get<std::string>() : std::string();
    if (text.rfind("@notice:", 0) == 0) {
        value = json::parse(read(notices / (text.substr(8) + ".json")));
    } else if (text.rfind("@hash:", 0) == 0) {
        const json parsed =
            json::parse(consent::call_json_api("notice.parse", read(notices / (text.substr(6) + ".json"))));
        value = parsed["value"]["hash"];
    } else if (value.is_structured()) {
        for (auto& child : value) substitute_notices(child, notices);
    }
}

void run_cases(const fs::path& cases_file, const fs::path& notices) {
    for (auto c : json::parse(read(cases_file))) {
        substitute_notices(c["input"], notices);
        emit("case:" + c["name"].get<std::string>(), c["operation"].get<std::string>(), c["input"].dump());
    }
}

void run_notices(const fs::path& notices) {
    for (const auto& f : files_below(notices, ".json"))
        emit("notice:" + fs::relative(f, notices).string(), "notice.parse", read(f));
}

void run_jcs(const fs::path& vectors) {
    for (const auto& f : files_below(vectors / "jcs" / "input", ".json"))
        emit("jcs:" + f.filename().string(), "jcs.canonicalize", read(f));
}

// The RFC 9162 vectors, renamed to the API's argument names.
void run_merkle(const fs::path& vectors) {
    for (const auto& f : files_below(vectors / "merkle", ".json")) {
        const json v = json::parse(read(f));
        const bool inclusion = v.contains("leafIdx");
        json in = inclusion ? json{{"leaf_index", v["leafIdx"]},
                                   {"tree_size", v["treeSize"]},
                                   {"leaf_hash", v["leafHash"]},
                                   {"root", v["root"]},
                                   {"proof", v["proof"]}}
                            : json{{"size1", v["size1"]},
                                   {"size2", v["size2"]},
                                   {"root1", v["root1"]},
                                   {"root2", v["root2"]},
                                   {"proof", v["proof"]}};
        emit("merkle:" + fs::relative(f, vectors / "merkle").string(),
             inclusion ? "merkle.verify_inclusion" : "merkle.verify_consistency", in.dump());
    }
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: consent_vectors_tool CASES.json NOTICES_DIR VECTORS_DIR\n";
        return 2;
    }
    run_cases(argv[1], argv[2]);
    run_notices(argv[2]);
    run_jcs(argv[3]);
    run_merkle(argv[3]);
    return 0;
}
