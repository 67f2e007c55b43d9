// A real consentd for tests: a fresh temporary directory holding a real SQLite
// file and real Ed25519 keys, the HTTP API on an ephemeral port of 127.0.0.1,
// two sites ("bike-shop" and "other-site") with the shop notice and an API key each.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "crypto/key_ring.hpp"
#include "http/http_server.hpp"
#include "service/consent_service.hpp"
#include "storage/sqlite_store.hpp"

namespace consent::test {

// A fresh directory, removed with everything in it.
class TempDir {
public:
    TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

struct ServerOptions {
    std::uint32_t rate_per_minute = 100000;
    std::uint32_t rate_burst = 100000;
    std::size_t max_body_bytes = 16 * 1024;
    int heartbeat_seconds = 1;  // a long one makes an idle event stream go silent
};

class RunningServer {
public:
    explicit RunningServer(ServerOptions options = {});
    ~RunningServer();

    httplib::Client client() const;
    int port() const { return port_; }
    const std::string& shop_key() const { return shop_key_; }
    const std::string& other_key() const { return other_key_; }
    const std::string& notice_hash() const { return notice_hash_; }
    server::SqliteStore& store() { return *store_; }
    server::HttpServer& http() { return *http_; }
    server::ConsentService& service() { return *service_; }
    const server::KeyRing& keys() const { return *keys_; }
    const std::filesystem::path& dir() const { return dir_.path(); }
    // The clock of the store and the service (receipts' server time, "now"):
    // the wall clock until a test sets a time, then that time until set again.
    void set_time(std::int64_t unix_seconds) { fixed_time_ = unix_seconds; }
    std::int64_t now() const;

    // Registers a public key (base64url) of the site's backend for subject tokens.
    void register_subject_key(const std::string& site_id, const std::string& public_key);

    // A valid decision request body for the shop notice.
    nlohmann::json decision(const std::string& decision_id, const std::string& subject_id,
                            const std::string& method) const;

private:
    TempDir dir_;
    std::atomic<std::int64_t> fixed_time_{-1};  // -1: the wall clock; outlives the store's writer
    std::unique_ptr<server::KeyRing> keys_;
    std::unique_ptr<server::SqliteStore> store_;
    std::unique_ptr<server::SiteSecrets> secrets_;
    std::unique_ptr<server::ConsentService> service_;
    std::unique_ptr<server::HttpServer> http_;
    std::thread serving_;
    int port_ = -1;
    std::string shop_key_;
    std::string other_key_;
    std::string notice_hash_;
};

// A site's backend: an Ed25519 key pair whose public half a test registers on
// the site; it signs subject tokens for the visitors it knows.
class SiteBackend {
public:
    SiteBackend();
    std::string public_key() const;
    std::string token(const nlohmann::json& claims) const;

private:
    std::array<std::uint8_t, 32> pk_{};
    std::array<std::uint8_t, 64> sk_{};
};

inline constexpr const char* kShopOrigin = "https://velo.example";
// A browser-made subject id (b_ + 22 base64url characters).
inline constexpr const char* kBrowserSubject = "b_Q2xhcmEtYnJvd3Nlci0wMQ";

}  // namespace consent::test
