// The JSON value the core reads and writes: nlohmann::json natively and in
// consent-core.wasm; consent::SmallJson (small_json.hpp) when the core is built
// with CONSENT_SMALL_JSON, as consent-banner.wasm is (issue #14: nlohmann's
// templates were half of that module). The core's code is the same for both.
#pragma once

#ifdef CONSENT_SMALL_JSON
#include "consent/json/small_json.hpp"
namespace consent {
using Json = SmallJson;
}  // namespace consent
#else
#include <nlohmann/json.hpp>
namespace consent {
using Json = nlohmann::json;
}  // namespace consent
#endif
