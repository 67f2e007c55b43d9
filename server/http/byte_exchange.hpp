// Raw request bytes through the same framer and routes a connection uses, with
// no socket: the entry point for a fuzz target (and for tests of framing).
// The bytes are one connection's input; answers come back in order, as the
// connection would have written them.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "http/memory_stream.hpp"
#include "http/request_framer.hpp"
#include "http/request_router.hpp"

namespace consent::server {

class ByteExchange {
public:
    using Respond = std::function<RoutedAnswer(std::string_view request, const Peer& peer, bool close)>;

    ByteExchange(Respond respond, FramingLimits limits, Peer peer = {});

    // Each framed request's answer bytes, in order. As on a connection, a
    // refusal or an answer that closes ends the exchange, and bytes left that
    // never complete a request get the 408 a deadline would send.
    std::vector<std::string> answers(std::string_view bytes) const;

private:
    Respond respond_;
    FramingLimits limits_;
    Peer peer_;
};

}  // namespace consent::server
