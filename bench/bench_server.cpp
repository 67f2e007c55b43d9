#include "bench_server.hpp"

#include <sys/vfs.h>

#include <ctime>
#include <random>
#include <stdexcept>

#include "http/api_keys.hpp"

namespace consent::bench {
namespace {

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

template <class T>
T must(Result<T> r, const char* what) {
    if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().code + " " + r.error().message);
    return std::move(r).value();
}

}  // namespace

ScratchDir::ScratchDir() {
    std::random_device entropy;
    path_ = std::filesystem::temp_directory_path() /
            ("consentd-bench-" + std::to_string(entropy()) + std::to_string(entropy()));
    std::filesystem::create_directories(path_);
}

ScratchDir::~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::string ScratchDir::filesystem_type() const {
    struct statfs info {};
    if (::statfs(path_.c_str(), &info) != 0) return "unknown";
    switch (static_cast<unsigned long>(info.f_type)) {
        case 0xEF53UL: return "ext4";
        case 0x01021994UL: return "tmpfs";
        case 0x58465342UL: return "xfs";
        case 0x9123683EUL: return "btrfs";
        case 0x794C7630UL: return "overlayfs";
        default: return "fs type " + std::to_string(static_cast<unsigned long>(info.f_type));
    }
}

server::ServerConfig bench_server_config() {
    server::ServerConfig c;
    c.host = "127.0.0.1";
    c.port = 0;  // ephemeral: the bench never collides with a running consentd
    // More workers than the most clients a scenario runs (64) plus the event
    // stream: httplib holds one blocking thread per connection in flight, and the
    // pool also bounds how many receipts can share one group commit.
    c.worker_threads = 96;
    c.keep_alive_max_requests = 1000000;  // never recycle a bench connection mid-measurement
    c.keep_alive_seconds = 30;
    c.read_timeout_seconds = 10;
    c.write_timeout_seconds = 10;
    c.listen_backlog = 1024;  // 64 clients connect at once; Debian's httplib alone listens with 5
    // One client address sends everything, so the public per-address limit
    // (120/min by default) would measure the limiter, not the server.
    c.public_rate_per_minute = 1000000000;
    c.public_rate_burst = 1000000000;
    // A batch of 1000 checks is about 55 KB of JSON; the default body limit
    // (16 KiB) is sized for one decision.
    c.max_body_bytes = 256 * 1024;
    c.event_heartbeat_seconds = 1;  // the event reader sees its stop flag within a second
    return c;
}

BenchServer::BenchServer(const std::filesystem::path& dir, const nlohmann::json& notice, server::ServerConfig config)
    : config_(std::move(config)) {
    const std::string key_dir = (dir / "keys").string();
    must(server::KeyRing::create_key(key_dir, unix_now()), "create key");
    keys_ = std::make_unique<server::KeyRing>(must(server::KeyRing::load(key_dir), "load keys"));
    store_ = must(server::SqliteStore::open((dir / "consentd.db").string(), unix_now), "open store");
    service_ = std::make_unique<server::ConsentService>(*store_, *keys_, unix_now);
    secrets_ = std::make_unique<server::SiteSecrets>(key_dir);
    service_->set_site_secrets(*secrets_);
    server::Site site;  // fields by name: the struct grows (subject token keys, …)
    site.site_id = kSite;
    site.allowed_origins = {kOrigin};
    site.created_at = unix_now();
    must(store_->put_site(site), "put site");
    notice_ = must(service_->publish_notice(kSite, notice), "publish notice");
    auto key = server::make_api_key(kSite, unix_now());
    must(store_->put_api_key(key.record), "put api key");
    api_key_ = key.plaintext;
    http_ = std::make_unique<server::HttpServer>(*service_, config_);
    port_ = http_->bind();
    if (port_ <= 0) throw std::runtime_error("cannot bind an ephemeral port on 127.0.0.1");
    serving_ = std::thread([this] { http_->serve(); });
}

BenchServer::~BenchServer() {
    http_->stop();
    serving_.join();
}

}  // namespace consent::bench
