// Turns a core/service error into an HTTP answer, through the one registry of
// codes (error_registry.hpp): its status, whether it is retryable (a 503 or
// 429 then carries Retry-After), and the body {"error":{"code","message"}}.
// A code the registry does not know is answered as 500 server.internal.
#pragma once

#include <string>

#include "consent/base/result.hpp"

namespace consent::server {

int http_status_for(const Error& error);
bool is_retryable(const Error& error);
std::string error_body(const Error& error);

}  // namespace consent::server
