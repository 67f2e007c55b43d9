// Reading the PostgreSQL store's rows back into the interface's types, shared
// by the writer, the read methods and the audit (pg_store.hpp).
#pragma once

#include <cstddef>
#include <functional>
#include <string>

#include "consent/base/result.hpp"
#include "consent/consent/policy.hpp"
#include "storage/pg_connection.hpp"
#include "storage/pg_pool.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server::pg {

// "SELECT <every StoredReceipt column> FROM receipts " + rest, and its row reader.
std::string select_receipts(const char* rest);
StoredReceipt read_receipt(const Rows& rows, int row);

// The rows of sql as receipts, on a leased connection.
Result<std::vector<StoredReceipt>> receipts(Pool& pool, const std::string& sql, const Params& params);

// The current_state rows of one subject; a row the code could not have written is storage.corrupt_row.
Result<SubjectState> load_state(Connection& connection, const std::string& site_id, const std::string& subject_id);
// "granted"/"denied" and the method back as the core's values.
Result<PurposeRecord> read_record(const Rows& rows, int row, int first_column);

// Every row of sql (which must be a SELECT), fetched through a cursor in
// pages, inside the caller's transaction: an audit of a large log never holds
// the whole table in memory. each(rows, row) may stop the walk with an error.
Status for_each_row(Connection& connection, const std::string& sql, const Params& params,
                    const std::function<Status(const Rows&, int)>& each);

// The one row of a lookup by key: storage.not_found when there is none.
template <class Row>
Result<Row> only_row(Result<std::vector<Row>> rows, const char* what) {
    if (!rows) return rows.error();
    if (rows->empty()) return make_error("storage.not_found", std::string("no such ") + what);
    return std::move(rows.value().front());
}

// write(connection) -> Status inside BEGIN … COMMIT on a leased connection.
template <class Write>
Status in_transaction(Pool& pool, Write write) {
    auto lease = pool.acquire();
    if (!lease) return lease.error();
    auto transaction = Transaction::begin(**lease);
    if (!transaction) return transaction.error();
    if (auto written = write(**lease); !written) return written;
    return transaction.value().commit();
}

}  // namespace consent::server::pg
