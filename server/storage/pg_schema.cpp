#include "storage/pg_schema.hpp"

#include <string>

namespace consent::server::pg {
namespace {

// Receipts, Merkle nodes and checkpoints are append-only for every role that
// connects (DESIGN.md "Receipts are never updated"): UPDATE, DELETE and
// TRUNCATE raise. An INSERT must extend the log at its end (the log is
// gapless from 0), a node is a leaf of an existing receipt or the parent of an
// existing right child, a checkpoint is of a larger tree no larger than the
// log. Row-level BEFORE triggers see the rows that earlier rows of the same
// multi-row INSERT added, so a batch of receipts passes row by row.
// Subject ids compare as bytes (COLLATE "C"), as in the SQLite file, whatever
// the database's locale: snapshot pages continue after a subject id in that order.
// Acknowledgements and the API keys' backend (the SQLite file's versions 3
// and 4) are in version 1 too: no PostgreSQL store was released without them
// (the schema came before the store that writes it).
// log_state holds the log's size: every writer locks this one row (SELECT …
// FOR UPDATE) for the length of its batch's transaction and no longer.
constexpr const char* kSchemaV1 = R"sql(
CREATE TABLE schema_version (version BIGINT NOT NULL);

CREATE TABLE sites (
    site_id TEXT PRIMARY KEY,
    allowed_origins TEXT NOT NULL,
    subject_token_keys TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL
);

CREATE TABLE notices (
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    version BIGINT NOT NULL CHECK (version >= 1),
    notice_id TEXT NOT NULL,
    material BOOLEAN NOT NULL,
    content_hash TEXT NOT NULL,
    canonical_json TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, version)
);

CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY,
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    key_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    -- The backend the key speaks for (issue #15's registry); NULL for a site-wide key.
    backend TEXT CHECK (backend IS NULL OR length(backend) BETWEEN 1 AND 64)
);
CREATE INDEX api_keys_by_backend ON api_keys (site_id, backend) WHERE backend IS NOT NULL;

CREATE TABLE log_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL CHECK (size >= 0)
);
INSERT INTO log_state (id, size) VALUES (1, 0);

CREATE TABLE receipts (
    log_index BIGINT PRIMARY KEY CHECK (log_index >= 0),
    receipt_id TEXT NOT NULL UNIQUE,
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    subject_id TEXT COLLATE "C" NOT NULL,
    decision_id TEXT NOT NULL,
    server_time BIGINT NOT NULL,
    jws TEXT NOT NULL,
    payload TEXT NOT NULL,
    method TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    decision TEXT NOT NULL,
    UNIQUE (site_id, decision_id)
);
CREATE INDEX receipts_by_subject ON receipts (site_id, subject_id, log_index);
CREATE INDEX receipts_by_site ON receipts (site_id, log_index);
CREATE INDEX receipts_by_time ON receipts (site_id, server_time, log_index);

CREATE TABLE current_state (
    site_id TEXT NOT NULL,
    subject_id TEXT COLLATE "C" NOT NULL,
    purpose TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('granted', 'denied')),
    method TEXT NOT NULL,
    notice_id TEXT NOT NULL,
    notice_version BIGINT NOT NULL,
    decided_at BIGINT NOT NULL,
    receipt_id TEXT NOT NULL REFERENCES receipts (receipt_id),
    PRIMARY KEY (site_id, subject_id, purpose)
);

CREATE TABLE merkle_nodes (
    level INTEGER NOT NULL CHECK (level BETWEEN 0 AND 62),
    idx BIGINT NOT NULL CHECK (idx >= 0),
    hash BYTEA NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, idx)
);

CREATE TABLE checkpoints (
    tree_size BIGINT PRIMARY KEY CHECK (tree_size >= 1),
    root BYTEA NOT NULL CHECK (length(root) = 32),
    timestamp BIGINT NOT NULL,
    note TEXT NOT NULL
);

-- Acknowledgements (issue #15): evidence like the receipts, never changed; the
-- store inserts with ON CONFLICT DO NOTHING, so the first time stands.
CREATE TABLE acknowledgements (
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    backend TEXT NOT NULL,
    receipt_id TEXT NOT NULL REFERENCES receipts (receipt_id),
    subject_id TEXT COLLATE "C" NOT NULL,
    log_index BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    acknowledged_at BIGINT NOT NULL,
    PRIMARY KEY (site_id, backend, receipt_id)
);
CREATE INDEX acknowledgements_by_subject ON acknowledgements (site_id, subject_id, log_index);

CREATE FUNCTION consent_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;

CREATE FUNCTION consent_receipt_at_end() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.log_index IS DISTINCT FROM (SELECT COALESCE(MAX(log_index) + 1, 0) FROM receipts) THEN
    RAISE EXCEPTION 'receipts are append-only: log index % is not the end of the log', NEW.log_index;
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION consent_node_complete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (NEW.level = 0 AND NOT EXISTS (SELECT 1 FROM receipts WHERE log_index = NEW.idx))
     OR (NEW.level > 0 AND NOT EXISTS
         (SELECT 1 FROM merkle_nodes WHERE level = NEW.level - 1 AND idx = 2 * NEW.idx + 1)) THEN
    RAISE EXCEPTION 'the Merkle log is append-only: node (%, %) is not complete', NEW.level, NEW.idx;
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION consent_checkpoint_grows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.tree_size <= (SELECT COALESCE(MAX(tree_size), 0) FROM checkpoints)
     OR NEW.tree_size > (SELECT COALESCE(MAX(log_index) + 1, 0) FROM receipts) THEN
    RAISE EXCEPTION 'checkpoints are append-only: tree size % does not extend them', NEW.tree_size;
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER receipts_no_change BEFORE UPDATE OR DELETE ON receipts
  FOR EACH ROW EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON receipts
  FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER receipts_append_at_end BEFORE INSERT ON receipts
  FOR EACH ROW EXECUTE FUNCTION consent_receipt_at_end();
CREATE TRIGGER merkle_nodes_no_change BEFORE UPDATE OR DELETE ON merkle_nodes
  FOR EACH ROW EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER merkle_nodes_no_truncate BEFORE TRUNCATE ON merkle_nodes
  FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER merkle_nodes_complete BEFORE INSERT ON merkle_nodes
  FOR EACH ROW EXECUTE FUNCTION consent_node_complete();
CREATE TRIGGER checkpoints_no_change BEFORE UPDATE OR DELETE ON checkpoints
  FOR EACH ROW EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER checkpoints_no_truncate BEFORE TRUNCATE ON checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER checkpoints_grow BEFORE INSERT ON checkpoints
  FOR EACH ROW EXECUTE FUNCTION consent_checkpoint_grows();
CREATE FUNCTION consent_acknowledges_a_receipt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM receipts WHERE receipt_id = NEW.receipt_id AND site_id = NEW.site_id
                 AND subject_id = NEW.subject_id AND log_index = NEW.log_index) THEN
    RAISE EXCEPTION 'an acknowledgement names a receipt of its site';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER acknowledgements_no_change BEFORE UPDATE OR DELETE ON acknowledgements
  FOR EACH ROW EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER acknowledgements_no_truncate BEFORE TRUNCATE ON acknowledgements
  FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER acknowledgements_of_a_receipt BEFORE INSERT ON acknowledgements
  FOR EACH ROW EXECUTE FUNCTION consent_acknowledges_a_receipt();
CREATE TRIGGER log_state_no_delete BEFORE DELETE ON log_state
  FOR EACH ROW EXECUTE FUNCTION consent_append_only();
)sql";

// Version 2: erasure and retention (issue #13, docs/erasure.md), the SQLite
// file's version 5 in PL/pgSQL. A receipt row may change exactly once, into
// its erased form, and only for an index that erasures names (written first,
// in the same transaction): the subject, JWS, chain hash and decision become
// empty, the two ids "erased:<index>", while log_index, site_id, server_time
// and method stay and payload becomes the residue the erasure receipt signed.
// Its leaf stays in merkle_nodes, which still cannot change. An erasure row
// names a receipt of a site and an erasure receipt (subject '#erasure') of the
// same site after it; erasures and erased_subjects are append-only. An
// acknowledgement may be deleted only once its receipt is erased.
// One difference from the SQLite rule: the named receipt may already be in
// its erased form (never twice: log_index is the key). consentctl migrate
// copies an SQLite log whose erased rows arrive erased; the UPDATE rule
// still lets no row become erased without an erasures row naming it first.
constexpr const char* kSchemaV2 = R"sql(
CREATE TABLE erasures (
    log_index BIGINT PRIMARY KEY REFERENCES receipts (log_index),
    erasure_index BIGINT NOT NULL REFERENCES receipts (log_index)
);
CREATE INDEX erasures_by_erasure ON erasures (erasure_index);

CREATE TABLE erased_subjects (
    site_id TEXT NOT NULL REFERENCES sites (site_id),
    subject_tag TEXT NOT NULL,
    erasure_index BIGINT NOT NULL REFERENCES receipts (log_index),
    PRIMARY KEY (site_id, subject_tag, erasure_index)
);

CREATE TABLE retention_policies (
    site_id TEXT PRIMARY KEY REFERENCES sites (site_id),
    keep_seconds BIGINT NOT NULL CHECK (keep_seconds >= 0)
);

CREATE FUNCTION consent_erasure_names_a_receipt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM receipts AS r JOIN receipts AS e ON e.log_index = NEW.erasure_index
                 WHERE r.log_index = NEW.log_index AND r.site_id = e.site_id AND e.subject_id = '#erasure'
                   AND r.subject_id <> '#erasure' AND r.log_index < e.log_index
                   AND (r.subject_id <> '' OR (r.jws = '' AND r.receipt_id = 'erased:' || r.log_index))) THEN
    RAISE EXCEPTION 'an erasure names an unerased receipt of its site: log index % by %',
      NEW.log_index, NEW.erasure_index;
  END IF;
  RETURN NEW;
END $$;

CREATE FUNCTION consent_receipt_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.subject_id NOT IN ('', '#erasure')
     AND EXISTS (SELECT 1 FROM erasures WHERE log_index = OLD.log_index)
     AND NEW.log_index = OLD.log_index AND NEW.site_id = OLD.site_id
     AND NEW.server_time = OLD.server_time AND NEW.method = OLD.method
     AND NEW.receipt_id = 'erased:' || OLD.log_index AND NEW.decision_id = 'erased:' || OLD.log_index
     AND NEW.subject_id = '' AND NEW.jws = '' AND NEW.prev_hash = '' AND NEW.decision = '' THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'receipts are append-only: log index % may change only into its erased form, once', OLD.log_index;
END $$;

CREATE FUNCTION consent_acknowledgement_of_erased() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF EXISTS (SELECT 1 FROM erasures WHERE log_index = OLD.log_index) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'acknowledgements are append-only: receipt % is not erased', OLD.receipt_id;
END $$;

CREATE TRIGGER erasures_no_change BEFORE UPDATE OR DELETE ON erasures
  FOR EACH ROW EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER erasures_no_truncate BEFORE TRUNCATE ON erasures
  FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER erasures_of_receipts BEFORE INSERT ON erasures
  FOR EACH ROW EXECUTE FUNCTION consent_erasure_names_a_receipt();
CREATE TRIGGER erased_subjects_no_change BEFORE UPDATE OR DELETE ON erased_subjects
  FOR EACH ROW EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER erased_subjects_no_truncate BEFORE TRUNCATE ON erased_subjects
  FOR EACH STATEMENT EXECUTE FUNCTION consent_append_only();

DROP TRIGGER receipts_no_change ON receipts;
CREATE TRIGGER receipts_no_delete BEFORE DELETE ON receipts
  FOR EACH ROW EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER receipts_only_erased BEFORE UPDATE ON receipts
  FOR EACH ROW EXECUTE FUNCTION consent_receipt_erased();

DROP TRIGGER acknowledgements_no_change ON acknowledgements;
CREATE TRIGGER acknowledgements_no_update BEFORE UPDATE ON acknowledgements
  FOR EACH ROW EXECUTE FUNCTION consent_append_only();
CREATE TRIGGER acknowledgements_only_erased BEFORE DELETE ON acknowledgements
  FOR EACH ROW EXECUTE FUNCTION consent_acknowledgement_of_erased();
)sql";

// kMigrations[i] takes a database from version i to version i + 1.
constexpr const char* kMigrations[] = {kSchemaV1, kSchemaV2};
static_assert(static_cast<std::int64_t>(sizeof(kMigrations) / sizeof(kMigrations[0])) == kSchemaVersion,
              "one migration per schema version");

Error version_error(const std::string& message) { return make_error("storage.schema_version", message); }

Result<std::int64_t> stored_version(Connection& c) {
    auto has_table = c.query("SELECT to_regclass('schema_version') IS NOT NULL");
    if (!has_table) return has_table.error();
    if (has_table->text(0, 0) != "t") {
        auto tables = c.query("SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema()");
        if (!tables) return tables.error();
        if (tables->int64(0, 0) != 0) return version_error("the database holds tables that consentd did not create");
        return 0;
    }
    auto rows = c.query("SELECT version FROM schema_version");
    if (!rows) return rows.error();
    if (rows->size() != 1) return version_error("the schema_version table must hold exactly one row");
    if (rows->int64(0, 0) < 1)
        return version_error("the database has schema version " + rows->text(0, 0) + ", which no consentd writes");
    return rows->int64(0, 0);
}

}  // namespace

Status migrate_schema(Connection& connection) {
    auto transaction = Transaction::begin(connection);
    if (!transaction) return transaction.error();
    // Any constant both replicas agree on: the second waits here until the first committed.
    if (auto locked = connection.exec_script("SELECT pg_advisory_xact_lock(7102026)"); !locked) return locked;
    auto version = stored_version(connection);
    if (!version) return version.error();
    if (*version > kSchemaVersion)
        return version_error("the database has schema version " + std::to_string(*version) +
                             ", written by a newer consentd; this consentd reads versions up to " +
                             std::to_string(kSchemaVersion));
    if (*version == kSchemaVersion) return transaction.value().commit();
    // Each step in the one transaction: a database is at one version or the next, never between.
    for (std::int64_t v = *version; v < kSchemaVersion; ++v)
        if (auto applied = connection.exec_script(kMigrations[v]); !applied) return applied;
    const char* record =
        *version == 0 ? "INSERT INTO schema_version (version) VALUES ($1)" : "UPDATE schema_version SET version = $1";
    if (auto recorded = connection.run(record, {param(kSchemaVersion)}); !recorded) return recorded;
    return transaction.value().commit();
}

}  // namespace consent::server::pg
