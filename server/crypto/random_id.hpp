// Unguessable identifiers from the operating system's CSPRNG (libsodium's
// randombytes): receipt ids, API key ids and secrets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace consent::server {

// prefix + base64url of `bytes` random bytes, e.g. random_id("rcpt_", 16).
std::string random_id(std::string_view prefix, std::size_t bytes);

// prefix + 16 hex digits that grow with each id this process makes (the
// time in seconds, then a counter) + base64url of `bytes` random bytes. The
// random part keeps it unguessable; the growing part makes a unique index over
// these ids grow at its right edge, as the log does, so storing a batch of
// receipts dirties one index page instead of one per receipt (issue #11).
std::string ordered_random_id(std::string_view prefix, std::int64_t now_seconds, std::size_t bytes);

}  // namespace consent::server
