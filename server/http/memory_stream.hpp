// An httplib::Stream over memory: its read side is one framed request (head
// and body, complete), its write side collects the answer. This is how a
// worker runs httplib's parsing and routing without touching a socket, and how
// a fuzz target runs them on raw bytes.
#pragma once

#include <string>
#include <string_view>

#include <httplib.h>

namespace consent::server {

// Who is at each end of the connection the request came on.
struct Peer {
    std::string remote_ip = "127.0.0.1";
    int remote_port = 0;
    std::string local_ip = "127.0.0.1";
    int local_port = 0;
};

class MemoryStream : public httplib::Stream {
public:
    MemoryStream(std::string_view input, Peer peer) : input_(input), peer_(std::move(peer)) {}

    bool is_readable() const override { return !input_.empty(); }
    bool is_writable() const override { return true; }
    ssize_t read(char* ptr, size_t size) override;
    ssize_t write(const char* ptr, size_t size) override;
    void get_remote_ip_and_port(std::string& ip, int& port) const override;
    void get_local_ip_and_port(std::string& ip, int& port) const override;
    // No socket: httplib's FD_SETSIZE check must never see one.
    socket_t socket() const override { return INVALID_SOCKET; }

    std::string& output() { return output_; }

private:
    std::string_view input_;
    Peer peer_;
    std::string output_;
};

}  // namespace consent::server
