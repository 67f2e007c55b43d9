#include "service/acknowledgements.hpp"

#include "consent/consent/text_rules.hpp"
#include "service/site_lookup.hpp"

namespace consent::server {
namespace {

using nlohmann::json;

Error invalid_receipts(const std::string& why) { return make_error("ack.invalid_receipts", why); }

// bound: the backend name the caller's key is registered for ("" = a site-wide
// key, which must name its backend). A registered key speaks for its backend
// only, so an acknowledgement is evidence of which system stopped.
Result<AcknowledgementRequest> read_request(const json& body, const std::string& bound) {
    for (const auto& [name, value] : body.items())
        if (name != "backend" && name != "receipts")
            return make_error("request.unknown_field", "unknown field \"" + name + "\"");
    if (!body.contains("backend") && bound.empty())
        return make_error("request.missing_field", "backend: the backend's name");
    if (!body.contains("receipts")) return make_error("request.missing_field", "receipts: the receipt ids applied");
    const json backend = body.contains("backend") ? body["backend"] : json(bound);
    if (!backend.is_string() || !is_notice_id(backend.get_ref<const std::string&>()))
        return make_error("ack.invalid_backend", "backend is 1 to 64 characters of [a-z0-9_-], starting [a-z0-9]");
    if (!bound.empty() && backend.get_ref<const std::string&>() != bound)
        return make_error("ack.backend_mismatch",
                          "this API key is registered for backend \"" + bound + "\" and acknowledges for it only");
    const json& receipts = body["receipts"];
    if (!receipts.is_array() || receipts.empty() || receipts.size() > kMaxAcknowledgedReceipts)
        return invalid_receipts("receipts is an array of 1 to 500 receipt ids");
    AcknowledgementRequest out;
    out.backend = backend.get<std::string>();
    for (const auto& id : receipts) {
        if (!id.is_string() || !is_opaque_id(id.get_ref<const std::string&>()))
            return invalid_receipts("a receipt id is 8 to 64 characters of [A-Za-z0-9_-]");
        out.receipt_ids.push_back(id.get<std::string>());
    }
    return out;
}

}  // namespace

Result<json> acknowledge_receipts(ConsentService& service, const std::string& site_id, const std::string& key_id,
                                  const std::string& bound_backend, const json& body) {
    if (auto site = require_site(service.store(), site_id); !site) return site.error();
    auto request = read_request(body, bound_backend);
    if (!request) return request.error();
    AcknowledgementRequest& r = request.value();
    r.site_id = site_id;
    r.key_id = key_id;
    r.now = service.now();
    auto recorded = service.store().acknowledge(r);
    if (!recorded) return recorded.error();
    json acknowledged = json::array();
    for (const auto& a : *recorded)
        acknowledged.push_back({{"receipt_id", a.receipt_id},
                                {"log_index", a.log_index},
                                {"acknowledged_at", a.acknowledged_at},
                                {"replayed", a.replayed}});
    return json{{"backend", r.backend}, {"acknowledged", std::move(acknowledged)}};
}

Result<json> backend_positions(ReceiptStore& store, const std::string& site_id) {
    if (auto site = require_site(store, site_id); !site) return site.error();
    auto newest = store.newest_withdrawal(site_id);
    if (!newest) return newest.error();
    auto positions = store.backend_positions(site_id);
    if (!positions) return positions.error();
    json backends = json::array();
    std::int64_t behind = 0;
    for (const auto& p : *positions) {
        const bool late = p.last_index < *newest;
        behind += late ? 1 : 0;
        backends.push_back({{"backend", p.backend},
                            {"last_acknowledged_event", p.last_index},
                            {"last_acknowledged_at", p.last_acknowledged_at},
                            {"acknowledgements", p.acknowledgements},
                            {"registered", p.registered},
                            {"behind", late}});
    }
    return json{{"newest_withdrawal", *newest}, {"behind", behind}, {"backends", std::move(backends)}};
}

Result<json> subject_acknowledgements(ReceiptStore& store, const std::string& site_id, const std::string& subject_id) {
    auto rows = store.subject_acknowledgements(site_id, subject_id);
    if (!rows) return rows.error();
    json out = json::array();
    for (const auto& a : *rows)
        out.push_back({{"receipt_id", a.receipt_id},
                       {"log_index", a.log_index},
                       {"backend", a.backend},
                       {"acknowledged_at", a.acknowledged_at}});
    return out;
}

}  // namespace consent::server
