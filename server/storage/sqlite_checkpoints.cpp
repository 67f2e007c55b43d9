#include "storage/sqlite_checkpoints.hpp"

#include <string>
#include <utility>

#include "storage/sqlite_merkle.hpp"

namespace consent::server::sqlite {
namespace {

constexpr const char* kSelectCheckpoints = "SELECT tree_size, root, timestamp, note FROM checkpoints ";

// A root of another length cannot come from this code: the row is corrupt.
Result<Checkpoint> read_checkpoint(const Statement& row) {
    auto root = hash_column(row, 1);
    if (!root)
        return make_error("storage.corrupt_row",
                          "the checkpoint at tree size " + std::to_string(row.int64(0)) + " has no 32-byte root");
    return Checkpoint{row.int64(0), *root, row.int64(2), row.text(3)};
}

Result<std::optional<Checkpoint>> one_checkpoint(Statement& statement) {
    auto row = statement.step();
    if (!row) return row.error();
    if (!*row) return std::optional<Checkpoint>();
    auto checkpoint = read_checkpoint(statement);
    if (!checkpoint) return checkpoint.error();
    return std::optional<Checkpoint>(std::move(checkpoint.value()));
}

}  // namespace

Status insert_checkpoint(Connection& connection, const Checkpoint& c) {
    auto statement =
        connection.prepare("INSERT INTO checkpoints (tree_size, root, timestamp, note) VALUES (?1, ?2, ?3, ?4)");
    if (!statement) return statement.error();
    return statement.value()
        .bind(1, c.tree_size)
        .bind_blob(2, c.root.data(), c.root.size())
        .bind(3, c.timestamp)
        .bind(4, c.note)
        .run();
}

Result<std::optional<Checkpoint>> latest_checkpoint(Connection& connection) {
    auto statement = connection.prepare(std::string(kSelectCheckpoints) + "ORDER BY tree_size DESC LIMIT 1");
    if (!statement) return statement.error();
    return one_checkpoint(statement.value());
}

Result<std::optional<Checkpoint>> checkpoint_at(Connection& connection, std::int64_t tree_size) {
    auto statement = connection.prepare(std::string(kSelectCheckpoints) + "WHERE tree_size = ?1");
    if (!statement) return statement.error();
    return one_checkpoint(statement.value().bind(1, tree_size));
}

Status for_each_checkpoint(Connection& connection, const std::function<Status(const Checkpoint&)>& row) {
    auto statement = connection.prepare(std::string(kSelectCheckpoints) + "ORDER BY tree_size");
    if (!statement) return statement.error();
    Statement& rows = statement.value();
    for (;;) {
        auto next = rows.step();
        if (!next) return next.error();
        if (!*next) return Unit{};
        auto checkpoint = read_checkpoint(rows);
        if (!checkpoint) return checkpoint.error();
        if (auto handled = row(*checkpoint); !handled) return handled;
    }
}

}  // namespace consent::server::sqlite
