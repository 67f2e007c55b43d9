// The wasm boundary: two C functions over the core's JSON API, nothing else.
// Strings cross as NUL-terminated UTF-8; every answer is a malloc'd envelope
// the JS side must hand back to consent_free (wasm/js/consent_core.js does).
#include <cstdlib>
#include <cstring>
#include <string>

#include <emscripten/emscripten.h>

#include "consent/json_api.hpp"

extern "C" {

EMSCRIPTEN_KEEPALIVE char* consent_call(const char* operation, const char* input_json) {
    const std::string answer = consent::call_json_api(operation ? operation : "", input_json ? input_json : "");
    char* out = static_cast<char*>(std::malloc(answer.size() + 1));
    if (out != nullptr) std::memcpy(out, answer.c_str(), answer.size() + 1);
    return out;
}

EMSCRIPTEN_KEEPALIVE void consent_free(char* answer) { std::free(answer); }

}  // extern "C"
