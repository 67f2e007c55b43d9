// consentd on PostgreSQL (issue #12 item 6), beside SQLite in the same run:
// receipts/s and check latency with one and two replicas on one database,
// PostgreSQL's own insert ceiling (rows/s at 100 rows per transaction, one
// connection: what one writer could do at most), and the fan-out between
// replicas: a withdrawal posted at A until the event reaches B's stream.
// Replicas run in this process, each assembled as consentd_main.cpp does it
// (its own PgStore, service, ReplicaFanout and HTTP server), on the cluster
// bench/run.sh --only=pg starts (--url). Medians of --reps repetitions of
// --seconds each; nothing asserts speed.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_format.hpp"
#include "bench_load.hpp"
#include "bench_requests.hpp"
#include "bench_server.hpp"
#include "bench_stats.hpp"
#include "crypto/key_ring.hpp"
#include "http/api_keys.hpp"
#include "http/http_server.hpp"
#include "service/consent_service.hpp"
#include "service/replica_fanout.hpp"
#include "storage/pg_connection.hpp"
#include "storage/pg_store.hpp"

namespace {

using namespace consent;
using namespace consent::bench;
using nlohmann::json;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

template <class T>
T must(Result<T> r, const char* what) {
    if (!r) throw std::runtime_error(std::string(what) + ": " + r.error().code + " " + r.error().message);
    return std::move(r).value();
}

json read_notice() {
    std::ifstream in(CONSENT_BENCH_NOTICE);
    return json::parse(in);
}

// One consentd replica on the database: what consentd_main.cpp assembles.
class Replica {
public:
    Replica(const std::string& url, const server::KeyRing& keys)
        : store_(must(server::PgStore::open(url, unix_now), "open PostgreSQL store")),
          service_(std::make_unique<server::ConsentService>(*store_, keys, unix_now)),
          fanout_(std::make_unique<server::ReplicaFanout>(url, *service_, *store_)),
          http_(std::make_unique<server::HttpServer>(*service_, bench_server_config())) {
        port_ = http_->bind();
        if (port_ <= 0) throw std::runtime_error("cannot bind an ephemeral port on 127.0.0.1");
        serving_ = std::thread([this] { http_->serve(); });
    }
    ~Replica() {
        http_->stop();
        serving_.join();
    }
    int port() const { return port_; }
    server::ConsentService& service() { return *service_; }
    server::PgStore& store() { return *store_; }

private:
    std::unique_ptr<server::PgStore> store_;
    std::unique_ptr<server::ConsentService> service_;
    std::unique_ptr<server::ReplicaFanout> fanout_;
    std::unique_ptr<server::HttpServer> http_;
    std::thread serving_;
    int port_ = -1;
};

// A fresh database on the cluster for each configuration, dropped afterwards.
class Database {
public:
    Database(const std::string& cluster_url, const std::string& name) : admin_(cluster_url), name_(name) {
        auto c = must(server::pg::Connection::open(admin_), "connect to the cluster");
        (void)c->exec_script("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
        must(c->exec_script("CREATE DATABASE " + name_), "create database");
        url_ = admin_.substr(0, admin_.rfind('/') + 1) + name_;
    }
    ~Database() {
        auto c = server::pg::Connection::open(admin_);
        if (c) (void)c.value()->exec_script("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    }
    const std::string& url() const { return url_; }

private:
    std::string admin_, name_, url_;
};

struct Options {
    std::string url;
    std::string out = "build/bench/pg-results-latest.txt";
    std::string label;
    int reps = 3;
    int seconds = 2;
    std::size_t clients = 64;
};

// Posts fresh decisions from `clients` clients spread over the ports; receipts/s over all.
double receipts_per_second(const std::vector<int>& ports, const server::StoredNotice& notice, const Options& o) {
    std::vector<std::thread> runs;
    std::vector<LoadResult> results(ports.size());
    for (std::size_t p = 0; p < ports.size(); ++p)
        runs.emplace_back([&, p] {
            std::vector<std::mt19937_64> rngs;
            for (std::size_t c = 0; c < o.clients / ports.size(); ++c) rngs.emplace_back(p * 1000 + c + 1);
            LoadPlan plan{o.clients / ports.size(), std::chrono::milliseconds(o.seconds * 1000), 200000};
            results[p] = run_load(ports[p], plan, [&](httplib::Client& client, std::size_t c, std::size_t) {
                auto& rng = rngs[c];
                const auto r = client.Post(std::string("/v1/sites/") + kSite + "/decisions", {{"Origin", kOrigin}},
                                           decision_body(notice, "b_" + random_token(rng), "dec_" + random_token(rng)),
                                           "application/json");
                return r && r->status == 201 ? std::size_t{1} : std::size_t{0};
            });
        });
    for (auto& r : runs) r.join();
    double total = 0;
    for (const auto& r : results) total += r.items_per_second();
    return total;
}

// Checks of subjects that have a receipt: {p50, p99} in ms, from 16 clients.
std::pair<double, double> check_latency(int port, const std::string& api_key, const server::StoredNotice& notice,
                                        const Options& o) {
    std::mt19937_64 rng(7);
    std::vector<std::string> subjects;
    httplib::Client setup = make_client(port);
    for (int i = 0; i < 200; ++i) {
        subjects.push_back("b_" + random_token(rng));
        setup.Post(std::string("/v1/sites/") + kSite + "/decisions", {{"Origin", kOrigin}},
                   decision_body(notice, subjects.back(), "dec_" + random_token(rng)), "application/json");
    }
    const httplib::Headers auth{{"Authorization", "Bearer " + api_key}};
    LoadPlan plan{16, std::chrono::milliseconds(o.seconds * 1000), 200000};
    const auto result = run_load(port, plan, [&](httplib::Client& client, std::size_t c, std::size_t n) {
        const auto& subject = subjects[(c * 31 + n) % subjects.size()];
        const auto r =
            client.Get(std::string("/v1/sites/") + kSite + "/subjects/" + subject + "/purposes/analytics", auth);
        return r && r->status == 200 ? std::size_t{1} : std::size_t{0};
    });
    return {percentile(result.latencies_ms, 50), percentile(result.latencies_ms, 99)};
}

// PostgreSQL's own ceiling: rows/s inserting 100 rows of a receipt's size per transaction, one connection.
double insert_ceiling(const std::string& url, const Options& o) {
    auto c = must(server::pg::Connection::open(url), "connect");
    must(c->exec_script("CREATE TABLE IF NOT EXISTS ceiling (id BIGINT PRIMARY KEY, payload TEXT NOT NULL)"),
         "create table");
    const std::string payload(600, 'x');  // about a compact JWS receipt
    std::int64_t next = 0, rows = 0;
    const auto start = Clock::now();
    const auto until = start + std::chrono::seconds(o.seconds);
    while (Clock::now() < until) {
        std::vector<std::int64_t> ids;
        std::vector<std::string> payloads;
        for (int i = 0; i < 100; ++i) {
            ids.push_back(next++);
            payloads.push_back(payload);
        }
        must(c->exec_script("BEGIN"), "begin");
        must(c->run("INSERT INTO ceiling SELECT * FROM unnest($1::bigint[], $2::text[])",
                    {server::pg::int_array(ids), server::pg::text_array(payloads)}),
             "insert");
        must(c->exec_script("COMMIT"), "commit");
        rows += 100;
    }
    return static_cast<double>(rows) / (milliseconds_between(start, Clock::now()) / 1000.0);
}

// A withdrawal posted at A (backend route), timed until B's event stream
// carries its receipt: {p50, p99} in ms over `count` withdrawals, one at a time.
std::pair<double, double> fanout_latency(Replica& a, Replica& b, const std::string& api_key,
                                         const server::StoredNotice& notice, int count) {
    std::mt19937_64 rng(11);
    const std::string subject = "b_" + random_token(rng);
    httplib::Client poster = make_client(a.port());
    poster.Post(std::string("/v1/sites/") + kSite + "/decisions", {{"Origin", kOrigin}},
                decision_body(notice, subject, "dec_" + random_token(rng)), "application/json");
    std::mutex mutex;
    std::condition_variable arrived;
    std::map<std::int64_t, Clock::time_point> seen;
    std::atomic<bool> stop{false};
    std::thread reader([&] {
        httplib::Client client("127.0.0.1", b.port());
        client.set_read_timeout(2, 0);
        std::string buffer;
        client.Get(std::string("/v1/sites/") + kSite + "/events", {{"Authorization", "Bearer " + api_key}},
                   [&](const char* data, std::size_t size) {
                       const auto now = Clock::now();
                       buffer.append(data, size);
                       for (auto at = buffer.find("id: "); at != std::string::npos; at = buffer.find("id: ")) {
                           const auto end = buffer.find('\n', at);
                           if (end == std::string::npos) break;
                           const std::int64_t id = std::stoll(buffer.substr(at + 4, end - at - 4));
                           buffer.erase(0, end);
                           std::lock_guard<std::mutex> lock(mutex);
                           seen[id] = now;
                           arrived.notify_all();
                       }
                       return !stop.load();
                   });
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the stream is open
    std::vector<double> latencies;
    const httplib::Headers auth{{"Authorization", "Bearer " + api_key}};
    for (int i = 0; i < count; ++i) {
        const auto sent = Clock::now();
        const auto r = poster.Post(std::string("/v1/sites/") + kSite + "/subjects/" + subject + "/withdrawals", auth,
                                   R"({"purposes":["marketing"]})", "application/json");
        if (!r || r->status != 201) continue;
        const std::int64_t index = json::parse(r->body).value("log_index", std::int64_t{-1});
        std::unique_lock<std::mutex> lock(mutex);
        if (arrived.wait_for(lock, std::chrono::seconds(2), [&] { return seen.count(index) != 0; }))
            latencies.push_back(milliseconds_between(sent, seen[index]));
    }
    stop = true;
    // One more receipt wakes the reader so that it sees the stop flag.
    poster.Post(std::string("/v1/sites/") + kSite + "/subjects/" + subject + "/withdrawals", auth,
                R"({"purposes":["marketing"]})", "application/json");
    reader.join();
    return {percentile(latencies, 50), percentile(latencies, 99)};
}

// The site, its notice and an API key, through the first replica's store and service.
std::pair<server::StoredNotice, std::string> set_up_site(server::ReceiptStore& store, server::ConsentService& service) {
    server::Site site;
    site.site_id = kSite;
    site.allowed_origins = {kOrigin};
    site.created_at = unix_now();
    must(store.put_site(site), "put site");
    auto notice = must(service.publish_notice(kSite, read_notice()), "publish notice");
    auto key = server::make_api_key(kSite, unix_now());
    must(store.put_api_key(key.record), "put api key");
    return {notice, key.plaintext};
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        const auto eq = arg.find('=');
        const std::string name = arg.substr(0, eq), value = eq == std::string::npos ? "" : arg.substr(eq + 1);
        if (name == "--url") o.url = value;
        else if (name == "--out") o.out = value;
        else if (name == "--label") o.label = value;
        else if (name == "--reps") o.reps = std::stoi(value);
        else if (name == "--seconds") o.seconds = std::stoi(value);
        else if (name == "--clients") o.clients = static_cast<std::size_t>(std::stoul(value));
        else
            throw std::runtime_error("unknown option " + arg +
                                     " (--url, --reps, --seconds, --clients, --out, --label)");
    }
    if (o.url.empty())
        throw std::runtime_error("--url=postgresql://… names the cluster (bench/run.sh --only=pg starts one)");
    return o;
}

struct Figures {
    std::vector<double> pg1_per_commit, pg2_per_commit;
    std::vector<double> sqlite_rps, pg1_rps, pg2_rps, ceiling, sqlite_p50, sqlite_p99, pg_p50, pg_p99, fan_p50, fan_p99;
    std::vector<double> pg2_p50, pg2_p99;  // checks at B while A also serves
};

void one_round(const Options& o, int rep, Figures& f) {
    {
        ScratchDir dir;
        BenchServer sqlite(dir.path(), read_notice(), bench_server_config());
        f.sqlite_rps.push_back(receipts_per_second({sqlite.port()}, sqlite.notice(), o));
        const auto [p50, p99] = check_latency(sqlite.port(), sqlite.api_key(), sqlite.notice(), o);
        f.sqlite_p50.push_back(p50);
        f.sqlite_p99.push_back(p99);
    }
    ScratchDir dir;
    must(server::KeyRing::create_key((dir.path() / "keys").string(), unix_now()), "create key");
    const auto keys = must(server::KeyRing::load((dir.path() / "keys").string()), "load keys");
    {
        Database db(o.url, "consent_bench_one_" + std::to_string(rep));
        Replica a(db.url(), keys);
        const auto [notice, api_key] = set_up_site(a.store(), a.service());
        const auto commits = a.store().commit_count();
        f.pg1_rps.push_back(receipts_per_second({a.port()}, notice, o));
        const auto receipts = static_cast<double>(must(a.store().receipt_count(), "count"));
        f.pg1_per_commit.push_back(receipts /
                                   static_cast<double>(std::max<std::int64_t>(1, a.store().commit_count() - commits)));
        const auto [p50, p99] = check_latency(a.port(), api_key, notice, o);
        f.pg_p50.push_back(p50);
        f.pg_p99.push_back(p99);
    }
    {
        Database db(o.url, "consent_bench_two_" + std::to_string(rep));
        Replica a(db.url(), keys);
        const auto [notice, api_key] = set_up_site(a.store(), a.service());
        Replica b(db.url(), keys);
        const auto commits = a.store().commit_count() + b.store().commit_count();
        f.pg2_rps.push_back(receipts_per_second({a.port(), b.port()}, notice, o));
        const auto receipts = static_cast<double>(must(a.store().receipt_count(), "count"));
        f.pg2_per_commit.push_back(receipts / static_cast<double>(std::max<std::int64_t>(
                                                  1, a.store().commit_count() + b.store().commit_count() - commits)));
        const auto [p50, p99] = fanout_latency(a, b, api_key, notice, 200);
        f.fan_p50.push_back(p50);
        f.fan_p99.push_back(p99);
        const auto [c50, c99] = check_latency(b.port(), api_key, notice, o);
        f.pg2_p50.push_back(c50);
        f.pg2_p99.push_back(c99);
    }
    Database db(o.url, "consent_bench_ceiling_" + std::to_string(rep));
    f.ceiling.push_back(insert_ceiling(db.url(), o));
}

std::string report(const Options& o, const Figures& f) {
    std::ostringstream out;
    const double ceiling = median(f.ceiling);
    const auto row = [&](const std::string& what, const std::vector<double>& v, const std::string& unit, bool ratio) {
        out << "  " << what << std::string(what.size() < 52 ? 52 - what.size() : 1, ' ') << with_thousands(median(v))
            << " " << unit << "  (spread " << fixed(spread(v) * 100, 0) << "%)";
        if (ratio && ceiling > 0) out << "  " << fixed(median(v) / ceiling * 100, 1) << "% of the insert ceiling";
        out << '\n';
    };
    const auto ms = [&](const std::string& what, const std::vector<double>& p50, const std::vector<double>& p99) {
        out << "  " << what << std::string(what.size() < 52 ? 52 - what.size() : 1, ' ') << "p50 "
            << fixed(median(p50), 2) << " ms, p99 " << fixed(median(p99), 2) << " ms\n";
    };
    out << "consentd on PostgreSQL beside SQLite (bench/pg_bench.cpp), " << o.label << "\n"
        << "medians of " << o.reps << " repetitions of " << o.seconds << " s; " << o.clients
        << " clients posting fresh decisions, 16 checking\n\n";
    row("PostgreSQL insert ceiling (100 rows/transaction)", f.ceiling, "rows/s", false);
    row("receipts/s, SQLite (one consentd)", f.sqlite_rps, "/s", false);
    row("receipts/s, PostgreSQL, one replica", f.pg1_rps, "/s", true);
    row("receipts/s, PostgreSQL, two replicas", f.pg2_rps, "/s", true);
    out << "  receipts per commit, one replica / two replicas       " << fixed(median(f.pg1_per_commit), 1) << " / "
        << fixed(median(f.pg2_per_commit), 1) << '\n';
    ms("check latency, SQLite", f.sqlite_p50, f.sqlite_p99);
    ms("check latency, PostgreSQL, one replica", f.pg_p50, f.pg_p99);
    ms("check latency, PostgreSQL, at one of two replicas", f.pg2_p50, f.pg2_p99);
    ms("withdrawal at A until B's stream has it (200)", f.fan_p50, f.fan_p99);
    return out.str();
}

}  // namespace

int main(int argc, char** argv) try {
    const Options o = parse(argc, argv);
    Figures f;
    for (int rep = 0; rep < o.reps; ++rep) {
        std::cerr << "pg_bench: repetition " << rep + 1 << " of " << o.reps << "\n";
        one_round(o, rep, f);
    }
    const std::string text = report(o, f);
    std::cout << text;
    std::ofstream(o.out) << text;
    return 0;
} catch (const std::exception& e) {
    std::cerr << "pg_bench: " << e.what() << '\n';
    return 1;
}
