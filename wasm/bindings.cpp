// The wasm boundary: two C functions over the core's JSON API, nothing else.
// Strings cross as NUL-terminated UTF-8; every answer is a malloc'd envelope
// the JS side must hand back to consent_free (wasm/js/consent_core.js does).
// Built twice: consent-core (every operation) and, with CONSENT_BANNER_ONLY,
// consent-banner (no proof verifiers: what every page of a site loads).
#include <cstdlib>
#include <cstring>
#include <string>

#include <emscripten/emscripten.h>

#include "consent/api/json_api.hpp"

extern "C" {

EMSCRIPTEN_KEEPALIVE char* consent_call(const char* operation, const char* input_json) {
#ifdef CONSENT_BANNER_ONLY
    const std::string answer = consent::call_banner_api(operation ? operation : "", input_json ? input_json : "");
#else
    const std::string answer = consent::call_json_api(operation ? operation : "", input_json ? input_json : "");
#endif
    char* out = static_cast<char*>(std::malloc(answer.size() + 1));
    if (out != nullptr) std::memcpy(out, answer.c_str(), answer.size() + 1);
    return out;
}

EMSCRIPTEN_KEEPALIVE void consent_free(char* answer) { std::free(answer); }

}  // extern "C"
