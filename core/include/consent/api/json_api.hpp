// The core as one JSON-in, JSON-out function: what the wasm bindings export to
// the browser, what the differential test compares between native and wasm,
// and what the CLI calls. Each operation only marshals arguments into core
// types and back; no consent rule is decided here.
//
// Answer envelope: {"ok":true,"value":…} or
//                  {"ok":false,"error":{"code":"…","message":"…","path":"…"}}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace consent {

// Operation names, in a stable order (the wasm export list mirrors it).
const std::vector<std::string>& json_api_operations();

// Never throws; an unknown operation is "api.unknown_operation", input that is
// not JSON is "json.parse_error".
std::string call_json_api(std::string_view operation, std::string_view input_json);

// The same, limited to what the banner's page calls (notice.parse, banner.evaluate, banner.click,
// decision.make, state.apply): what consent-banner.wasm exports, so the page that only asks does not
// download the proof verifiers, JCS or the separate view and policy calls. Other names are
// "api.unknown_operation".
std::string call_banner_api(std::string_view operation, std::string_view input_json);

}  // namespace consent
