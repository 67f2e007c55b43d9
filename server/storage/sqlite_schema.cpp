#include "storage/sqlite_schema.hpp"

#include <string>

#include "storage/sqlite_merkle.hpp"
#include "storage/sqlite_merkle_tiles.hpp"

namespace consent::server::sqlite {
namespace {

// Version 1. Receipts are append-only by the schema itself, for every
// connection (DESIGN.md "Receipts are never updated or deleted"):
// - UPDATE and DELETE abort;
// - INSERT must extend the log at its end (log_index = MAX + 1, so the log has
//   no gaps) and must not collide with an existing receipt id or decision id:
//   INSERT OR REPLACE would otherwise delete the older row without firing the
//   DELETE trigger (SQLite fires it on REPLACE only with recursive_triggers).
// receipts.decision keeps the decision as recorded (RFC 8785 canonical JSON of
// decision_to_json): rebuild_check() folds it, so the current state is derived
// from the receipts alone.
//
// The Merkle log (RFC 9162 §2.1) over the receipts, leaf i = receipt i's JWS:
// merkle_nodes (level, idx) is the root of the complete subtree over leaves
// [idx * 2^level, (idx + 1) * 2^level); only complete subtrees are stored, so
// a node never changes once written. Both merkle_nodes and checkpoints are
// append-only like receipts, with the same guard against INSERT OR REPLACE:
// - a node is inserted once, a leaf only for an existing receipt and a parent
//   only once its right child exists (so it is complete);
// - a checkpoint only for a tree larger than the last one and no larger than
//   the log.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE schema_version (version INTEGER NOT NULL);

CREATE TABLE sites (
    site_id TEXT PRIMARY KEY NOT NULL,
    allowed_origins TEXT NOT NULL,
    subject_token_keys TEXT NOT NULL DEFAULT '[]',
    created_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE notices (
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    version INTEGER NOT NULL CHECK (version >= 1),
    notice_id TEXT NOT NULL,
    material INTEGER NOT NULL CHECK (material IN (0, 1)),
    content_hash TEXT NOT NULL,
    canonical_json TEXT NOT NULL,
    published_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, version)
) WITHOUT ROWID;

CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY NOT NULL,
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    key_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) WITHOUT ROWID;

CREATE TABLE receipts (
    log_index INTEGER PRIMARY KEY CHECK (log_index >= 0),
    receipt_id TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    subject_id TEXT NOT NULL,
    decision_id TEXT NOT NULL,
    server_time INTEGER NOT NULL,
    jws TEXT NOT NULL,
    payload TEXT NOT NULL,
    method TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    decision TEXT NOT NULL,
    UNIQUE (site_id, decision_id)
);
CREATE INDEX receipts_by_subject ON receipts (site_id, subject_id, log_index);
CREATE INDEX receipts_by_site ON receipts (site_id, log_index);

CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;
CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;
CREATE TRIGGER receipts_append_at_end BEFORE INSERT ON receipts
WHEN NEW.log_index IS NOT (SELECT COALESCE(MAX(log_index) + 1, 0) FROM receipts)
  OR EXISTS (SELECT 1 FROM receipts WHERE receipt_id = NEW.receipt_id)
  OR EXISTS (SELECT 1 FROM receipts WHERE site_id = NEW.site_id AND decision_id = NEW.decision_id)
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;

CREATE TABLE current_state (
    site_id TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('granted', 'denied')),
    method TEXT NOT NULL,
    notice_id TEXT NOT NULL,
    notice_version INTEGER NOT NULL,
    decided_at INTEGER NOT NULL,
    receipt_id TEXT NOT NULL REFERENCES receipts (receipt_id),
    PRIMARY KEY (site_id, subject_id, purpose)
) WITHOUT ROWID;

CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx INTEGER NOT NULL CHECK (idx >= 0),
    hash BLOB NOT NULL CHECK (typeof(hash) = 'blob' AND length(hash) = 32),
    PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TRIGGER merkle_nodes_no_update BEFORE UPDATE ON merkle_nodes
BEGIN SELECT RAISE(ABORT, 'the Merkle log is append-only'); END;
CREATE TRIGGER merkle_nodes_no_delete BEFORE DELETE ON merkle_nodes
BEGIN SELECT RAISE(ABORT, 'the Merkle log is append-only'); END;
CREATE TRIGGER merkle_nodes_append_only BEFORE INSERT ON merkle_nodes
WHEN EXISTS (SELECT 1 FROM merkle_nodes WHERE level = NEW.level AND idx = NEW.idx)
  OR (NEW.level = 0 AND NOT EXISTS (SELECT 1 FROM receipts WHERE log_index = NEW.idx))
  OR (NEW.level > 0 AND NOT EXISTS
      (SELECT 1 FROM merkle_nodes WHERE level = NEW.level - 1 AND idx = 2 * NEW.idx + 1))
BEGIN SELECT RAISE(ABORT, 'the Merkle log is append-only'); END;

CREATE TABLE checkpoints (
    tree_size INTEGER PRIMARY KEY CHECK (tree_size >= 1),
    root BLOB NOT NULL CHECK (typeof(root) = 'blob' AND length(root) = 32),
    timestamp INTEGER NOT NULL,
    note TEXT NOT NULL
);

CREATE TRIGGER checkpoints_no_update BEFORE UPDATE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_no_delete BEFORE DELETE ON checkpoints
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
CREATE TRIGGER checkpoints_append_only BEFORE INSERT ON checkpoints
WHEN NEW.tree_size <= (SELECT COALESCE(MAX(tree_size), 0) FROM checkpoints)
  OR NEW.tree_size > (SELECT COALESCE(MAX(log_index) + 1, 0) FROM receipts)
BEGIN SELECT RAISE(ABORT, 'checkpoints are append-only'); END;
)sql";

// Version 2: reports read one site's receipts by server time (opt-in
// statistics); without this index each would scan the site's whole log.
// Only an index is added: the receipts and their triggers stay as they are.
constexpr const char* kSchemaV2 = R"sql(
CREATE INDEX receipts_by_time ON receipts (site_id, server_time);
)sql";

// Version 3: acknowledgements (issue #15), a backend's word that it applied a
// receipt (stopped processing after a withdrawal). Evidence like the receipts:
// never updated or deleted; a second acknowledgement of the same (site,
// backend, receipt) is skipped (RAISE(IGNORE), also under INSERT OR REPLACE),
// so the first time stands; and each row must name a receipt of its site with
// that receipt's own subject and log index. Only tables are added.
constexpr const char* kSchemaV3 = R"sql(
CREATE TABLE acknowledgements (
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    backend TEXT NOT NULL,
    receipt_id TEXT NOT NULL REFERENCES receipts (receipt_id),
    subject_id TEXT NOT NULL,
    log_index INTEGER NOT NULL,
    key_id TEXT NOT NULL,
    acknowledged_at INTEGER NOT NULL,
    PRIMARY KEY (site_id, backend, receipt_id)
) WITHOUT ROWID;
CREATE INDEX acknowledgements_by_subject ON acknowledgements (site_id, subject_id, log_index);

CREATE TRIGGER acknowledgements_no_update BEFORE UPDATE ON acknowledgements
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
CREATE TRIGGER acknowledgements_no_delete BEFORE DELETE ON acknowledgements
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;
CREATE TRIGGER acknowledgements_first_stays BEFORE INSERT ON acknowledgements
WHEN EXISTS (SELECT 1 FROM acknowledgements
             WHERE site_id = NEW.site_id AND backend = NEW.backend AND receipt_id = NEW.receipt_id)
BEGIN SELECT RAISE(IGNORE); END;
CREATE TRIGGER acknowledgements_of_a_receipt BEFORE INSERT ON acknowledgements
WHEN NOT EXISTS (SELECT 1 FROM receipts WHERE receipt_id = NEW.receipt_id AND site_id = NEW.site_id
                 AND subject_id = NEW.subject_id AND log_index = NEW.log_index)
BEGIN SELECT RAISE(ABORT, 'an acknowledgement names a receipt of its site'); END;
)sql";

// Version 4: an API key may be bound to one backend name (the registry of
// backends, issue #15): NULL for the site-wide keys every earlier file holds.
constexpr const char* kSchemaV4 = R"sql(
ALTER TABLE api_keys ADD COLUMN backend TEXT CHECK (backend IS NULL OR length(backend) BETWEEN 1 AND 64);
CREATE INDEX api_keys_by_backend ON api_keys (site_id, backend) WHERE backend IS NOT NULL;
)sql";

// Version 5: erasure and retention (issue #13, docs/erasure.md). A receipt row
// may now change exactly once, into its erased form, and only for an index
// that erasures names (written first, in the same transaction): the subject,
// JWS, chain hash and decision become empty, the two ids "erased:<index>",
// while log_index, site_id, server_time and method stay and payload becomes
// the residue signed by the erasure receipt. Its leaf stays in merkle_nodes,
// which still cannot change. An erasure row names an unerased receipt of a
// site and an erasure receipt (subject '#erasure') of the same site after it;
// erasures and erased_subjects are append-only. An acknowledgement may be
// deleted only once its receipt is erased.
constexpr const char* kSchemaV5 = R"sql(
CREATE TABLE erasures (
    log_index INTEGER PRIMARY KEY REFERENCES receipts (log_index),
    erasure_index INTEGER NOT NULL REFERENCES receipts (log_index)
);
CREATE INDEX erasures_by_erasure ON erasures (erasure_index);
CREATE TRIGGER erasures_no_update BEFORE UPDATE ON erasures
BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;
CREATE TRIGGER erasures_no_delete BEFORE DELETE ON erasures
BEGIN SELECT RAISE(ABORT, 'erasures are append-only'); END;
CREATE TRIGGER erasures_of_unerased_receipts BEFORE INSERT ON erasures
WHEN EXISTS (SELECT 1 FROM erasures WHERE log_index = NEW.log_index)
  OR NOT EXISTS (SELECT 1 FROM receipts AS r JOIN receipts AS e ON e.log_index = NEW.erasure_index
                 WHERE r.log_index = NEW.log_index AND r.site_id = e.site_id AND e.subject_id = '#erasure'
                   AND r.subject_id NOT IN ('', '#erasure') AND r.log_index < e.log_index)
BEGIN SELECT RAISE(ABORT, 'an erasure names an unerased receipt of its site'); END;

CREATE TABLE erased_subjects (
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    subject_tag TEXT NOT NULL,
    erasure_index INTEGER NOT NULL REFERENCES receipts (log_index),
    PRIMARY KEY (site_id, subject_tag, erasure_index)
) WITHOUT ROWID;
CREATE TRIGGER erased_subjects_no_update BEFORE UPDATE ON erased_subjects
BEGIN SELECT RAISE(ABORT, 'erased_subjects is append-only'); END;
CREATE TRIGGER erased_subjects_no_delete BEFORE DELETE ON erased_subjects
BEGIN SELECT RAISE(ABORT, 'erased_subjects is append-only'); END;

DROP TRIGGER receipts_no_update;
CREATE TRIGGER receipts_no_update BEFORE UPDATE ON receipts
WHEN NOT (OLD.subject_id NOT IN ('', '#erasure')
          AND EXISTS (SELECT 1 FROM erasures WHERE log_index = OLD.log_index)
          AND NEW.log_index IS OLD.log_index AND NEW.site_id IS OLD.site_id
          AND NEW.server_time IS OLD.server_time AND NEW.method IS OLD.method
          AND NEW.receipt_id IS 'erased:' || OLD.log_index AND NEW.decision_id IS 'erased:' || OLD.log_index
          AND NEW.subject_id IS '' AND NEW.jws IS '' AND NEW.prev_hash IS '' AND NEW.decision IS '')
BEGIN SELECT RAISE(ABORT, 'receipts are append-only'); END;

DROP TRIGGER acknowledgements_no_delete;
CREATE TRIGGER acknowledgements_no_delete BEFORE DELETE ON acknowledgements
WHEN NOT EXISTS (SELECT 1 FROM erasures WHERE log_index = OLD.log_index)
BEGIN SELECT RAISE(ABORT, 'acknowledgements are append-only'); END;

CREATE TABLE retention_policies (
    site_id TEXT PRIMARY KEY NOT NULL REFERENCES sites (site_id),
    keep_seconds INTEGER NOT NULL CHECK (keep_seconds >= 0)
) WITHOUT ROWID;
)sql";

// Version 6 (issue #11): merkle_tiles repeats the stored nodes 126 to a row
// (merkle_tiles.hpp), one 4 KiB page per tile, so that a proof reads a page
// per six levels. A tile is inserted once (the same guard against INSERT OR
// REPLACE), only once the node above it exists (it is complete), and never
// changes; the rowid is the tile level in the top byte and its index below
// (tile_id(), so that a lookup is one rowid descent). The migration builds
// the tiles of the nodes already stored (build_tiles_of_stored_log below).
constexpr const char* kSchemaV6 = R"sql(
CREATE TABLE merkle_tiles (
    tile_id INTEGER PRIMARY KEY,
    tile_level INTEGER NOT NULL CHECK (tile_level BETWEEN 0 AND 9),
    tile_index INTEGER NOT NULL CHECK (tile_index >= 0 AND tile_index < (1 << 56)),
    hashes BLOB NOT NULL CHECK (typeof(hashes) = 'blob' AND length(hashes) = 4032),
    CHECK (tile_id = ((tile_level << 56) | tile_index))
);
CREATE TRIGGER merkle_tiles_no_update BEFORE UPDATE ON merkle_tiles
BEGIN SELECT RAISE(ABORT, 'the Merkle log is append-only'); END;
CREATE TRIGGER merkle_tiles_no_delete BEFORE DELETE ON merkle_tiles
BEGIN SELECT RAISE(ABORT, 'the Merkle log is append-only'); END;
CREATE TRIGGER merkle_tiles_append_only BEFORE INSERT ON merkle_tiles
WHEN EXISTS (SELECT 1 FROM merkle_tiles WHERE tile_id = NEW.tile_id)
  OR NOT EXISTS (SELECT 1 FROM merkle_nodes WHERE level = NEW.tile_level * 6 + 6 AND idx = NEW.tile_index)
BEGIN SELECT RAISE(ABORT, 'the Merkle log is append-only'); END;
)sql";

// kMigrations[i] takes a file from version i to version i + 1.
constexpr const char* kMigrations[] = {kSchemaV1, kSchemaV2, kSchemaV3, kSchemaV4, kSchemaV5, kSchemaV6};
static_assert(static_cast<std::int64_t>(sizeof(kMigrations) / sizeof(kMigrations[0])) == kSchemaVersion,
              "one migration per schema version");

Error version_error(const std::string& message) { return make_error("storage.schema_version", message); }

// 0 for an empty file; otherwise the version recorded by the migration that made it.
Result<std::int64_t> stored_version(Connection& connection) {
    auto has_table =
        connection.query_int64("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'");
    if (!has_table) return has_table.error();
    if (*has_table == 0) {
        auto tables = connection.query_int64("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table'");
        if (!tables) return tables.error();
        if (*tables != 0) return version_error("the file is an SQLite database that consentd did not create");
        return 0;
    }
    auto rows = connection.query_int64("SELECT COUNT(*) FROM schema_version");
    if (!rows) return rows.error();
    if (*rows != 1) return version_error("the schema_version table must hold exactly one row");
    auto version = connection.query_int64("SELECT version FROM schema_version");
    if (version && *version < 1)
        return version_error("the database has schema version " + std::to_string(*version) +
                             ", which no consentd writes");
    return version;
}

Status check_supported(std::int64_t version) {
    const std::string found = "the database has schema version " + std::to_string(version);
    const std::string supported = "this consentd reads versions up to " + std::to_string(kSchemaVersion);
    if (version > kSchemaVersion) return version_error(found + ", written by a newer consentd; " + supported);
    return Unit{};
}

// A log stored before version 6 gets the tiles of its complete subtrees, in
// the migration's transaction: at 10^7 leaves that reads every stored node once.
Status build_tiles_of_stored_log(Connection& connection) {
    auto size = log_size(connection);
    if (!size) return size.error();
    return store_completed_tiles(connection, 0, *size);
}

Status apply_migrations(Connection& connection, std::int64_t from) {
    for (std::int64_t v = from; v < kSchemaVersion; ++v) {
        auto applied = connection.exec(kMigrations[v]);
        if (!applied) return applied.error();
        if (v + 1 == 6)
            if (auto tiled = build_tiles_of_stored_log(connection); !tiled) return tiled;
    }
    auto cleared = connection.exec("DELETE FROM schema_version");
    if (!cleared) return cleared.error();
    auto insert = connection.prepare("INSERT INTO schema_version (version) VALUES (?1)");
    if (!insert) return insert.error();
    return insert.value().bind(1, kSchemaVersion).run();
}

}  // namespace

Status configure_connection(Connection& connection, Role role, int busy_timeout_ms) {
    // Set first, so that the statements below already wait for a busy file.
    const std::string timeout = "PRAGMA busy_timeout = " + std::to_string(busy_timeout_ms);
    auto waited = connection.exec(timeout.c_str());
    if (!waited) return waited.error();
    // secure_delete: a deleted or overwritten cell is zeroed, so an erased
    // subject id (docs/erasure.md) is not left in a page's free space, on every
    // connection that writes (readers free nothing).
    auto pragmas = connection.exec("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL; PRAGMA secure_delete = ON");
    if (!pragmas) return pragmas.error();
    if (role == Role::reader) return Unit{};
    // Each append runs in a savepoint, whose undo pages SQLite keeps in a
    // statement journal. Past 64 KiB (one append touches about that many
    // pages: the receipt, its five indexes, state rows, Merkle nodes) the
    // journal spills to a temporary file, and every later append of the batch
    // writes its pages there too: measured, 3.5 times the write calls. In
    // memory it stays bounded by one append's pages, dropped at each RELEASE.
    auto in_memory = connection.exec("PRAGMA temp_store = MEMORY");
    if (!in_memory) return in_memory.error();
    auto mode = connection.query_text("PRAGMA journal_mode = WAL");
    if (!mode) return mode.error();
    if (*mode != "wal") return make_error("storage.sqlite_error", "the database could not switch to WAL mode");
    return Unit{};
}

Status migrate_schema(Connection& connection) {
    auto transaction = Transaction::begin(connection, Transaction::Mode::immediate);
    if (!transaction) return transaction.error();
    auto version = stored_version(connection);
    if (!version) return version.error();
    if (auto supported = check_supported(*version); !supported) return supported.error();
    if (*version == kSchemaVersion) return Unit{};
    auto migrated = apply_migrations(connection, *version);
    if (!migrated) return migrated.error();
    return transaction.value().commit();
}

}  // namespace consent::server::sqlite
