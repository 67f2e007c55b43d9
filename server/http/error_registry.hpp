// The one registry of error codes: for every code consentd or consentctl can
// produce, the HTTP status it is answered with, whether the same request can
// succeed later (the client should retry, with Retry-After on a 503 or 429),
// and what it means. The HTTP mapping (error_mapping.cpp), `consentctl
// errors` and docs/errors.md (generated from it) all read this table, and
// tests/server/error_registry_test.cpp checks that every code written in the
// sources is in it. A code that is not is a bug: it is answered as 500
// server.internal, never passed through.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace consent::server {

struct ErrorInfo {
    std::string_view code;
    int status;  // the HTTP status; 0: a CLI-only code, never an HTTP answer
    bool retryable;
    std::string_view meaning;
};

// Sorted by code.
const std::vector<ErrorInfo>& error_registry();
// nullptr for a code that is not registered.
const ErrorInfo* find_error(std::string_view code);
// docs/errors.md: a Markdown table of the registry.
std::string error_registry_markdown();

}  // namespace consent::server
