#include "service/state_snapshot.hpp"

#include "consent/consent/state_json.hpp"
#include "consent/consent/text_rules.hpp"
#include "service/site_lookup.hpp"

namespace consent::server {
namespace {

using nlohmann::json;

Status check_query(const SnapshotQuery& q) {
    if (q.limit && (*q.limit < 1 || *q.limit > kSnapshotMaxLimit))
        return make_error("request.invalid_parameter", "limit must be 1 to 5000 subjects");
    if (q.at && *q.at < -1) return make_error("request.invalid_parameter", "at must be an event id (-1 or more)");
    if (!q.after.empty() && !is_subject_id(q.after))
        return make_error("request.invalid_subject", "after: not a subject id");
    return Unit{};
}

json notice_json(const ConsentService::CurrentNotice& current) {
    return {{"version", current.notice.notice.version},
            {"hash", current.notice.content_hash},
            {"last_material_version", current.last_material_version},
            {"notice", json::parse(current.notice.canonical_json)}};
}

// The site's newest withdrawal the snapshot already holds (at or before `at`),
// on the first page: a mirror that starts from this snapshot has applied it, and
// acknowledges it, so the operator view does not count a backend that started
// after a withdrawal as behind on it forever. A newer one comes on the stream.
Result<json> newest_withdrawal_held(ReceiptStore& store, const std::string& site_id, std::int64_t at) {
    auto newest = store.newest_withdrawal(site_id);
    if (!newest) return newest.error();
    if (*newest < 0 || *newest > at) return json(nullptr);
    auto receipts = store.log_receipts(*newest - 1, 1);
    if (!receipts) return receipts.error();
    if (receipts->empty() || receipts->front().log_index != *newest) return json(nullptr);
    return json{{"receipt_id", receipts->front().receipt_id}, {"event_id", *newest}};
}

}  // namespace

Result<json> state_snapshot(ConsentService& service, const std::string& site_id, const SnapshotQuery& query) {
    if (auto valid = check_query(query); !valid) return valid.error();
    ReceiptStore& store = service.store();
    if (auto site = require_site(store, site_id); !site) return site.error();
    auto head = store.site_log_head(site_id);
    if (!head) return head.error();
    const std::int64_t at = query.at.value_or(*head);
    // A later id would name receipts not yet written: the pages could not be
    // the same when read again.
    if (at > *head) return make_error("snapshot.position_ahead", "at names an event id beyond the site's newest");
    auto notice = service.current_notice(site_id);
    if (!notice) return notice.error();
    const auto limit = static_cast<std::size_t>(query.limit.value_or(kSnapshotDefaultLimit));
    auto rows = store.states_at(site_id, at, query.after, limit);
    if (!rows) return rows.error();
    json subjects = json::array();
    for (const auto& row : *rows)
        subjects.push_back({{"subject", row.subject_id},
                            {"last_event_id", row.last_index},
                            {"state", subject_state_to_json(row.state)}});
    json next = nullptr;
    if (rows->size() == limit) next = {{"at", at}, {"after", rows->back().subject_id}};
    json page{{"event_id", at}, {"notice", notice_json(*notice)}, {"subjects", std::move(subjects)}, {"next", next}};
    if (query.after.empty()) {
        auto withdrawal = newest_withdrawal_held(store, site_id, at);
        if (!withdrawal) return withdrawal.error();
        page["newest_withdrawal"] = std::move(*withdrawal);
    }
    return page;
}

}  // namespace consent::server
