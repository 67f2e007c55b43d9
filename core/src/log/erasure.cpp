#include "consent/log/erasure.hpp"

#include <algorithm>

#include "consent/crypto/encoding.hpp"
#include "consent/log/merkle.hpp"

namespace consent {
namespace {

using nlohmann::json;

Error invalid(const std::string& message) { return make_error("erasure.invalid", message); }
Error bad_payload(const std::string& message, const std::string& path) {
    return make_error("erasure.bad_payload", message, path);
}

bool is_hex64(const std::string& s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool in_range(std::int64_t v) { return v >= 0 && v <= kMaxReceiptInteger; }

const json* field(const json& object, const char* name) {
    const auto it = object.find(name);
    return it == object.end() ? nullptr : &*it;
}

Result<std::string> text_field(const json& object, const char* name, const std::string& at) {
    const json* v = field(object, name);
    if (v == nullptr || !v->is_string()) return bad_payload(std::string(name) + " must be a string", at + "/" + name);
    return v->get<std::string>();
}

Result<std::int64_t> int_field(const json& object, const char* name, const std::string& at) {
    const json* v = field(object, name);
    if (v == nullptr || !v->is_number_integer())
        return bad_payload(std::string(name) + " must be an integer", at + "/" + name);
    return v->get<std::int64_t>();
}

Result<std::vector<std::pair<std::string, std::string>>> read_purposes(const json& object, const std::string& at) {
    const json* list = field(object, "purposes");
    if (list == nullptr || !list->is_array()) return bad_payload("purposes must be an array", at + "/purposes");
    std::vector<std::pair<std::string, std::string>> out;
    for (std::size_t i = 0; i < list->size(); ++i) {
        const json& p = (*list)[i];
        const std::string where = at + "/purposes/" + std::to_string(i);
        if (!p.is_object()) return bad_payload("a purpose must be an object", where);
        auto id = text_field(p, "id", where);
        if (!id) return id.error();
        auto state = text_field(p, "state", where);
        if (!state) return state.error();
        if (*state != "granted" && *state != "denied") return bad_payload("state is granted or denied", where);
        out.emplace_back(std::move(*id), std::move(*state));
    }
    return out;
}

Result<ErasedEntry> read_entry(const json& object, const std::string& at) {
    if (!object.is_object()) return bad_payload("an erased entry must be an object", at);
    ErasedEntry e;
    auto index = int_field(object, "log_index", at);
    if (!index) return index.error();
    auto leaf = text_field(object, "leaf", at);
    if (!leaf) return leaf.error();
    auto iat = int_field(object, "iat", at);
    if (!iat) return iat.error();
    auto method = text_field(object, "method", at);
    if (!method) return method.error();
    auto purposes = read_purposes(object, at);
    if (!purposes) return purposes.error();
    e.log_index = *index;
    e.leaf = std::move(*leaf);
    e.iat = *iat;
    e.method = std::move(*method);
    e.purposes = std::move(*purposes);
    if (object.size() != 5) return bad_payload("an erased entry has exactly five members", at);
    return e;
}

}  // namespace

bool is_erasure_reason(std::string_view text) noexcept {
    return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

Result<ErasedEntry> erased_entry(const CompactJws& receipt, std::string_view compact_jws) {
    const json& p = receipt.payload;
    auto index = int_field(p, "log_index", "");
    auto iat = int_field(p, "iat", "");
    auto method = text_field(p, "method", "");
    auto purposes = read_purposes(p, "");
    if (!index || !iat || !method || !purposes)
        return make_error("receipt.bad_payload", "a receipt to erase lacks log_index, iat, method or purposes");
    const merkle::Hash leaf = merkle::leaf_hash(compact_jws);
    return ErasedEntry{*index, hex_encode(leaf), *iat, std::move(*method), std::move(*purposes)};
}

json erased_entry_json(const ErasedEntry& entry) {
    json purposes = json::array();
    for (const auto& [id, state] : entry.purposes) purposes.push_back({{"id", id}, {"state", state}});
    return {{"log_index", entry.log_index},
            {"leaf", entry.leaf},
            {"iat", entry.iat},
            {"method", entry.method},
            {"purposes", std::move(purposes)}};
}

Status check_erasure(const ErasureContents& c) {
    const ErasureFacts& f = c.facts;
    if (f.erasure_id.empty() || f.site_id.empty() || f.requested_by.empty())
        return invalid("an erasure names its id, site and requester");
    if (!is_erasure_reason(f.reason)) return invalid("the reason is a word of [a-z0-9_-], at most 64");
    if (!in_range(f.log_index) || f.server_time < 0 || f.server_time > kMaxReceiptTime)
        return invalid("log_index or time out of range");
    if (!f.previous_erasure_hash.empty() && !is_hex64(f.previous_erasure_hash))
        return invalid("prev is 64 lowercase hex digits");
    if (c.erased.empty()) return invalid("an erasure erases at least one receipt");
    std::int64_t previous = -1;
    for (const auto& e : c.erased) {
        if (e.log_index <= previous || e.log_index >= f.log_index)
            return invalid("erased indices increase and come before the erasure's own");
        if (!is_hex64(e.leaf)) return invalid("a leaf hash is 64 lowercase hex digits");
        previous = e.log_index;
    }
    return Unit{};
}

json make_erasure_payload(const ErasureContents& c) {
    json erased = json::array();
    for (const auto& e : c.erased) erased.push_back(erased_entry_json(e));
    json payload = {{"schema", std::string(kErasureSchema)},
                    {"erasure_id", c.facts.erasure_id},
                    {"site", c.facts.site_id},
                    {"iat", c.facts.server_time},
                    {"log_index", c.facts.log_index},
                    {"reason", c.facts.reason},
                    {"requested_by", c.facts.requested_by},
                    {"erased", std::move(erased)}};
    if (!c.facts.previous_erasure_hash.empty()) payload["prev"] = c.facts.previous_erasure_hash;
    return payload;
}

json erasure_jws_header(std::string_view kid) {
    return {{"alg", std::string(kReceiptJwsAlg)}, {"kid", std::string(kid)}, {"typ", std::string(kErasureJwsType)}};
}

Result<ErasureContents> read_erasure_payload(const json& payload) {
    if (!payload.is_object()) return bad_payload("the payload is not an object", "");
    auto schema = text_field(payload, "schema", "");
    if (!schema || *schema != kErasureSchema) return bad_payload("schema is consent-erasure/1", "/schema");
    ErasureContents c;
    auto id = text_field(payload, "erasure_id", "");
    if (!id) return id.error();
    auto site = text_field(payload, "site", "");
    if (!site) return site.error();
    auto iat = int_field(payload, "iat", "");
    if (!iat) return iat.error();
    auto index = int_field(payload, "log_index", "");
    if (!index) return index.error();
    auto reason = text_field(payload, "reason", "");
    if (!reason) return reason.error();
    auto by = text_field(payload, "requested_by", "");
    if (!by) return by.error();
    c.facts = ErasureFacts{*id, *site, *iat, *index, "", *reason, *by};
    if (const json* prev = field(payload, "prev")) {
        if (!prev->is_string()) return bad_payload("prev must be a string", "/prev");
        c.facts.previous_erasure_hash = prev->get<std::string>();
    }
    const json* erased = field(payload, "erased");
    if (erased == nullptr || !erased->is_array()) return bad_payload("erased must be an array", "/erased");
    for (std::size_t i = 0; i < erased->size(); ++i) {
        auto entry = read_entry((*erased)[i], "/erased/" + std::to_string(i));
        if (!entry) return entry.error();
        c.erased.push_back(std::move(*entry));
    }
    if (auto checked = check_erasure(c); !checked) return checked.error();
    return c;
}

Result<CompactJws> parse_erasure_jws(std::string_view compact) {
    return parse_compact_jws_as(compact, kErasureJwsType, true);
}

}  // namespace consent
