#include "storage/pg_listener.hpp"

#include <poll.h>

#include <chrono>
#include <cstdlib>
#include <utility>

#include "storage/pg_connection.hpp"
#include "storage/pg_schema.hpp"

namespace consent::server::pg {
namespace {

// A poll timeout short enough that stopping never waits long.
constexpr int kPollMs = 100;

}  // namespace

Listener::Listener(std::string url, OnReceipt on_receipt, OnReconnect on_reconnect, int retry_ms, OnNotice on_notice)
    : url_(std::move(url)),
      on_receipt_(std::move(on_receipt)),
      on_reconnect_(std::move(on_reconnect)),
      on_notice_(std::move(on_notice)),
      retry_ms_(retry_ms),
      thread_([this] { run(); }) {}

Listener::~Listener() {
    stopping_ = true;
    thread_.join();
}

void Listener::run() {
    while (!stopping_) {
        if (listen_once()) continue;
        for (int waited = 0; waited < retry_ms_ && !stopping_; waited += kPollMs)
            std::this_thread::sleep_for(std::chrono::milliseconds(kPollMs));
    }
}

bool Listener::listen_once() {
    auto connection = Connection::open(url_);
    if (!connection) return false;
    Connection& c = *connection.value();
    if (!c.exec_script(std::string("LISTEN ") + kReceiptChannel + "; LISTEN " + kNoticeChannel)) return false;
    if (sessions_.fetch_add(1) > 0 && on_reconnect_) on_reconnect_();
    while (!stopping_) {
        pollfd fd{c.socket(), POLLIN, 0};
        if (::poll(&fd, 1, kPollMs) < 0) continue;  // EINTR: look again
        auto received = c.take_notifications();
        if (!received) return true;  // the session broke: open another
        for (const auto& n : *received) {
            if (n.channel == kNoticeChannel) {
                if (on_notice_) on_notice_(n.payload);
                continue;
            }
            // "<log index> <site id>": site ids hold no space (the core's id rule).
            const auto space = n.payload.find(' ');
            if (n.channel != kReceiptChannel || space == std::string::npos) continue;
            on_receipt_(n.payload.substr(space + 1), std::strtoll(n.payload.c_str(), nullptr, 10));
        }
        if (c.broken()) return true;
    }
    return true;
}

}  // namespace consent::server::pg
