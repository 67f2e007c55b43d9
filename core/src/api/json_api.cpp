#include "consent/api/json_api.hpp"

#include <algorithm>
#include <initializer_list>

#include "consent/json/canonical_json.hpp"
#include "json_api_tables.hpp"

namespace consent {
namespace {

using json = Json;

std::string envelope(const Result<json>& result) {
    // Replace rather than throw on invalid UTF-8: an answer must always be JSON.
    constexpr auto replace = json::error_handler_t::replace;
    if (result) return json{{"ok", true}, {"value", *result}}.dump(-1, ' ', false, replace);
    const Error& e = result.error();
    return json{{"ok", false}, {"error", {{"code", e.code}, {"message", e.message}, {"path", e.path}}}}.dump(
        -1, ' ', false, replace);
}

// Finds the operation in the given tables; unknown names get one clear error.
std::string dispatch(std::initializer_list<const api::OperationTable*> tables, std::string_view operation,
                     std::string_view input_json) {
    for (const auto* table : tables) {
        const auto op = table->find(operation);
        if (op == table->end()) continue;
        auto input = parse_json_strict(input_json);
        if (!input) return envelope(input.error());
        return envelope(op->second(*input));
    }
    return envelope(make_error("api.unknown_operation", "unknown operation \"" + std::string(operation) + "\""));
}

}  // namespace

// consent-banner.wasm's core (CONSENT_SMALL_JSON) has the page's operations only: no proof verifiers.
#ifndef CONSENT_SMALL_JSON
const std::vector<std::string>& json_api_operations() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (const auto* table : {&api::banner_operations(), &api::proof_operations()})
            for (const auto& entry : *table) out.push_back(entry.first);
        std::sort(out.begin(), out.end());
        return out;
    }();
    return names;
}

std::string call_json_api(std::string_view operation, std::string_view input_json) {
    return dispatch({&api::banner_operations(), &api::proof_operations()}, operation, input_json);
}

#endif

std::string call_banner_api(std::string_view operation, std::string_view input_json) {
    return dispatch({&api::page_operations()}, operation, input_json);
}

}  // namespace consent
