// The one table that turns a core/service error code into an HTTP status, and
// the one function that writes the error body {"error":{"code","message"}}.
#pragma once

#include <string>

#include "consent/result.hpp"

namespace consent::server {

int http_status_for(const Error& error);
std::string error_body(const Error& error);

}  // namespace consent::server
