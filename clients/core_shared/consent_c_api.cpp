// The core's C boundary for native callers: the same two functions, with the
// same contract, as wasm/bindings.cpp gives the browser. Strings cross as
// NUL-terminated UTF-8; every answer is a malloc'd JSON envelope
// ({"ok":true,"value":…} or {"ok":false,"error":{…}}) the caller hands back
// to consent_free. Never throws across the boundary: the JSON API never does.
#include <cstdlib>
#include <cstring>
#include <string>

#include "consent/api/json_api.hpp"

#define CONSENT_C_EXPORT extern "C" __attribute__((visibility("default")))

CONSENT_C_EXPORT char* consent_call(const char* operation, const char* input_json) {
    const std::string answer = consent::call_json_api(operation ? operation : "", input_json ? input_json : "");
    char* out = static_cast<char*>(std::malloc(answer.size() + 1));
    if (out != nullptr) std::memcpy(out, answer.c_str(), answer.size() + 1);
    return out;
}

CONSENT_C_EXPORT void consent_free(char* answer) { std::free(answer); }
