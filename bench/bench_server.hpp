// consentd inside the bench process, assembled as consentd_main.cpp does it:
// real Ed25519 keys and a real SQLite file in a scratch directory, the HTTP API
// on an ephemeral port of 127.0.0.1, one site with the shop notice and an API key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "crypto/key_ring.hpp"
#include "http/http_server.hpp"
#include "http/server_config.hpp"
#include "service/consent_service.hpp"
#include "storage/sqlite_store.hpp"

namespace consent::bench {

inline constexpr const char* kSite = "bike-shop";
inline constexpr const char* kOrigin = "https://velo.example";

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class ScratchDir {
public:
    ScratchDir();
    ~ScratchDir();
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    // "ext4", "tmpfs", …: on tmpfs an fsync costs nothing and "durable" means little.
    std::string filesystem_type() const;

private:
    std::filesystem::path path_;
};

// Every setting TOOLCHAIN.md names, chosen explicitly for the bench.
server::ServerConfig bench_server_config();

class BenchServer {
public:
    BenchServer(const std::filesystem::path& dir, const nlohmann::json& notice, server::ServerConfig config);
    ~BenchServer();
    BenchServer(const BenchServer&) = delete;
    BenchServer& operator=(const BenchServer&) = delete;

    int port() const { return port_; }
    const server::ServerConfig& config() const { return config_; }
    const std::string& api_key() const { return api_key_; }
    const server::StoredNotice& notice() const { return notice_; }
    server::SqliteStore& store() { return *store_; }

private:
    server::ServerConfig config_;
    std::unique_ptr<server::KeyRing> keys_;
    std::unique_ptr<server::SiteSecrets> secrets_;  // as consentd: pseudonyms and erasure tags
    std::unique_ptr<server::SqliteStore> store_;
    std::unique_ptr<server::ConsentService> service_;
    std::unique_ptr<server::HttpServer> http_;
    std::thread serving_;
    int port_ = -1;
    std::string api_key_;
    server::StoredNotice notice_;
};

}  // namespace consent::bench
