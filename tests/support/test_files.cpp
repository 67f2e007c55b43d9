#include "test_files.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace consent::test {

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read test file: " + path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::vector<std::string> list_files(const std::string& dir, const std::string& extension) {
    namespace fs = std::filesystem;
    std::vector<std::string> found;
    if (!fs::is_directory(dir)) throw std::runtime_error("missing test directory: " + dir);
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
        const std::string name = entry.path().string();
        if (entry.is_regular_file() && name.size() >= extension.size() &&
            name.compare(name.size() - extension.size(), extension.size(), extension) == 0) {
            found.push_back(name);
        }
    }
    std::sort(found.begin(), found.end());
    return found;
}

std::string vectors_dir() { return CONSENT_VECTORS_DIR; }

std::string data_dir() { return CONSENT_TEST_DATA_DIR; }

}  // namespace consent::test
