#include "http/error_mapping.hpp"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "http/error_registry.hpp"

namespace consent::server {
namespace {

// An unregistered code is a bug, not something to show a client: its
// message could say more than any answer should.
const ErrorInfo& registered_or_internal(const Error& error) {
    if (const ErrorInfo* info = find_error(error.code); info != nullptr && info->status != 0) return *info;
    return *find_error("server.internal");
}

}  // namespace

int http_status_for(const Error& error) { return registered_or_internal(error).status; }

bool is_retryable(const Error& error) {
    const ErrorInfo* info = find_error(error.code);
    return info != nullptr && info->retryable;
}

std::string error_body(const Error& error) {
    const ErrorInfo& info = registered_or_internal(error);
    const bool internal = info.code != error.code;
    // Logged here, once per answer; only the code (codes never carry data; messages might).
    if (internal && error.code != "server.internal")
        std::fprintf(stderr, "consentd: unregistered error code %s answered as server.internal\n", error.code.c_str());
    nlohmann::json body = {{"error",
                            {{"code", std::string(info.code)},
                             {"message", internal ? std::string("an unexpected error occurred") : error.message}}}};
    if (!internal && !error.path.empty()) body["error"]["path"] = error.path;
    return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace consent::server
