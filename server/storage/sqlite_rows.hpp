// Reading the store's rows back into the interface's types; shared by the
// writer (state updates), the read methods and rebuild_check().
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "consent/base/result.hpp"
#include "consent/consent/policy.hpp"
#include "storage/receipt_store.hpp"
#include "storage/sqlite_connection.hpp"

namespace consent::server::sqlite {

// "SELECT <every StoredReceipt column> FROM receipts " + rest, and its row reader.
std::string select_receipts(const char* rest);
StoredReceipt read_receipt(const Statement& row);
std::optional<StoredReceipt> read_receipt_row(const Statement& row);

// The current_state rows of one subject. A row the code could not have
// written (unknown state or method) is storage.corrupt_row.
Result<SubjectState> load_state(Connection& connection, const std::string& site_id, const std::string& subject_id);
// One current_state row, inserted or replaced (the writer's state update, an erasure's refold).
Status write_state_row(Connection& connection, const std::string& site_id, const std::string& subject_id,
                       const std::string& purpose, const PurposeRecord& record);

// The decision as the receipts table keeps it (RFC 8785 canonical JSON of
// decision_to_json), checked to read back to the same decision: a receipt can
// never be removed, so one that rebuild_check() could not fold must never be
// written (storage.invalid_decision).
Result<std::string> recorded_decision_json(const Decision& decision);

bool same_record(const PurposeRecord& a, const PurposeRecord& b);

}  // namespace consent::server::sqlite
