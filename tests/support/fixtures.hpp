// Shared test inputs built from the project's own data files.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "consent/consent/decision.hpp"
#include "consent/consent/notice.hpp"
#include "consent/log/merkle.hpp"

namespace consent::test {

// tests/data/notices/shop.json: three purposes (necessary, analytics,
// marketing as sale/sharing), languages en, de, ar, version 3, material.
nlohmann::json shop_notice_json();
Notice shop_notice();

// A decision by one test visitor on notice, made by the core (make_decision);
// throws with the error code if the core refuses it.
Decision test_decision(const Notice& notice, Method method, std::map<std::string, bool> choices = {},
                       std::vector<std::string> withdraw = {});

// Leaf hashes of "leaf 0", "leaf 1", ...: the Merkle tests' trees.
std::vector<merkle::Hash> numbered_leaf_hashes(std::size_t count);

// Days to seconds, for readable policy tests.
constexpr std::int64_t days(std::int64_t n) { return n * 86400; }

// A fixed "now" (2026-01-01T00:00:00Z): tests never read the clock.
constexpr std::int64_t kNow = 1767225600;

}  // namespace consent::test
