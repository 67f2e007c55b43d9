// The bytes of an answer consentd's HTTP edge writes itself, before or instead
// of routing: a refused request head, a deadline, a connection cap. The body
// has the API's JSON error shape; the connection is closed after it.
#pragma once

#include <string>

#include "http/request_framer.hpp"

namespace consent::server {

std::string refusal_response(const Refusal& refusal);

}  // namespace consent::server
