// Snapshots of a site's current state as of one log index (issue #15): what a
// backend's local mirror loads before it follows the event stream from that
// very index. Receipts never change, so the state as of index E is the fold of
// the site's receipts with log_index <= E, whenever it is read: pages read at
// different moments (or before and after a restart) still fit together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "storage/receipt_store.hpp"
#include "storage/sqlite_read_pool.hpp"

namespace consent::server::sqlite {

// The newest log index among the site's receipts, -1 when it has none.
Result<std::int64_t> site_log_head(ReadPool& pool, const std::string& site_id);

// Up to limit subjects after after_subject (in byte order), each with its
// state folded by the core from its receipts at or below index at.
Result<std::vector<SubjectSnapshot>> states_at(ReadPool& pool, const std::string& site_id, std::int64_t at,
                                               const std::string& after_subject, std::size_t limit);

}  // namespace consent::server::sqlite
