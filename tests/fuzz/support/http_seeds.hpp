// What the HTTP fuzz target's consentd is set up with, and the seed requests
// (one per route, valid ones included) that tests/fuzz/corpus/http holds.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace consent::fuzz {

// A backend API key of bike-shop, fixed so that the corpus can carry it.
inline constexpr const char* kApiKeyId = "fuzzkey00001";
inline constexpr const char* kApiKeySecret = "fuzz-api-secret-not-for-production";
inline constexpr const char* kShopOrigin = "https://velo.example";

std::string api_key_header();  // "Bearer ck_<id>.<secret>"

// (file name, raw HTTP/1.1 request)
std::vector<std::pair<std::string, std::string>> http_seed_requests();

}  // namespace consent::fuzz
