#include "storage/pg_checkpoints.hpp"

#include <string>
#include <utility>

#include "storage/pg_merkle.hpp"

namespace consent::server::pg {
namespace {

constexpr const char* kSelectCheckpoints = "SELECT tree_size, root, timestamp, note FROM checkpoints ";

Result<std::vector<Checkpoint>> read_checkpoints(Result<Rows> rows) {
    if (!rows) return rows.error();
    std::vector<Checkpoint> out;
    for (int r = 0; r < rows->size(); ++r) {
        auto root = as_hash(rows->bytes(r, 1));
        // A root of another length cannot come from this code: the row is corrupt.
        if (!root)
            return make_error("storage.corrupt_row",
                              "the checkpoint at tree size " + rows->text(r, 0) + " has no 32-byte root");
        out.push_back(Checkpoint{rows->int64(r, 0), *root, rows->int64(r, 2), rows->text(r, 3)});
    }
    return out;
}

Result<std::optional<Checkpoint>> first(Result<std::vector<Checkpoint>> all) {
    if (!all) return all.error();
    if (all->empty()) return std::optional<Checkpoint>();
    return std::optional<Checkpoint>(std::move(all.value().front()));
}

}  // namespace

Status insert_checkpoint(Connection& c, const Checkpoint& checkpoint) {
    return c.run("INSERT INTO checkpoints (tree_size, root, timestamp, note) VALUES ($1, $2::bytea, $3, $4)",
                 {param(checkpoint.tree_size), bytea(checkpoint.root.data(), checkpoint.root.size()),
                  param(checkpoint.timestamp), param(checkpoint.note)});
}

Result<std::optional<Checkpoint>> latest_checkpoint(Connection& c) {
    return first(read_checkpoints(c.query(std::string(kSelectCheckpoints) + "ORDER BY tree_size DESC LIMIT 1")));
}

Result<std::optional<Checkpoint>> checkpoint_at(Connection& c, std::int64_t tree_size) {
    return first(
        read_checkpoints(c.query(std::string(kSelectCheckpoints) + "WHERE tree_size = $1", {param(tree_size)})));
}

Result<std::vector<Checkpoint>> all_checkpoints(Connection& c) {
    return read_checkpoints(c.query(std::string(kSelectCheckpoints) + "ORDER BY tree_size"));
}

}  // namespace consent::server::pg
