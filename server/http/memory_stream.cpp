#include "http/memory_stream.hpp"

#include <algorithm>
#include <cstring>

namespace consent::server {

ssize_t MemoryStream::read(char* ptr, size_t size) {
    const std::size_t n = std::min(size, input_.size());
    std::memcpy(ptr, input_.data(), n);
    input_.remove_prefix(n);
    return static_cast<ssize_t>(n);
}

ssize_t MemoryStream::write(const char* ptr, size_t size) {
    output_.append(ptr, size);
    return static_cast<ssize_t>(size);
}

void MemoryStream::get_remote_ip_and_port(std::string& ip, int& port) const {
    ip = peer_.remote_ip;
    port = peer_.remote_port;
}

void MemoryStream::get_local_ip_and_port(std::string& ip, int& port) const {
    ip = peer_.local_ip;
    port = peer_.local_port;
}

}  // namespace consent::server
