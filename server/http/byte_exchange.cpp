#include "http/byte_exchange.hpp"

#include "http/refusal_response.hpp"

namespace consent::server {

ByteExchange::ByteExchange(Respond respond, FramingLimits limits, Peer peer)
    : respond_(std::move(respond)), limits_(limits), peer_(std::move(peer)) {}

std::vector<std::string> ByteExchange::answers(std::string_view bytes) const {
    std::vector<std::string> out;
    while (!bytes.empty()) {
        const FrameResult framed = frame_request(bytes, limits_);
        if (framed.refusal) {
            out.push_back(refusal_response(*framed.refusal));
            break;
        }
        if (!framed.request) {
            out.push_back(refusal_response({408, "request.timeout", "the request did not arrive in time"}));
            break;
        }
        RoutedAnswer answer = respond_(bytes.substr(0, framed.request->total()), peer_, framed.request->close);
        bytes.remove_prefix(framed.request->total());
        out.push_back(std::move(answer.bytes));
        if (answer.close || answer.handover) break;
    }
    return out;
}

}  // namespace consent::server
