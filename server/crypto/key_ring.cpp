// Ed25519 key files and the key ring (libsodium). The only file in the project
// that touches secret keys; everything else sees public keys and signatures.
#include "crypto/key_ring.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <tuple>
#include <utility>

#include <sodium.h>

#include "consent/crypto/sha256.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/json/field_reader.hpp"
#include "consent/log/receipt.hpp"

namespace consent::server {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

static_assert(crypto_sign_PUBLICKEYBYTES == kEd25519PublicKeySize);
static_assert(crypto_sign_BYTES == kEd25519SignatureSize);
constexpr std::size_t kSecretKeySize = crypto_sign_SECRETKEYBYTES;  // seed || public key
constexpr std::size_t kSeedSize = crypto_sign_SEEDBYTES;
constexpr std::size_t kMaxKeyFileBytes = 4096;        // a key file is ~200 bytes
constexpr std::int64_t kMaxCreatedAt = 253402300799;  // 9999-12-31T23:59:59Z
constexpr mode_t kGroupOtherBits = 077;
constexpr std::string_view kKeySuffix = ".key";

// sodium_init() is idempotent and thread-safe; it fails only without an
// entropy source, and signing keys made without one would be guessable.
void ensure_sodium() {
    if (sodium_init() < 0) std::abort();
}

// A key as read from its file. The secret half is wiped when it goes away.
struct KeyFile {
    std::string path;
    PublicKey key;
    Bytes secret;

    KeyFile() = default;
    KeyFile(KeyFile&&) noexcept = default;
    KeyFile& operator=(KeyFile&&) noexcept = default;
    ~KeyFile() {
        if (!secret.empty()) sodium_memzero(secret.data(), secret.size());
    }
};

void wipe(std::string& text) { sodium_memzero(text.data(), text.size()); }

// Closes a descriptor on every path out of a function.
struct Fd {
    int fd = -1;
    explicit Fd(int value) : fd(value) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

std::string mode_text(mode_t mode) {
    char buffer[8];
    std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
    return buffer;
}

Error io_error(const std::string& what, int err) {
    return make_error("keys.io_error", what + ": " + std::error_code(err, std::generic_category()).message());
}

Error corrupt(const std::string& path, const std::string& why) {
    return make_error("keys.corrupt", "key file " + path + " " + why);
}

// Like OpenSSH with its private keys: a key that others can read or that
// another user owns is not trusted to be secret, so the server will not use it.
Status check_private(const struct stat& st, const std::string& what, const std::string& path, const char* fix) {
    if (st.st_uid != ::geteuid())
        return make_error("keys.unsafe_permissions",
                          what + " " + path + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user");
    if ((st.st_mode & kGroupOtherBits) != 0)
        return make_error("keys.unsafe_permissions", what + " " + path + " has mode " + mode_text(st.st_mode) +
                                                         "; group and others must have no access (" + fix + ")");
    return Unit{};
}

Status check_dir(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) != 0) {
        if (errno == ENOENT) return make_error("keys.missing_dir", "key directory " + dir + " does not exist");
        return io_error("cannot stat key directory " + dir, errno);
    }
    if (!S_ISDIR(st.st_mode)) return make_error("keys.missing_dir", "key directory " + dir + " is not a directory");
    return check_private(st, "key directory", dir, "chmod 700");
}

// ---------------------------------------------------------------- reading

std::string thumbprint_of(const std::uint8_t* public_key) {
    std::array<std::uint8_t, kEd25519PublicKeySize> bytes{};
    std::copy(public_key, public_key + kEd25519PublicKeySize, bytes.begin());
    return ed25519_jwk_thumbprint(bytes);
}

// O_NOFOLLOW: a symlink could point the server at a file someone else
// controls; O_NONBLOCK: a FIFO planted as "x.key" must not hang start-up.
// Mode and owner are checked on the open descriptor, so they are the file's.
Result<std::string> read_private_file(const std::string& path) {
    Fd file(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
    if (file.fd < 0) {
        if (errno == ELOOP) return corrupt(path, "is a symbolic link");
        return io_error("cannot open key file " + path, errno);
    }
    struct stat st {};
    if (::fstat(file.fd, &st) != 0) return io_error("cannot stat key file " + path, errno);
    if (!S_ISREG(st.st_mode)) return corrupt(path, "is not a regular file");
    if (auto safe = check_private(st, "key file", path, "chmod 600"); !safe) return safe.error();
    if (st.st_size > static_cast<off_t>(kMaxKeyFileBytes)) return corrupt(path, "is too large to be a key file");
    std::string text(static_cast<std::size_t>(st.st_size) + 1, '\0');
    ssize_t got = 0;
    do got = ::read(file.fd, text.data(), text.size());
    while (got < 0 && errno == EINTR);
    if (got < 0) return io_error("cannot read key file " + path, errno);
    text.resize(static_cast<std::size_t>(got));
    return text;
}

// libsodium's secret key is seed || public key. Re-deriving the pair from the
// seed catches a file whose halves were edited apart: signing with such a key
// would publish signatures no listed public key verifies.
Status check_key_pair(const std::string& path, const Bytes& secret) {
    std::array<std::uint8_t, kEd25519PublicKeySize> public_key{};
    std::array<std::uint8_t, kSecretKeySize> derived{};
    crypto_sign_seed_keypair(public_key.data(), derived.data(), secret.data());
    const bool same = sodium_memcmp(derived.data(), secret.data(), kSecretKeySize) == 0;
    sodium_memzero(derived.data(), derived.size());
    if (!same) return corrupt(path, "holds a secret key whose public half does not match its seed");
    return Unit{};
}

struct KeyFileFields {
    std::string kid;
    std::int64_t created_at = 0;
    std::string secret_text;
    bool active = false;
};

Result<KeyFileFields> read_fields(const std::string& path, const std::string& text) {
    auto parsed = parse_json_strict(text);
    if (!parsed) return corrupt(path, "is not JSON: " + parsed.error().message);
    json& object = parsed.value();
    if (!object.is_object()) return corrupt(path, "is not a JSON object");
    FieldReader r(object, "", "keys");
    r.reject_unknown({"kid", "created_at", "secret_key", "active"});
    KeyFileFields fields{r.string("kid", 64), r.integer("created_at", 0, kMaxCreatedAt), r.string("secret_key", 128),
                         r.boolean("active")};
    if (auto secret = object.find("secret_key"); secret != object.end() && secret->is_string())
        wipe(secret->get_ref<std::string&>());
    if (!r.ok()) return corrupt(path, r.error().message + " (at " + r.error().path + ")");
    return fields;
}

Result<KeyFile> parse_key_file(const std::string& path, std::string text) {
    auto fields = read_fields(path, text);
    wipe(text);
    if (!fields) return fields.error();
    KeyFile file;
    file.path = path;
    auto secret = base64url_decode(fields->secret_text);
    wipe(fields.value().secret_text);
    if (!secret || secret->size() != kSecretKeySize)
        return corrupt(path, "has a secret_key that is not 64 bytes of base64url");
    file.secret = std::move(secret).value();
    if (auto pair = check_key_pair(path, file.secret); !pair) return pair.error();
    std::copy(file.secret.begin() + kSeedSize, file.secret.end(), file.key.bytes.begin());
    file.key.kid = fields->kid;
    file.key.active = fields->active;
    file.key.created_at = fields->created_at;
    if (file.key.kid != thumbprint_of(file.key.bytes.data()))
        return corrupt(path, "has a kid that is not its key's RFC 7638 thumbprint");
    if (fs::path(path).filename().string() != file.key.kid + std::string(kKeySuffix))
        return corrupt(path, "is not named after its kid");
    return Result<KeyFile>(std::move(file));
}

bool is_key_file_name(const std::string& name) {
    return name.size() > kKeySuffix.size() && name.front() != '.' &&
           name.compare(name.size() - kKeySuffix.size(), kKeySuffix.size(), kKeySuffix) == 0;
}

Result<std::vector<std::string>> list_key_paths(const std::string& dir) {
    std::vector<std::string> paths;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        if (is_key_file_name(it->path().filename().string())) paths.push_back(it->path().string());
    if (ec) return io_error("cannot list key directory " + dir, ec.value());
    std::sort(paths.begin(), paths.end());
    return paths;
}

Result<std::vector<KeyFile>> read_key_files(const std::string& dir) {
    if (auto safe = check_dir(dir); !safe) return safe.error();
    auto paths = list_key_paths(dir);
    if (!paths) return paths.error();
    std::vector<KeyFile> files;
    for (const std::string& path : *paths) {
        auto text = read_private_file(path);
        if (!text) return text.error();
        auto file = parse_key_file(path, std::move(text).value());
        if (!file) return file.error();
        files.push_back(std::move(file).value());
    }
    return Result<std::vector<KeyFile>>(std::move(files));
}

// ---------------------------------------------------------------- writing

std::string key_file_path(const std::string& dir, const std::string& kid) {
    return (fs::path(dir) / (kid + std::string(kKeySuffix))).string();
}

std::string temp_path_for(const std::string& dir, const std::string& kid) {
    return (fs::path(dir) / ("." + kid + std::string(kKeySuffix) + ".tmp")).string();
}

std::string key_file_text(const PublicKey& key, const Bytes& secret) {
    json file = {{"kid", key.kid},
                 {"created_at", key.created_at},
                 {"secret_key", base64url_encode(secret)},
                 {"active", key.active}};
    std::string text = file.dump(2) + "\n";
    wipe(file["secret_key"].get_ref<std::string&>());
    return text;
}

// A directory entry is durable only once the directory itself is synced
// (fsync(2): "also needs an explicit fsync() on a file descriptor for the directory").
Status sync_dir(const std::string& dir) {
    Fd handle(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (handle.fd < 0) return io_error("cannot open " + dir, errno);
    if (::fsync(handle.fd) != 0) return io_error("cannot sync " + dir, errno);
    return Unit{};
}

Status write_all(int fd, const std::string& text, const std::string& path) {
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return io_error("cannot write " + path, errno);
        done += static_cast<std::size_t>(n);
    }
    return Unit{};
}

// O_EXCL never writes through an existing file or symlink. The umask can only
// narrow the mode given to open(); fchmod makes it exactly 0600.
Status write_new_private_file(const std::string& path, const std::string& text) {
    Fd file(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (file.fd < 0) return io_error("cannot create " + path, errno);
    if (::fchmod(file.fd, 0600) != 0) return io_error("cannot chmod " + path, errno);
    if (auto written = write_all(file.fd, text, path); !written) return written;
    if (::fsync(file.fd) != 0) return io_error("cannot sync " + path, errno);
    const int fd = std::exchange(file.fd, -1);
    if (::close(fd) != 0) return io_error("cannot close " + path, errno);
    return Unit{};
}

// Writes a complete temporary file, then gives it its name in one step: a
// crash leaves either no key file or a whole one, never half a key.
// exclusive: link(2), which like O_EXCL fails if the name exists (a new key);
// otherwise rename(2), which atomically replaces the old file (a flag change).
Status install_key_file(const std::string& dir, const PublicKey& key, const Bytes& secret, bool exclusive) {
    const std::string temp = temp_path_for(dir, key.kid);
    const std::string path = key_file_path(dir, key.kid);
    if (::unlink(temp.c_str()) != 0 && errno != ENOENT) return io_error("cannot remove stale " + temp, errno);
    std::string text = key_file_text(key, secret);
    auto written = write_new_private_file(temp, text);
    wipe(text);
    if (!written) return written;
    if (exclusive) {
        if (::link(temp.c_str(), path.c_str()) != 0) return io_error("cannot create " + path, errno);
        if (::unlink(temp.c_str()) != 0) return io_error("cannot remove " + temp, errno);
    } else if (::rename(temp.c_str(), path.c_str()) != 0) {
        return io_error("cannot replace " + path, errno);
    }
    return sync_dir(dir);
}

// The parents are ordinary directories; only the key directory itself must be
// private. mkdir's mode is narrowed by the umask, so chmod sets it exactly.
Status ensure_key_dir(const std::string& dir) {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) return check_dir(dir);
    if (errno != ENOENT) return io_error("cannot stat key directory " + dir, errno);
    fs::path leaf = fs::path(dir).lexically_normal();
    if (!leaf.has_filename()) leaf = leaf.parent_path();
    const fs::path parent = leaf.has_parent_path() ? leaf.parent_path() : fs::path(".");
    std::error_code ec;
    fs::create_directories(parent, ec);
    if (ec) return io_error("cannot create " + parent.string(), ec.value());
    if (::mkdir(leaf.c_str(), 0700) != 0) return io_error("cannot create key directory " + dir, errno);
    if (::chmod(leaf.c_str(), 0700) != 0) return io_error("cannot chmod key directory " + dir, errno);
    return sync_dir(parent.string());
}

}  // namespace

std::string ed25519_jwk_thumbprint(const std::array<std::uint8_t, kEd25519PublicKeySize>& public_key) {
    // RFC 7638 §3.2: the required members only, sorted, without whitespace,
    // which for these ASCII members is exactly the RFC 8785 form.
    const json jwk = {{"crv", "Ed25519"}, {"kty", "OKP"}, {"x", base64url_encode(public_key)}};
    auto text = canonicalize(jwk);  // ASCII strings only: cannot fail
    return base64url_encode(sha256(text ? *text : std::string()));
}

Result<KeyRing> KeyRing::load(const std::string& dir) {
    ensure_sodium();
    auto files = read_key_files(dir);
    if (!files) return files.error();
    KeyRing ring;
    for (KeyFile& file : files.value()) {
        if (file.key.active) {
            if (!ring.active_kid_.empty())
                return make_error("keys.corrupt", "key directory " + dir + " has more than one active key: " +
                                                      ring.active_kid_ + " and " + file.key.kid);
            ring.active_kid_ = file.key.kid;
            ring.active_secret_ = std::move(file.secret);
        }
        ring.public_keys_.push_back(file.key);
    }
    if (ring.active_kid_.empty())
        return make_error("keys.none_active", "key directory " + dir + " has no active key (consentctl keys rotate)");
    std::sort(ring.public_keys_.begin(), ring.public_keys_.end(), [](const PublicKey& a, const PublicKey& b) {
        return std::tie(a.created_at, a.kid) < std::tie(b.created_at, b.kid);
    });
    return ring;
}

// Order of the steps, so that a crash never leaves two active keys (which no
// rerun could tell apart): 1. the new key is written inactive, 2. every active
// key is retired, 3. the new key is made active. A crash after 1 leaves an
// unused retired key; after 2, no active key (keys.none_active), which the
// next create_key repairs.
Result<std::string> KeyRing::create_key(const std::string& dir, std::int64_t now) {
    ensure_sodium();
    if (now < 0 || now > kMaxCreatedAt)
        return make_error("keys.invalid_time", "a key's creation time is in 1970..9999");
    if (auto made = ensure_key_dir(dir); !made) return made.error();
    auto existing = read_key_files(dir);
    if (!existing) return existing.error();
    PublicKey key;
    Bytes secret(kSecretKeySize);
    crypto_sign_keypair(key.bytes.data(), secret.data());
    key.kid = thumbprint_of(key.bytes.data());
    key.created_at = now;
    KeyFile fresh;
    fresh.key = key;
    fresh.secret = std::move(secret);
    if (auto s = install_key_file(dir, fresh.key, fresh.secret, true); !s) return s.error();
    for (KeyFile& old : existing.value()) {
        if (!old.key.active) continue;
        old.key.active = false;
        if (auto s = install_key_file(dir, old.key, old.secret, false); !s) return s.error();
    }
    fresh.key.active = true;
    if (auto s = install_key_file(dir, fresh.key, fresh.secret, false); !s) return s.error();
    return fresh.key.kid;
}

// RFC 8032 §5.1.6 via libsodium.
Bytes KeyRing::sign(std::string_view message) const {
    if (active_secret_.size() != kSecretKeySize) return {};
    Bytes signature(kEd25519SignatureSize);
    crypto_sign_detached(signature.data(), nullptr, reinterpret_cast<const unsigned char*>(message.data()),
                         message.size(), active_secret_.data());
    return signature;
}

const PublicKey* KeyRing::find(std::string_view kid) const {
    for (const PublicKey& key : public_keys_)
        if (key.kid == kid) return &key;
    return nullptr;
}

// RFC 8037 §2 OKP public keys (never "d"), RFC 7517 §5 set. Retired keys stay
// listed: receipts they signed must keep verifying for as long as they are kept.
json KeyRing::jwks() const {
    json keys = json::array();
    for (const PublicKey& key : public_keys_)
        keys.push_back({{"kty", "OKP"},
                        {"crv", "Ed25519"},
                        {"x", base64url_encode(key.bytes)},
                        {"kid", key.kid},
                        {"alg", std::string(kReceiptJwsAlg)},
                        {"use", "sig"}});
    return {{"keys", keys}};
}

bool ed25519_verify(const std::uint8_t* public_key, std::string_view message, const Bytes& signature) {
    ensure_sodium();
    if (public_key == nullptr || signature.size() != kEd25519SignatureSize) return false;
    return crypto_sign_verify_detached(signature.data(), reinterpret_cast<const unsigned char*>(message.data()),
                                       message.size(), public_key) == 0;
}

// RFC 7515 §5.2: parse strictly, select the key by kid, verify the signature
// over the exact signing input bytes.
Status verify_receipt_jws(const KeyRing& ring, std::string_view compact) {
    auto jws = parse_compact_jws(compact);
    if (!jws) return jws.error();
    const std::string& kid = jws->header.find("kid")->get_ref<const std::string&>();
    const PublicKey* key = ring.find(kid);
    if (key == nullptr) return make_error("jws.unknown_kid", "no key in the ring has the receipt's kid");
    if (!ed25519_verify(key->bytes.data(), jws->signing_input, jws->signature))
        return make_error("receipt.signature_invalid", "the receipt's signature does not verify with key " + kid);
    return Unit{};
}

}  // namespace consent::server
