// A database of its own for each PostgreSQL test, on the throwaway cluster
// that the ctest fixture started (pg_cluster.sh writes its URL to the file
// CONSENT_PG_URL_FILE names); dropped when the test ends.
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>

#include "storage/pg_connection.hpp"

namespace consent::test {

inline std::string cluster_url() {
    const char* file = std::getenv("CONSENT_PG_URL_FILE");
    if (file == nullptr) FAIL("CONSENT_PG_URL_FILE is not set (run the tests through ctest)");
    std::ifstream in(file);
    std::string url;
    std::getline(in, url);
    if (url.empty()) FAIL("no cluster URL in " << file);
    return url;
}

// A new database on the cluster, dropped at the end of the test.
class TestDatabase {
public:
    TestDatabase() : admin_url_(cluster_url()) {
        static std::atomic<int> counter{0};
        name_ = "consent_t" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
        auto admin = consent::server::pg::Connection::open(admin_url_);
        REQUIRE(admin.ok());
        // One statement each: CREATE DATABASE cannot run inside a multi-statement string's transaction.
        REQUIRE(admin.value()->exec_script("DROP DATABASE IF EXISTS " + name_).ok());
        REQUIRE(admin.value()->exec_script("CREATE DATABASE " + name_).ok());
        url_ = admin_url_.substr(0, admin_url_.rfind('/') + 1) + name_;
    }
    ~TestDatabase() {
        auto admin = consent::server::pg::Connection::open(admin_url_);
        if (admin) (void)admin.value()->exec_script("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    }
    const std::string& url() const { return url_; }
    std::unique_ptr<consent::server::pg::Connection> connect() const {
        auto c = consent::server::pg::Connection::open(url_);
        if (!c) FAIL(c.error().code << ": " << c.error().message);
        return std::move(c.value());
    }

private:
    std::string admin_url_, name_, url_;
};

}  // namespace consent::test
