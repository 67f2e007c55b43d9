#include "server_fixture.hpp"

#include <ctime>
#include <random>
#include <stdexcept>

#include <sodium.h>

#include "consent/crypto/encoding.hpp"
#include "fixtures.hpp"
#include "http/api_keys.hpp"

namespace consent::test {
namespace {

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

template <class T>
T must(Result<T> r, const char* what) {
    if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().code + " " + r.error().message);
    return std::move(r).value();
}

}  // namespace

TempDir::TempDir() {
    std::random_device entropy;
    path_ = std::filesystem::temp_directory_path() /
            ("consent-test-" + std::to_string(entropy()) + std::to_string(entropy()));
    std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

RunningServer::RunningServer(ServerOptions options) {
    const std::string key_dir = (dir_.path() / "keys").string();
    must(server::KeyRing::create_key(key_dir, unix_now()), "create key");
    keys_ = std::make_unique<server::KeyRing>(must(server::KeyRing::load(key_dir), "load keys"));
    const auto clock = [this] { return now(); };
    store_ = must(server::SqliteStore::open((dir_.path() / "consentd.db").string(), clock), "open store");
    service_ = std::make_unique<server::ConsentService>(*store_, *keys_, clock);
    secrets_ = std::make_unique<server::SiteSecrets>(key_dir);
    service_->set_site_secrets(*secrets_);
    for (const char* site : {"bike-shop", "other-site"}) {
        must(store_->put_site(server::Site{site, {kShopOrigin}, unix_now(), {}}), "site");
        auto published = must(service_->publish_notice(site, shop_notice_json()), "publish");
        notice_hash_ = published.content_hash;
        auto key = server::make_api_key(site, unix_now());
        must(store_->put_api_key(key.record), "api key");
        (std::string(site) == "bike-shop" ? shop_key_ : other_key_) = key.plaintext;
    }
    server::ServerConfig config;
    config.port = 0;
    config.public_rate_per_minute = options.rate_per_minute;
    config.public_rate_burst = options.rate_burst;
    config.open_rate_per_minute = options.rate_per_minute;  // tests read many proofs from one address
    config.open_rate_burst = options.rate_burst;
    config.max_body_bytes = options.max_body_bytes;
    config.event_heartbeat_seconds = options.heartbeat_seconds;
    config.worker_threads = 16;
    http_ = std::make_unique<server::HttpServer>(*service_, config);
    port_ = http_->bind();
    if (port_ <= 0) throw std::runtime_error("cannot bind a test port");
    serving_ = std::thread([this] { http_->serve(); });
}

RunningServer::~RunningServer() {
    http_->stop();
    serving_.join();
}

std::int64_t RunningServer::now() const {
    const std::int64_t fixed = fixed_time_;
    return fixed >= 0 ? fixed : unix_now();
}

httplib::Client RunningServer::client() const {
    httplib::Client c("127.0.0.1", port_);
    c.set_connection_timeout(5, 0);
    c.set_read_timeout(10, 0);
    return c;
}

void RunningServer::register_subject_key(const std::string& site_id, const std::string& public_key) {
    auto found = store_->site(site_id);
    if (!found) throw std::runtime_error("no site " + site_id + ": " + found.error().code);
    consent::server::Site site = std::move(found).value();
    site.subject_token_keys.push_back(public_key);
    must(store_->put_site(site), "register subject key");
}

SiteBackend::SiteBackend() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium cannot start");
    static_assert(sizeof(pk_) == crypto_sign_PUBLICKEYBYTES && sizeof(sk_) == crypto_sign_SECRETKEYBYTES);
    crypto_sign_keypair(pk_.data(), sk_.data());
}

std::string SiteBackend::public_key() const { return base64url_encode(pk_); }

std::string SiteBackend::token(const nlohmann::json& claims) const {
    const nlohmann::json header = {
        {"alg", "EdDSA"}, {"typ", "consent-subject+jwt"}, {"kid", server::ed25519_jwk_thumbprint(pk_)}};
    const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
    std::array<std::uint8_t, crypto_sign_BYTES> sig{};
    crypto_sign_detached(sig.data(), nullptr, reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                         sk_.data());
    return input + "." + base64url_encode(sig);
}

nlohmann::json RunningServer::decision(const std::string& decision_id, const std::string& subject_id,
                                       const std::string& method) const {
    return {
        {"decision_id", decision_id},  {"subject_id", subject_id}, {"notice_id", "bike-shop"}, {"notice_version", 3},
        {"notice_hash", notice_hash_}, {"language", "en"},         {"method", method}};
}

}  // namespace consent::test
