// Erasure and retention on PostgreSQL (issue #13): not built yet. erase and
// set_retention refuse with storage.unsupported rather than pretend, so a
// replica never acknowledges an erasure it did not carry out; the reads then
// answer truly that nothing was erased and no policy is set.
#include "storage/pg_store.hpp"

namespace consent::server {

namespace {
Error unsupported() {
    return make_error("storage.unsupported", "erasure and retention are not available on PostgreSQL yet");
}
}  // namespace

Result<AppendOutcome> PgStore::erase(AppendRequest) { return unsupported(); }
Result<std::vector<StoredReceipt>> PgStore::subject_erasures(const std::string&, const std::string&) {
    return std::vector<StoredReceipt>{};
}
Status PgStore::set_retention(const std::string&, std::int64_t) { return unsupported(); }
Result<std::int64_t> PgStore::retention(const std::string& site_id) {
    return make_error("storage.not_found", "site " + site_id + " has no retention policy");
}
Result<std::vector<std::pair<std::string, std::int64_t>>> PgStore::retention_policies() {
    return std::vector<std::pair<std::string, std::int64_t>>{};
}

}  // namespace consent::server
