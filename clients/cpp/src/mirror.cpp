#include "consent_client/mirror.hpp"

#include <ctime>

#include "consent/consent/decision.hpp"
#include "consent/consent/state_json.hpp"

namespace consent::client {
namespace {

using nlohmann::json;
using std::chrono::milliseconds;

std::int64_t steady_ms() {
    return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

Result<std::pair<Notice, std::int64_t>> notice_of(const json& value) {
    if (!value.is_object() || !value.contains("notice") || !value.contains("last_material_version") ||
        !value["last_material_version"].is_number_integer())
        return make_error("client.bad_answer", "a notice without notice or last_material_version");
    auto notice = parse_notice(value["notice"]);
    if (!notice) return notice.error();
    return std::make_pair(std::move(notice).value(), value["last_material_version"].get<std::int64_t>());
}

}  // namespace

Mirror::Mirror(const std::string& base_url, const std::string& site, const std::string& api_key, MirrorOptions options,
               Options client_options)
    : options_(std::move(options)),
      client_(std::make_unique<Client>(base_url, site, api_key, client_options)),
      asking_client_(std::make_unique<Client>(base_url, site, api_key, client_options)) {}

Mirror::~Mirror() { stop(); }

bool Mirror::start(milliseconds timeout) {
    thread_ = std::thread([this] { run(); });
    return wait_for(-1, 0, timeout);
}

void Mirror::stop() {
    if (!thread_.joinable()) return;
    {
        std::lock_guard<std::mutex> lock(wait_mutex_);
        stopping_ = true;
    }
    changed_.notify_all();
    client_->stop_stream();
    thread_.join();
    live_until_ms_ = 0;
}

std::int64_t Mirror::now() const {
    return options_.clock ? options_.clock() : static_cast<std::int64_t>(std::time(nullptr));
}

bool Mirror::live() const { return steady_ms() < live_until_ms_.load(); }

Verdict Mirror::verdict(const std::string& subject, const std::string& purpose) const {
    if (!live()) {
        if (options_.fallback == MirrorOptions::Fallback::ask) {
            std::lock_guard<std::mutex> lock(asking_mutex_);
            if (auto asked = asking_client_->check(subject, purpose))
                return Verdict{asked->allowed, asked->reason, asked->receipt_id};
        }
        return Verdict{false, kMirrorStale, ""};
    }
    const std::int64_t at = now();
    std::shared_lock<std::shared_mutex> lock(state_mutex_);
    if (!table_.has_notice()) return Verdict{false, kMirrorStale, ""};
    return table_.verdict(subject, purpose, at);
}

bool Mirror::allowed(const std::string& subject, const std::string& purpose) const {
    return verdict(subject, purpose).allowed;
}

std::int64_t Mirror::event_id() const {
    std::shared_lock<std::shared_mutex> lock(state_mutex_);
    return event_id_;
}

std::int64_t Mirror::notice_version() const {
    std::shared_lock<std::shared_mutex> lock(state_mutex_);
    return table_.notice_version();
}

std::size_t Mirror::subjects() const {
    std::shared_lock<std::shared_mutex> lock(state_mutex_);
    return table_.subjects();
}

std::vector<Error> Mirror::errors() const {
    std::shared_lock<std::shared_mutex> lock(state_mutex_);
    return errors_;
}

bool Mirror::wait_for(std::int64_t event_id, std::int64_t notice_version, milliseconds timeout) const {
    std::unique_lock<std::mutex> lock(wait_mutex_);
    return changed_.wait_for(lock, timeout, [&] {
        return live() && this->event_id() >= event_id && this->notice_version() >= notice_version;
    });
}

void Mirror::note(const Error& e) {
    std::unique_lock<std::shared_mutex> lock(state_mutex_);
    if (errors_.size() < 100) errors_.push_back(e);
}

void Mirror::touch() {
    live_until_ms_ = steady_ms() + options_.stale_after.count();
    { std::lock_guard<std::mutex> lock(wait_mutex_); }  // a waiter between its check and its wait sees this
    changed_.notify_all();
}

void Mirror::run() {
    bool loaded = false;
    auto backoff = options_.reconnect;
    while (!stopping_) {
        Status step = Unit{};
        try {
            step = loaded ? Status(Unit{}) : load_snapshot();
            if (step) {
                loaded = true;
                if (!pending_acks_.empty()) acknowledge_pending();  // the withdrawal the snapshot held
                step = follow();
                if (step) backoff = options_.reconnect;
            }
        } catch (const std::exception& e) {  // an answer of the wrong shape (json's type errors)
            step = make_error("client.bad_answer", e.what());
        }
        if (!step) note(step.error());
        live_until_ms_ = 0;  // cut: deny until the stream is back
        changed_.notify_all();
        if (resync_) {  // an erasure this mirror cannot apply: reload at once, stale until then
            resync_ = false;
            loaded = false;
            continue;
        }
        std::unique_lock<std::mutex> lock(wait_mutex_);
        if (changed_.wait_for(lock, backoff, [this] { return stopping_.load(); })) return;
        backoff = std::min(backoff * 2, milliseconds(5000));
    }
}

// Every page at the first page's event id: the state exactly as of that event.
Status Mirror::load_snapshot() {
    StateTable table;
    std::string held_withdrawal;
    std::int64_t at = -1;
    std::optional<std::int64_t> page_at;
    std::string after;
    for (;;) {
        auto page = client_->snapshot_page(page_at, after, options_.page_limit);
        if (!page) return page.error();
        if (!table.has_notice()) {
            auto n = notice_of((*page)["notice"]);
            if (!n) return n.error();
            table.set_notice(std::move(n->first), n->second);
            at = (*page)["event_id"].get<std::int64_t>();
            // The site's newest withdrawal this snapshot holds: applied by loading it, so acknowledged
            // (a backend started after it would otherwise show as behind until the next one).
            const json& held = page->value("newest_withdrawal", json());
            if (!options_.backend.empty() && held.is_object() && held.contains("receipt_id"))
                held_withdrawal = held["receipt_id"].get<std::string>();
        }
        for (const auto& row : (*page)["subjects"]) {
            auto state = parse_subject_state(row["state"]);
            if (!state) return state.error();
            table.put_state(row["subject"].get<std::string>(), std::move(state).value());
        }
        const json& next = (*page)["next"];
        if (!next.is_object()) break;
        page_at = next["at"].get<std::int64_t>();
        after = next["after"].get<std::string>();
    }
    std::unique_lock<std::shared_mutex> lock(state_mutex_);
    table_ = std::move(table);
    event_id_ = at;
    if (!held_withdrawal.empty()) pending_acks_.push_back(std::move(held_withdrawal));
    return Unit{};
}

Status Mirror::follow() {
    return client_->events(
        event_id(), true, options_.stale_after, [this](const Event& e) { return on_event(e); },
        [this] {
            if (stopping_) return false;
            touch();
            return true;
        });
}

bool Mirror::on_event(const Event& event) {
    if (stopping_) return false;
    if (event.type == "receipt" && event.id && event.data.is_object()) {
        apply_receipt(event.data, *event.id);
    } else if (event.type == "erasure" && event.id && event.data.is_object()) {
        if (!apply_erasure(event.data, *event.id)) return false;
    } else if (event.type == "notice" && event.data.is_object()) {
        auto n = notice_of(event.data);
        if (!n) {
            note(n.error());
            return false;  // a notice this mirror cannot read: reconnect rather than answer on the old one
        }
        std::unique_lock<std::shared_mutex> lock(state_mutex_);
        table_.set_notice(std::move(n->first), n->second);
    }
    if (!pending_acks_.empty()) acknowledge_pending();
    touch();
    return true;
}

void Mirror::apply_receipt(const json& data, std::int64_t id) {
    auto decision = parse_decision(data.value("decision", json()));
    if (!decision) {
        note(decision.error());
        return;
    }
    const std::string subject = data.value("subject", "");
    const std::string receipt_id = data.value("receipt_id", "");
    const std::int64_t decided_at = data.value("server_time", std::int64_t{0});
    std::unique_lock<std::shared_mutex> lock(state_mutex_);
    const bool acknowledge = table_.apply(subject, *decision, decided_at, receipt_id);
    event_id_ = id;
    if (!options_.backend.empty() && acknowledge) pending_acks_.push_back(receipt_id);
}

// The erased subjects are forgotten, so they answer no_decision as consentd's
// checks do. Without subjects the states may still hold one: answer nothing
// (stale) until the snapshot is reloaded.
bool Mirror::apply_erasure(const json& data, std::int64_t id) {
    const auto subjects = data.find("subjects");
    if (subjects == data.end() || !subjects->is_array()) {
        live_until_ms_ = 0;
        resync_ = true;
        return false;
    }
    std::unique_lock<std::shared_mutex> lock(state_mutex_);
    for (const auto& subject : *subjects)
        if (subject.is_string()) table_.forget(subject.get<std::string>());
    event_id_ = id;
    return true;
}

void Mirror::acknowledge_pending() {
    std::vector<std::string> receipts;
    receipts.swap(pending_acks_);
    auto sent = client_->acknowledge(options_.backend, receipts);
    if (sent) return;
    note(sent.error());
    receipts.insert(receipts.end(), pending_acks_.begin(), pending_acks_.end());
    pending_acks_ = std::move(receipts);  // the next event tries again
}

}  // namespace consent::client
