// Test-only file access. Tests run natively and as wasm under node (NODERAWFS),
// so plain std::ifstream / std::filesystem reach the same files in both.
#pragma once

#include <string>
#include <vector>

namespace consent::test {

// Whole file as bytes; an unreadable file fails the test with its path.
std::string read_file(const std::string& path);

// Files below dir (recursive) whose names end with extension, sorted so the
// order of GENERATE'd cases is stable across runs and targets.
std::vector<std::string> list_files(const std::string& dir, const std::string& extension);

// tests/vectors in the checkout (RFC 8785, RFC 9162, Wycheproof).
std::string vectors_dir();

// tests/data inside the checkout (the project's own inputs).
std::string data_dir();

}  // namespace consent::test
