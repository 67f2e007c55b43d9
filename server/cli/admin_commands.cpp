#include "cli/admin_commands.hpp"
#include "cli/verify_command.hpp"

#include <algorithm>
#include <array>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "consent/consent/text_rules.hpp"
#include "consent/crypto/encoding.hpp"
#include "consent/json/canonical_json.hpp"
#include "crypto/key_ring.hpp"
#include "crypto/site_secrets.hpp"
#include "http/api_keys.hpp"
#include "http/error_registry.hpp"
#include "service/acknowledgements.hpp"
#include "service/consent_service.hpp"
#include "storage/pg_migrate.hpp"
#include "storage/pg_store.hpp"
#include "storage/site_cache.hpp"
#include "storage/sqlite_backup.hpp"
#include "storage/sqlite_foreign_writes.hpp"
#include "storage/sqlite_store.hpp"
#include "storage/store_opener.hpp"

namespace consent::cli {
namespace {

using nlohmann::json;
using namespace consent::server;

constexpr int kExitUsage = 64;
constexpr int kExitDataErr = 65;
constexpr int kExitTempFail = 75;  // EX_TEMPFAIL: the database was busy, locked or full
constexpr int kExitNoInput = 66;

std::int64_t unix_now() { return static_cast<std::int64_t>(std::time(nullptr)); }

// --name=value options (repeatable ones collect every value) and positional words.
struct Args {
    std::map<std::string, std::vector<std::string>> options;
    std::vector<std::string> words;
    std::string get(const std::string& name, const std::string& fallback = "") const {
        const auto it = options.find(name);
        return it == options.end() || it->second.empty() ? fallback : it->second.back();
    }
};

Args split(const std::vector<std::string>& raw) {
    Args a;
    for (const auto& s : raw) {
        if (s.rfind("--", 0) == 0) {
            const auto eq = s.find('=');
            a.options[s.substr(2, eq == std::string::npos ? std::string::npos : eq - 2)].push_back(
                eq == std::string::npos ? "" : s.substr(eq + 1));
        } else {
            a.words.push_back(s);
        }
    }
    return a;
}

Outcome fail(int code, const std::string& message) { return {code, {}, message}; }
Outcome fail(const Error& e) {
    const bool missing = e.code == "cli.no_database" || e.code == "keys.missing_dir";
    // sysexits.h EX_TEMPFAIL: a busy or full database; a script may run the command again.
    const int code = missing ? kExitNoInput : e.code == "storage.unavailable" ? kExitTempFail : kExitDataErr;
    return {code, {}, e.code + (e.path.empty() ? "" : " at " + e.path) + ": " + e.message};
}

// One line of admin_usage() for a command word, for a one-line usage error.
std::string command_usage(const std::string& cmd) {
    std::istringstream lines(admin_usage());
    for (std::string line; std::getline(lines, line);) {
        const auto start = line.find("consentctl " + cmd + " ");
        if (start != std::string::npos) return "usage: " + line.substr(start) + " (try: consentctl help)";
    }
    return "usage: consentctl " + cmd + " … (try: consentctl help)";
}

// An unknown or empty option is an error, not silently ignored: "--orgin=…"
// would otherwise add a site without origins, "--database=" open a temporary database.
std::string check_options(const Args& a) {
    for (const auto& [name, values] : a.options) {
        if (name == "check" || name == "markdown" || name == "dry-run") {
            if (values.size() != 1 || !values.front().empty()) return "--" + name + " takes no value";
            continue;
        }
        if (name != "database" && name != "keys" && name != "site" && name != "origin" && name != "subject" &&
            name != "checkpoint" && name != "consistency" && name != "receipt" && name != "to" && name != "from" &&
            name != "backend" && name != "reason" && name != "keep-days")
            return "unknown option --" + name + " (try: consentctl help)";
        for (const auto& v : values)
            if (v.empty()) return "--" + name + " needs a value: --" + name + "=…";
    }
    return {};
}

// Only init creates a database; any other command opening a missing file would
// create an empty one and answer about it ("rebuild --check" would say all is well).
// A postgresql://… URL names a database the operator created: every command
// may open it (the schema is made on first use, as consentd does).
Result<std::unique_ptr<ReceiptStore>> open_store(const Args& a, bool create = false) {
    const std::string path = a.get("database", "consentd.db");
    std::error_code ec;
    if (!create && !is_postgresql_url(path) && !std::filesystem::exists(path, ec))
        return make_error("cli.no_database", "no database at " + path + " (run consentctl init first)");
    return server::open_store(path, unix_now);
}

Result<json> read_json_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error("cli.cannot_read", "cannot read " + path);
    std::ostringstream text;
    text << in.rdbuf();
    return parse_json_strict(text.str());
}

// A site lookup that failed: "no site" when there is none, the store's own
// error (a busy file exits 75) when it could not look.
Outcome no_site(const Error& lookup, const std::string& site_id) {
    return is_not_found(lookup) ? fail(kExitDataErr, "no site " + site_id) : fail(lookup);
}

Outcome add_site(ReceiptStore& store, const std::string& site_id, const std::vector<std::string>& origins) {
    if (!is_notice_id(site_id)) return fail(kExitUsage, "site id must match [a-z0-9][a-z0-9_-]* (at most 64)");
    for (const auto& o : origins)
        if (!is_origin(o)) return fail(kExitUsage, "not an origin (scheme://host[:port]): " + o);
    if (auto found = store.site(site_id); found) return fail(kExitDataErr, "site " + site_id + " already exists");
    else if (!is_not_found(found.error())) return fail(found.error());
    if (auto s = store.put_site(Site{site_id, origins, unix_now(), {}}); !s) return fail(s.error());
    return {0, "site " + site_id + " added", {}};
}

Outcome publish(ReceiptStore& store, const KeyRing& keys, const std::string& site_id, const std::string& file) {
    auto body = read_json_file(file);
    if (!body)
        return body.error().code == "cli.cannot_read" ? fail(kExitNoInput, body.error().message) : fail(body.error());
    ConsentService service(store, keys, unix_now);
    auto stored = service.publish_notice(site_id, *body);
    if (!stored) return fail(stored.error());
    return {0,
            "notice " + stored->notice.notice_id + " version " + std::to_string(stored->notice.version) +
                " published for site " + site_id + ", sha256 " + stored->content_hash,
            {}};
}

// backend: a key registered for one backend (its acknowledgements carry that
// name only; the operator view lists the backend from now on).
Outcome create_key(ReceiptStore& store, const std::string& site_id, const std::string& backend) {
    if (auto found = store.site(site_id); !found) return no_site(found.error(), site_id);
    const NewApiKey key = make_api_key(site_id, unix_now(), backend);
    if (auto s = store.put_api_key(key.record); !s) return fail(s.error());
    const std::string bound = backend.empty() ? "" : ", backend " + backend;
    return {0, key.plaintext,
            "API key " + key.record.key_id + " for site " + site_id + bound + " (shown once; store it now)"};
}

// Safe to run again: existing keys are kept, and a site that exists with the
// same origins is left as it is. Arguments are checked before anything is written.
Outcome init(const Args& a) {
    const std::string key_dir = a.get("keys", "consentd-keys");
    const std::string site = a.get("site");
    const auto origins = a.options.count("origin") ? a.options.at("origin") : std::vector<std::string>{};
    if (site.empty() && !origins.empty()) return fail(kExitUsage, "--origin needs --site=ID");
    if (!site.empty() && !is_notice_id(site))
        return fail(kExitUsage, "site id must match [a-z0-9][a-z0-9_-]* (at most 64)");
    for (const auto& o : origins)
        if (!is_origin(o)) return fail(kExitUsage, "not an origin (scheme://host[:port]): " + o);
    auto existing = KeyRing::load(key_dir);
    if (!existing) {
        auto kid = KeyRing::create_key(key_dir, unix_now());
        if (!kid) return fail(kid.error());
    }
    auto store = open_store(a, true);
    if (!store) return fail(store.error());
    if (site.empty()) return {0, "database and keys ready", {}};
    if (auto found = (*store)->site(site)) {
        if (found->allowed_origins != origins)
            return fail(kExitDataErr, "site " + site + " already exists with other origins");
        return {0, "database and keys ready; site " + site + " already exists", {}};
    } else if (!is_not_found(found.error())) {
        return fail(found.error());
    }
    auto added = add_site(**store, site, origins);
    if (added.exit_code != 0) return added;
    return {0, added.out, {}};
}

Outcome with_store_and_keys(const Args& a, const std::function<Outcome(ReceiptStore&, const KeyRing&)>& f) {
    auto keys = KeyRing::load(a.get("keys", "consentd-keys"));
    if (!keys) return fail(keys.error());
    auto store = open_store(a);
    if (!store) return fail(store.error());
    return f(**store, *keys);
}

Outcome with_store(const Args& a, const std::function<Outcome(ReceiptStore&)>& f) {
    auto store = open_store(a);
    if (!store) return fail(store.error());
    return f(**store);
}

// The site's backend keeps the private half; only the public key is stored here.
Outcome add_subject_key(ReceiptStore& store, const std::string& site_id, const std::string& public_key) {
    auto found = store.site(site_id);
    if (!found) return no_site(found.error(), site_id);
    Site site = std::move(found).value();
    auto bytes = base64url_decode(public_key);
    if (!bytes || bytes->size() != kEd25519PublicKeySize)
        return fail(kExitUsage, "PUBLIC_KEY must be 32 bytes of unpadded base64url (an Ed25519 public key)");
    std::array<std::uint8_t, kEd25519PublicKeySize> key{};
    std::copy(bytes->begin(), bytes->end(), key.begin());
    if (std::find(site.subject_token_keys.begin(), site.subject_token_keys.end(), public_key) ==
        site.subject_token_keys.end())
        site.subject_token_keys.push_back(public_key);
    if (auto s = store.put_site(site); !s) return fail(s.error());
    // A running consentd reads its sites again within kSiteCacheFor (site_cache.hpp): when this
    // returns, it accepts tokens of the new key.
    static_assert(kSiteCacheFor <= sqlite::ForeignWriteWatch::kPeriod * 2, "the wait below outlasts the site cache");
    sqlite::wait_for_running_consentd();
    return {0, "subject tokens for site " + site_id + " may now be signed by kid " + ed25519_jwk_thumbprint(key), {}};
}

// The registry every error answer goes through (error_registry.hpp): one
// line per code, or the Markdown page docs/errors.md is generated from.
Outcome list_errors(bool markdown) {
    if (markdown) {
        std::string page = error_registry_markdown();
        page.pop_back();  // the caller adds the final newline
        return {0, page, {}};
    }
    std::string out;
    for (const auto& e : error_registry())
        out += std::string(e.code) + " " + (e.status == 0 ? std::string("cli") : std::to_string(e.status)) +
               (e.retryable ? " retryable" : "") + "\n";
    out.pop_back();
    return {0, out, {}};
}

// Safe while consentd runs: the copy is one snapshot (storage/sqlite_backup.hpp).
Outcome backup(const Args& a) {
    if (is_postgresql_url(a.get("database")))
        return fail(kExitUsage,
                    "backup copies an SQLite file; back a PostgreSQL database up with pg_dump or its "
                    "replication (docs/replicas.md)");
    auto copied = backup_database(a.get("database", "consentd.db"), a.get("to"));
    if (!copied) {
        const bool missing = copied.error().code == "backup.no_source";
        return {missing ? kExitNoInput : kExitDataErr, {}, copied.error().code + ": " + copied.error().message};
    }
    return {0,
            "backup of " + std::to_string(copied->receipts) + " receipts (schema version " +
                std::to_string(copied->schema_version) + ", " + std::to_string(copied->bytes) + " bytes) written to " +
                a.get("to") + "; integrity ok",
            {}};
}

// An SQLite store copied into an empty PostgreSQL database (storage/pg_migrate.hpp);
// `consentctl audit --database=URL` then checks the copy.
Outcome migrate(const Args& a) {
    const std::string from = a.get("from");
    const std::string to = a.get("to");
    if (!is_postgresql_url(to)) return fail(kExitUsage, "--to must be a postgresql://… URL");
    std::error_code ec;
    if (!std::filesystem::exists(from, ec))
        return fail(kExitNoInput, "no database at " + from + " (--from names an SQLite file)");
    auto report = migrate_sqlite_to_postgresql(from, to);
    if (!report) return fail(report.error());
    std::string out = "migrated " + std::to_string(report->receipts) + " receipts, " +
                      std::to_string(report->checkpoints) + " checkpoints, " + std::to_string(report->sites) +
                      " sites and " + std::to_string(report->notices) + " notice versions from " + from + " to " +
                      database_for_display(to);
    if (report->latest)
        out += "\nlatest checkpoint: tree size " + std::to_string(report->latest->tree_size) + ", root " +
               hex_encode(report->latest->root.data(), report->latest->root.size());
    return {0, out + "\ncheck the copy: consentctl audit --database=<the URL> --keys=…", {}};
}

// Erasure and retention (issue #13, docs/erasure.md), through the service as consentd does.
Outcome with_erasure_service(const Args& a, const std::function<Outcome(ConsentService&)>& f) {
    return with_store_and_keys(a, [&](ReceiptStore& s, const KeyRing& k) {
        ConsentService service(s, k, unix_now);
        SiteSecrets secrets(a.get("keys", "consentd-keys"));
        service.set_site_secrets(secrets);
        return f(service);
    });
}

Outcome erase(const Args& a) {
    return with_erasure_service(a, [&](ConsentService& service) -> Outcome {
        auto answer = service.erase_subject(a.get("site"), a.get("subject"), a.get("reason"), "consentctl");
        if (!answer) return fail(answer.error());
        if (!answer->replayed) sqlite::wait_for_running_consentd();  // its checks say no_decision when this returns
        if (answer->replayed)
            return {0,
                    "already erased by erasure receipt " + answer->receipt.receipt_id + " at log index " +
                        std::to_string(answer->receipt.log_index),
                    {}};
        return {0,
                "erased " + std::to_string(answer->erased) + " receipts; erasure receipt " +
                    answer->receipt.receipt_id + " at log index " + std::to_string(answer->receipt.log_index) +
                    "; every leaf hash stays in the log",
                {}};
    });
}

Outcome retention_set(const Args& a) {
    const std::string days = a.get("keep-days");
    if (days.empty() || days.size() > 6 || !std::all_of(days.begin(), days.end(), ::isdigit))
        return fail(kExitUsage, "--keep-days=N: a number of days from 0 to 999999");
    return with_erasure_service(a, [&](ConsentService& service) -> Outcome {
        if (auto s = service.set_retention(a.get("site"), std::stoll(days) * 86400); !s) return fail(s.error());
        return {0, "site " + a.get("site") + " keeps receipts " + days + " days after they stop being in force", {}};
    });
}

Outcome retention_apply(const Args& a) {
    const bool dry_run = a.options.count("dry-run") > 0;
    return with_erasure_service(a, [&](ConsentService& service) -> Outcome {
        auto run = service.apply_retention(a.get("site"), dry_run);
        if (!run) return fail(run.error());
        std::string indices;
        for (const auto i : run->due_indices) indices += (indices.empty() ? "" : ",") + std::to_string(i);
        const std::string due = std::to_string(run->subjects_due) + " of " + std::to_string(run->subjects_checked) +
                                " subjects due (receipts at log indices " + (indices.empty() ? "none" : indices) + ")";
        if (dry_run) return {0, "dry run: " + due + "; nothing erased", {}};
        if (!run->erasures.empty()) sqlite::wait_for_running_consentd();
        return {0, due + "; erased with " + std::to_string(run->erasures.size()) + " erasure receipts", {}};
    });
}

Outcome dispatch(const std::string& cmd, const Args& a) {
    const auto word = [&a](std::size_t i) { return i < a.words.size() ? a.words[i] : std::string(); };
    if (cmd == "init") return init(a);
    if (cmd == "site" && word(1) == "add" && !word(2).empty())
        return with_store(a, [&](ReceiptStore& s) {
            return add_site(s, word(2),
                            a.options.count("origin") ? a.options.at("origin") : std::vector<std::string>{});
        });
    if (cmd == "site" && word(1) == "subject-key" && !word(2).empty() && !word(3).empty())
        return with_store(a, [&](ReceiptStore& s) { return add_subject_key(s, word(2), word(3)); });
    if (cmd == "notice" && word(1) == "publish" && !word(2).empty() && !a.get("site").empty())
        return with_store_and_keys(
            a, [&](ReceiptStore& s, const KeyRing& k) { return publish(s, k, a.get("site"), word(2)); });
    if (cmd == "apikey" && word(1) == "create" && !a.get("site").empty()) {
        const std::string backend = a.get("backend");
        if (a.options.count("backend") && !is_notice_id(backend))
            return fail(kExitUsage, "--backend must match [a-z0-9][a-z0-9_-]* (at most 64)");
        return with_store(a, [&](ReceiptStore& s) { return create_key(s, a.get("site"), backend); });
    }
    if (cmd == "apikey" && word(1) == "revoke" && !word(2).empty())
        return with_store(a, [&](ReceiptStore& s) -> Outcome {
            if (auto r = s.revoke_api_key(word(2), unix_now()); !r) return fail(r.error());
            sqlite::wait_for_running_consentd();  // a running consentd refuses the key when this returns
            return {0, "API key " + word(2) + " revoked", {}};
        });
    if (cmd == "keys" && word(1) == "rotate") {
        // Rotation needs an existing key directory: a mistyped --keys must not start a new ring.
        if (auto ring = KeyRing::load(a.get("keys", "consentd-keys")); !ring && ring.error().code == "keys.missing_dir")
            return fail(ring.error());
        auto kid = KeyRing::create_key(a.get("keys", "consentd-keys"), unix_now());
        if (!kid) return fail(kid.error());
        return {0, "new signing key " + *kid + " is active; earlier keys stay in the JWKS", {}};
    }
    if (cmd == "export" && !a.get("site").empty() && !a.get("subject").empty())
        return with_store_and_keys(a, [&](ReceiptStore& s, const KeyRing& k) -> Outcome {
            ConsentService service(s, k, unix_now);
            SiteSecrets secrets(a.get("keys", "consentd-keys"));
            service.set_site_secrets(secrets);
            auto bundle = service.export_subject(a.get("site"), a.get("subject"));
            if (!bundle) return fail(bundle.error());
            return {0, bundle->dump(2), {}};
        });
    if (cmd == "backends" && !a.get("site").empty() && a.words.size() == 1)
        return with_store(a, [&](ReceiptStore& s) -> Outcome {
            auto view = backend_positions(s, a.get("site"));
            if (!view) return fail(view.error());
            return {0, view->dump(2), {}};
        });
    if (cmd == "rebuild" && a.options.count("check"))
        return with_store(a, [](ReceiptStore& s) -> Outcome {
            if (auto r = s.rebuild_check(); !r) return fail(r.error());
            const auto count = s.receipt_count();
            if (!count) return fail(count.error());
            return {0, "current state equals the rebuild from " + std::to_string(*count) + " receipts", {}};
        });
    if (cmd == "verify" && !word(1).empty() && a.words.size() == 2)
        return run_verify(word(1), a.get("checkpoint"), a.get("consistency"),
                          a.options.count("receipt") ? a.options.at("receipt") : std::vector<std::string>{});
    if (cmd == "errors" && a.words.size() == 1) return list_errors(a.options.count("markdown") > 0);
    if (cmd == "audit")
        return with_store_and_keys(a, [](ReceiptStore& s, const KeyRing& k) { return run_audit(s, k); });
    if (cmd == "backup" && !a.get("to").empty() && a.words.size() == 1) return backup(a);
    if (cmd == "migrate" && !a.get("from").empty() && !a.get("to").empty() && a.words.size() == 1) return migrate(a);
    if (cmd == "erase" && !a.get("site").empty() && !a.get("subject").empty() && !a.get("reason").empty() &&
        a.words.size() == 1)
        return erase(a);
    if (cmd == "retention" && word(1) == "set" && !a.get("site").empty() && a.words.size() == 2)
        return retention_set(a);
    if (cmd == "retention" && word(1) == "apply" && !a.get("site").empty() && a.words.size() == 2)
        return retention_apply(a);
    return fail(kExitUsage, command_usage(cmd));
}

}  // namespace

bool is_admin_command(const std::string& command) {
    return command == "init" || command == "site" || command == "apikey" || command == "keys" || command == "export" ||
           command == "rebuild" || command == "notice" || command == "verify" || command == "audit" ||
           command == "errors" || command == "backup" || command == "backends" || command == "migrate" ||
           command == "erase" || command == "retention";
}

std::string admin_usage() {
    return "  consentctl init [--database=F] [--keys=DIR] [--site=ID --origin=https://…]\n"
           "  consentctl site add ID [--origin=https://…]…\n"
           "  consentctl site subject-key ID PUBLIC_KEY   register the site backend's Ed25519 key (base64url)\n"
           "  consentctl notice publish FILE --site=ID\n"
           "  consentctl apikey create --site=ID [--backend=NAME] | apikey revoke KEY_ID\n"
           "  consentctl keys rotate [--keys=DIR]\n"
           "  consentctl export --site=ID --subject=SUBJECT\n"
           "  consentctl backends --site=ID   each backend's newest acknowledged receipt; behind: not yet "
           "acknowledged\n"
           "                     the site's newest withdrawal (it has not said it stopped)\n"
           "  consentctl rebuild --check\n"
           "  consentctl verify BUNDLE [--checkpoint=OLD_NOTE --consistency=PROOF_JSON] [--receipt=HELD]…   check an "
           "export offline\n"
           "  consentctl audit   every receipt's columns match its signed JWS and its signature verifies, state\n"
           "                     equals the rebuild, the Merkle tree is the receipts', every checkpoint is signed\n"
           "  consentctl errors [--markdown]   every error code: HTTP status, retryable, meaning\n"
           "  consentctl backup --to=FILE   a consistent copy of the database, safe while consentd runs\n"
           "  consentctl erase --site=ID --subject=SUBJECT --reason=WORD   erase a subject's receipts; the log keeps "
           "their leaf hashes\n"
           "  consentctl retention set --site=ID --keep-days=N   keep receipts N days after they stop being in force\n"
           "  consentctl retention apply --site=ID [--dry-run]   erase (or list) what the period no longer keeps\n"
           "  consentctl migrate --from=FILE --to=postgresql://…   copy an SQLite store into an empty PostgreSQL "
           "database\n"
           "  (every command takes --database=F (default consentd.db) or --database=postgresql://… "
           "(docs/replicas.md),\n"
           "   and --keys=DIR (default consentd-keys))\n";
}

Outcome run_admin_command(const std::vector<std::string>& raw) {
    const Args a = split(raw);
    if (a.words.empty()) return fail(kExitUsage, "usage: consentctl COMMAND … (try: consentctl help)");
    if (const std::string bad = check_options(a); !bad.empty()) return fail(kExitUsage, bad);
    return dispatch(a.words[0], a);
}

}  // namespace consent::cli
