// The rules rebuild_check holds every erased row and every erasure receipt
// to (issue #13, docs/erasure.md), whatever store the rows were read from:
// sqlite_erasure.cpp and pg_erasure_audit.cpp read the rows, this decides.
// No I/O: the stores hand over the columns they read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "consent/base/result.hpp"
#include "consent/log/erasure.hpp"
#include "consent/log/merkle.hpp"

namespace consent::server {

// storage.receipt_missing for the receipt at index: its bytes went some other way than an erasure.
Error receipt_missing(std::int64_t index, const std::string& why);

// The row of an erasure receipt (subject kErasureSubject), as stored.
struct ErasureReceiptColumns {
    std::int64_t log_index = 0;
    std::string receipt_id, site_id, subject_id, jws, payload, method;
    std::int64_t server_time = 0;
};

// An erasure receipt whose row says what its JWS says.
struct CheckedErasure {
    std::int64_t log_index = 0;
    std::string site_id;
    std::string jws;
    ErasureContents contents;
};

// The row is an erasure receipt (storage.receipt_missing otherwise) whose JWS
// parses and whose columns are its payload's (storage.receipt_mismatch).
Result<CheckedErasure> check_erasure_receipt(const ErasureReceiptColumns& row);

// The erasure receipt names the site's previous erasure receipt ("" for none).
Status check_erasure_link(const CheckedErasure& erasure, const std::string& previous_jws);

// A row without a JWS, or one that erasures names, as stored.
struct ErasedRowColumns {
    std::int64_t log_index = 0;
    std::string receipt_id, decision_id, subject_id, prev_hash, decision, payload, site_id, method, jws;
    std::int64_t server_time = 0;
    std::optional<std::int64_t> erasure_index;  // what erasures names, if anything
    std::optional<merkle::Hash> leaf;           // the log's leaf at its index, if stored and well-formed
};

// Named by erasures, without its JWS, and in exactly the erased form.
Status check_erased_form(const ErasedRowColumns& row);

// Listed by the erasure receipt that erasures names, of the same site, with
// the leaf the log holds and the residue, time and method the row keeps.
Status check_erased_by(const ErasedRowColumns& row, const CheckedErasure& erasure);

}  // namespace consent::server
