#include "storage/erasure_audit.hpp"

#include <algorithm>
#include <utility>

#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "consent/log/receipt.hpp"

namespace consent::server {

Error receipt_missing(std::int64_t index, const std::string& why) {
    return make_error("storage.receipt_missing", "the receipt at log index " + std::to_string(index) + " " + why);
}

Result<CheckedErasure> check_erasure_receipt(const ErasureReceiptColumns& row) {
    const std::string where = "the erasure receipt at log index " + std::to_string(row.log_index);
    if (row.subject_id != kErasureSubject)
        return make_error("storage.receipt_missing", where + " is not an erasure receipt");
    auto jws = parse_erasure_jws(row.jws);
    if (!jws) return make_error("storage.receipt_mismatch", where + ": its JWS does not parse: " + jws.error().code);
    auto contents = read_erasure_payload(jws->payload);
    if (!contents) return make_error("storage.receipt_mismatch", where + ": " + contents.error().message);
    const ErasureFacts& f = contents->facts;
    if (row.payload != jws->payload_text || f.log_index != row.log_index || f.erasure_id != row.receipt_id ||
        f.site_id != row.site_id || f.server_time != row.server_time || row.method != "erasure")
        return make_error("storage.receipt_mismatch", where + ": its columns differ from its JWS");
    return CheckedErasure{row.log_index, row.site_id, row.jws, std::move(*contents)};
}

Status check_erasure_link(const CheckedErasure& erasure, const std::string& previous_jws) {
    const std::string expected = previous_jws.empty() ? std::string() : receipt_hash(previous_jws);
    if (erasure.contents.facts.previous_erasure_hash != expected)
        return make_error("storage.receipt_mismatch", "the erasure receipt at log index " +
                                                          std::to_string(erasure.log_index) +
                                                          " does not name the site's previous erasure receipt");
    return Unit{};
}

Status check_erased_form(const ErasedRowColumns& row) {
    const std::string erased_id = "erased:" + std::to_string(row.log_index);
    if (!row.jws.empty()) return receipt_missing(row.log_index, "is named by an erasure but still holds its JWS");
    if (!row.erasure_index)
        return receipt_missing(row.log_index, "has lost its bytes, and no erasure receipt names it");
    if (row.receipt_id != erased_id || row.decision_id != erased_id || !row.subject_id.empty() ||
        !row.prev_hash.empty() || !row.decision.empty())
        return receipt_missing(row.log_index, "is only partly erased");
    return Unit{};
}

Status check_erased_by(const ErasedRowColumns& row, const CheckedErasure& erasure) {
    const std::int64_t index = row.log_index;
    if (erasure.site_id != row.site_id) return receipt_missing(index, "is erased by another site's erasure receipt");
    const auto& entries = erasure.contents.erased;
    const auto entry =
        std::find_if(entries.begin(), entries.end(), [&](const ErasedEntry& e) { return e.log_index == index; });
    if (entry == entries.end()) return receipt_missing(index, "is erased, but its erasure receipt does not list it");
    if (!row.leaf || hex_encode(*row.leaf) != entry->leaf)
        return receipt_missing(index, "is erased, but the log's leaf is not the one its erasure receipt names");
    auto residue = canonicalize(erased_entry_json(*entry));
    if (!residue || *residue != row.payload || entry->iat != row.server_time || entry->method != row.method)
        return make_error("storage.receipt_mismatch", "the erased receipt at log index " + std::to_string(index) +
                                                          ": its columns differ from its erasure receipt");
    return Unit{};
}

}  // namespace consent::server
