// What the benchmarks send: subject and decision ids as the banner makes them,
// and the body of an "Accept all" decision on a stored notice.
#pragma once

#include <random>
#include <string>

#include "storage/receipt_store.hpp"

namespace consent::bench {

// 16 random bytes, base64url; the bench needs uniqueness, not secrecy.
std::string random_token(std::mt19937_64& rng);

// POST /decisions body: subject accepts everything on notice, under decision id id.
std::string decision_body(const server::StoredNotice& notice, const std::string& subject, const std::string& id);

}  // namespace consent::bench
