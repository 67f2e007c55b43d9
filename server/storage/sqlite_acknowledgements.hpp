// Acknowledgements in the SQLite store (issue #15): a backend's word that it
// applied a receipt, kept beside the receipts as evidence (schema version 3).
// Written on the admin connection (rare, small transactions), read through
// the read pool.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/receipt_store.hpp"
#include "storage/sqlite_connection.hpp"
#include "storage/sqlite_read_pool.hpp"

namespace consent::server::sqlite {

// All of the request's receipts in one transaction, or none.
Result<std::vector<Acknowledgement>> acknowledge(Connection& connection, const AcknowledgementRequest& request);

Result<std::vector<Acknowledgement>> subject_acknowledgements(ReadPool& pool, const std::string& site_id,
                                                              const std::string& subject_id);
Result<std::vector<BackendPosition>> backend_positions(ReadPool& pool, const std::string& site_id);
Result<std::int64_t> newest_withdrawal(ReadPool& pool, const std::string& site_id);

}  // namespace consent::server::sqlite
