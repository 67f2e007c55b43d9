#include "crypto/random_id.hpp"

#include <cstdlib>
#include <vector>

#include <sodium.h>

#include "consent/crypto/encoding.hpp"

namespace consent::server {

std::string random_id(std::string_view prefix, std::size_t bytes) {
    // sodium_init() is idempotent and thread-safe. It fails only when the OS
    // has no entropy source; handing out guessable ids would be worse than stopping.
    if (sodium_init() < 0) std::abort();
    std::vector<std::uint8_t> buffer(bytes);
    randombytes_buf(buffer.data(), buffer.size());
    return std::string(prefix) + base64url_encode(buffer);
}

}  // namespace consent::server
