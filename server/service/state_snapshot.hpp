// The snapshot route's work (GET /v1/sites/{site}/snapshot, issue #15): a
// site's current state of every (subject, purpose), paged by subject, as of
// one event id (the log index the event stream uses as its id). A backend's
// mirror loads every page at that id, then follows the event stream with
// Last-Event-ID = that id: no gap, no duplicate, whenever the pages are read.
// The first page picks the id (the site's newest receipt, -1 if none); later
// pages name it (?at) and the last subject seen (?after).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "consent/base/result.hpp"
#include "service/consent_service.hpp"

namespace consent::server {

inline constexpr std::int64_t kSnapshotDefaultLimit = 500;  // subjects per page
inline constexpr std::int64_t kSnapshotMaxLimit = 5000;

// The query as sent; a parameter left out is nullopt (or "" for after).
struct SnapshotQuery {
    std::optional<std::int64_t> at;
    std::string after;
    std::optional<std::int64_t> limit;
};

// {"event_id", "notice": {"version","hash","last_material_version","notice"},
//  "subjects": [{"subject","last_event_id","state"}], "next": {"at","after"} | null}.
// Errors: snapshot.position_ahead (at beyond the site's newest receipt),
// request.invalid_parameter (limit, at < -1), request.invalid_subject (after).
Result<nlohmann::json> state_snapshot(ConsentService& service, const std::string& site_id, const SnapshotQuery& query);

}  // namespace consent::server
