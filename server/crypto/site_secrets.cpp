#include "crypto/site_secrets.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "consent/crypto/encoding.hpp"
#include "storage/memory_only.hpp"

namespace consent::server {
namespace {

constexpr std::size_t kSecretBytes = 32;

Error io_error(const std::string& what, int err) {
    return make_error("keys.io_error", what + ": " + std::strerror(err));
}

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

Status make_dir(const std::string& dir) {
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return io_error("cannot create " + dir, errno);
    struct stat st {};
    if (::lstat(dir.c_str(), &st) != 0) return io_error("cannot stat " + dir, errno);
    if (!S_ISDIR(st.st_mode) || (st.st_mode & 077) != 0 || st.st_uid != ::geteuid())
        return make_error("keys.unsafe_permissions", dir + " must be a directory of this user with mode 0700");
    return Unit{};
}

// Written whole under a temporary name, then linked to its name: two
// processes creating the secret at once end with one (the second reads it).
Status create_secret(const std::string& path) {
    std::vector<std::uint8_t> bytes(kSecretBytes);
    randombytes_buf(bytes.data(), bytes.size());
    std::string text = base64url_encode(bytes) + "\n";
    sodium_memzero(bytes.data(), bytes.size());
    const std::string temp = path + ".tmp" + std::to_string(::getpid());
    ::unlink(temp.c_str());
    {
        Fd file{::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)};
        if (file.fd < 0) return io_error("cannot create " + temp, errno);
        const bool written = ::fchmod(file.fd, 0600) == 0 &&
                             ::write(file.fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                             ::fsync(file.fd) == 0;
        sodium_memzero(text.data(), text.size());
        if (!written) return io_error("cannot write " + temp, errno);
    }
    const int linked = ::link(temp.c_str(), path.c_str());
    const int err = errno;
    ::unlink(temp.c_str());
    if (linked != 0 && err != EEXIST) return io_error("cannot create " + path, err);
    return Unit{};
}

Result<std::vector<std::uint8_t>> read_secret(const std::string& path) {
    Fd file{::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC)};
    if (file.fd < 0) return io_error("cannot open " + path, errno);
    struct stat st {};
    if (::fstat(file.fd, &st) != 0) return io_error("cannot stat " + path, errno);
    if ((st.st_mode & 077) != 0 || st.st_uid != ::geteuid())
        return make_error("keys.unsafe_permissions", path + " must be this user's with mode 0600");
    char buffer[128] = {};
    const ssize_t got = ::read(file.fd, buffer, sizeof buffer - 1);
    if (got < 0) return io_error("cannot read " + path, errno);
    std::string text(buffer, static_cast<std::size_t>(got));
    sodium_memzero(buffer, sizeof buffer);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    auto bytes = base64url_decode(text);
    sodium_memzero(text.data(), text.size());
    if (!bytes || bytes->size() != kSecretBytes)
        return make_error("keys.corrupt", path + " is not 32 bytes of base64url");
    return std::vector<std::uint8_t>(bytes->begin(), bytes->end());
}

}  // namespace

Result<std::vector<std::uint8_t>> SiteSecrets::secret(const std::string& site_id) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (const auto hit = cache_.find(site_id); hit != cache_.end()) return hit->second;
    if (refuse_storage_io())
        return make_error("storage.unavailable", "the site secret is not read on the connection loop");
    if (auto dir = make_dir(dir_); !dir) return dir.error();
    const std::string path = dir_ + "/" + site_id + ".secret";
    if (::access(path.c_str(), F_OK) != 0)
        if (auto created = create_secret(path); !created) return created.error();
    auto read = read_secret(path);
    if (!read) return read.error();
    cache_.emplace(site_id, *read);
    return read;
}

Result<Mac> SiteSecrets::mac(const std::string& site_id, std::string_view label, std::string_view text) {
    auto found = secret(site_id);
    if (!found) return found.error();
    std::vector<std::uint8_t> key = std::move(found).value();
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key.data(), key.size());
    const unsigned char zero = 0;
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(label.data()), label.size());
    crypto_auth_hmacsha256_update(&state, &zero, 1);
    crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    Mac out{};
    crypto_auth_hmacsha256_final(&state, out.data());
    sodium_memzero(key.data(), key.size());
    return out;
}

}  // namespace consent::server
