// The replay driver of the native build: runs a fuzz target's
// LLVMFuzzerTestOneInput on every file of the directories (or files) given, as
// libFuzzer would run one input, so the committed seeds and crashers are
// regression tests under g++ with ASan and UBSan. A failed property aborts.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) __attribute__((weak));

namespace {

std::vector<std::filesystem::path> inputs_of(const std::filesystem::path& where) {
    std::vector<std::filesystem::path> out;
    if (std::filesystem::is_regular_file(where)) out.push_back(where);
    if (std::filesystem::is_directory(where))
        for (const auto& entry : std::filesystem::recursive_directory_iterator(where))
            if (entry.is_regular_file() && entry.path().filename().string()[0] != '.' &&
                entry.path().filename() != "README.md")
                out.push_back(entry.path());
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace

int main(int argc, char** argv) {
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    std::size_t runs = 0;
    for (int i = 1; i < argc; ++i) {
        for (const auto& path : inputs_of(argv[i])) {
            std::ifstream in(path, std::ios::binary);
            const std::vector<char> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
            std::fprintf(stderr, "replay %s (%zu bytes)\n", path.string().c_str(), bytes.size());
            LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
            ++runs;
        }
    }
    std::printf("replayed %zu inputs\n", runs);
    return runs > 0 ? 0 : 1;  // a target with no seeds is a mistake
}
