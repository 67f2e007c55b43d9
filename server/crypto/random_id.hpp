// Unguessable identifiers from the operating system's CSPRNG (libsodium's
// randombytes): receipt ids, API key ids and secrets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace consent::server {

// prefix + base64url of `bytes` random bytes, e.g. random_id("rcpt_", 16).
std::string random_id(std::string_view prefix, std::size_t bytes);

}  // namespace consent::server
