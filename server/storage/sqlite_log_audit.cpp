#include "storage/sqlite_log_audit.hpp"

#include <cstdint>
#include <string>

#include "consent/log/merkle.hpp"
#include "storage/sqlite_checkpoints.hpp"
#include "storage/sqlite_merkle.hpp"
#include "storage/sqlite_merkle_tiles.hpp"

namespace consent::server::sqlite {
namespace {

// Every receipt has its leaf, and the leaf is the RFC 9162 §2.1.1 leaf hash
// of the receipt's compact JWS, exactly as handed out.
Status check_leaves(Connection& connection) {
    auto statement = connection.prepare(
        "SELECT r.log_index, r.jws, n.hash FROM receipts AS r "
        "LEFT JOIN merkle_nodes AS n ON n.level = 0 AND n.idx = r.log_index ORDER BY r.log_index");
    if (!statement) return statement.error();
    Statement& rows = statement.value();
    for (;;) {
        auto row = rows.step();
        if (!row) return row.error();
        if (!*row) return Unit{};
        const std::int64_t index = rows.int64(0);
        if (rows.is_null(2)) return log_mismatch(0, index, "is missing");
        // An erased row has no JWS: check_erasures compares its leaf with the
        // one its erasure receipt names (issue #13).
        if (rows.text(1).empty()) continue;
        const auto stored = hash_column(rows, 2);
        if (!stored || *stored != merkle::leaf_hash(rows.text(1)))
            return log_mismatch(0, index, "is not the leaf hash of receipt " + std::to_string(index));
    }
}

// Node (l, i) covers leaves up to (i + 1) * 2^l, which must all exist: i < size >> l.
Status check_no_node_beyond_the_log(Connection& connection, std::int64_t size) {
    auto statement = connection.prepare(
        "SELECT level, idx FROM merkle_nodes WHERE level < 0 OR idx < 0 OR idx >= (?1 >> level) "
        "ORDER BY level, idx LIMIT 1");
    if (!statement) return statement.error();
    auto row = statement.value().bind(1, size).step();
    if (!row) return row.error();
    if (*row) return log_mismatch(statement.value().int64(0), statement.value().int64(1), "is beyond the log");
    return Unit{};
}

// Every interior node is node_hash of its two children (RFC 9162 §2.1.1),
// which must be stored. Lowest level first, so the first report is the
// lowest node that differs (a changed node also breaks every ancestor).
Status check_interior_nodes(Connection& connection) {
    auto statement = connection.prepare(
        "SELECT p.level, p.idx, p.hash, l.hash, r.hash FROM merkle_nodes AS p "
        "LEFT JOIN merkle_nodes AS l ON l.level = p.level - 1 AND l.idx = 2 * p.idx "
        "LEFT JOIN merkle_nodes AS r ON r.level = p.level - 1 AND r.idx = 2 * p.idx + 1 "
        "WHERE p.level > 0 ORDER BY p.level, p.idx");
    if (!statement) return statement.error();
    Statement& rows = statement.value();
    for (;;) {
        auto row = rows.step();
        if (!row) return row.error();
        if (!*row) return Unit{};
        const std::int64_t level = rows.int64(0);
        const std::int64_t index = rows.int64(1);
        if (rows.is_null(3)) return log_mismatch(level - 1, 2 * index, "is missing");
        if (rows.is_null(4)) return log_mismatch(level - 1, 2 * index + 1, "is missing");
        const auto parent = hash_column(rows, 2);
        const auto left = hash_column(rows, 3);
        const auto right = hash_column(rows, 4);
        if (!parent || !left || !right || *parent != merkle::node_hash(*left, *right))
            return log_mismatch(level, index, "is not the hash of its two children");
    }
}

// Each checkpoint signs the root that the stored log has at its size.
Status check_checkpoints(Connection& connection, std::int64_t size) {
    return for_each_checkpoint(connection, [&](const Checkpoint& checkpoint) -> Status {
        const std::string where = "the checkpoint at tree size " + std::to_string(checkpoint.tree_size);
        if (checkpoint.tree_size > size) return make_error("storage.log_mismatch", where + " is beyond the log");
        auto root = stored_root(connection, checkpoint.tree_size);
        if (!root) return root.error();
        if (*root != checkpoint.root)
            return make_error("storage.log_mismatch", where + " does not sign the log's root at that size");
        return Unit{};
    });
}

}  // namespace

// Leaves match the receipts, no node lies beyond the log, every interior
// node matches its children, and the tiles are the complete ones, each equal
// to the nodes it repeats. Together with the roots of the complete
// subtrees of size's binary digits being present (stored_root reads them),
// this makes the stored nodes exactly the tree's complete subtrees: on the
// way down from such a root to a missing node, the first missing one has a
// stored parent, whose check names it.
Status check_log(Connection& connection) {
    auto size = log_size(connection);
    if (!size) return size.error();
    if (auto leaves = check_leaves(connection); !leaves) return leaves;
    if (auto bounded = check_no_node_beyond_the_log(connection, *size); !bounded) return bounded;
    if (auto interior = check_interior_nodes(connection); !interior) return interior;
    if (auto tiles = check_tiles(connection, *size); !tiles) return tiles;
    auto root = stored_root(connection, *size);
    if (!root) return root.error();
    return check_checkpoints(connection, *size);
}

}  // namespace consent::server::sqlite
