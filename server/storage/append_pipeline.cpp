#include "storage/append_pipeline.hpp"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <utility>

#include "consent/consent/decision.hpp"
#include "consent/log/receipt.hpp"

namespace consent::server {

// A subject's chain while receipts of it are in flight. Its hash is that of
// the subject's latest sequenced receipt, which is unknown while that receipt
// is being signed: the next one of the same subject waits for it (rare; two
// decisions of one visitor at once).
struct AppendPipeline::Head {
    enum class State { loading, known, sealing, failed };
    State state = State::loading;
    std::string hash;  // hex SHA-256 of the previous JWS, "" for a subject's first receipt
    int users = 0;     // threads holding it: loading, waiting, or with a receipt in flight
    std::condition_variable changed;
};

struct AppendPipeline::Entry {
    enum class State { sealing, sealed, writing, done, reseal };
    State state = State::sealing;
    const AppendRequest* request = nullptr;
    const std::string* decision_json = nullptr;
    std::shared_ptr<Head> head;
    std::string head_key;
    ReceiptSlot slot;
    StoredReceipt receipt;                // once sealed
    merkle::Hash leaf{};                  // its leaf hash, once sealed
    std::vector<merkle::Hash> inclusion;  // filled by the backend's write, if it can
    std::optional<Result<AppendOutcome>> outcome;
    std::condition_variable changed;
};

struct AppendPipeline::Claim {
    bool done = false;
    int waiters = 0;
    // Filled only when someone waits: the first request's decision and answer.
    std::optional<Decision> decision;
    std::optional<Result<AppendOutcome>> outcome;
    std::condition_variable changed;
};

namespace {

Error closed() { return make_error("storage.closed", "the store is shutting down"); }

// Reseal rounds one append may take before it answers storage.log_moved (503,
// retry): only a log that moves again and again, under every round, gets there.
constexpr int kMaxReseals = 100;

// Deliberately says nothing of the first receipt: not its subject, choices,
// method or id (the caller may be someone else who learnt or guessed the id).
Error id_conflict() {
    return make_error("decision.id_conflict",
                      "this decision id was already used for another decision: send this one under a new id",
                      "/decision_id");
}

// Site and subject ids are printable (the core checks them), so NUL cannot
// occur in either and the pair's key is unambiguous.
std::string pair_key(const std::string& a, const std::string& b) {
    std::string key;
    key.reserve(a.size() + 1 + b.size());
    key.append(a).push_back('\0');
    key.append(b);
    return key;
}

// The seal is the caller's code (the signer); an exception from it must not
// leave an index taken that no receipt will fill.
Result<SealedReceipt> call_seal(const SealFunction& seal, const ReceiptSlot& slot) {
    try {
        return seal(slot);
    } catch (const std::exception& e) {
        return make_error("storage.seal_failed", std::string("sealing the receipt failed: ") + e.what());
    } catch (...) {
        return make_error("storage.seal_failed", "sealing the receipt failed");
    }
}

StoredReceipt make_stored(const AppendRequest& request, const ReceiptSlot& slot, SealedReceipt sealed) {
    StoredReceipt r;
    r.log_index = slot.log_index;
    r.receipt_id = slot.receipt_id;
    r.site_id = request.site_id;
    r.subject_id = request.decision.subject_id;
    r.decision_id = request.decision.decision_id;
    r.server_time = slot.server_time;
    r.jws = std::move(sealed.jws);
    r.payload = std::move(sealed.payload);
    r.method = request.erasure ? std::string("erasure") : std::string(to_string(request.decision.method));
    return r;
}

Result<AppendOutcome> replay_of(const AppendOutcome& first, const Decision& recorded, const Decision& decision) {
    if (!is_retry_of(recorded, decision)) return id_conflict();
    return AppendOutcome{first.receipt, true, first.checkpoint, first.inclusion};
}

Result<std::optional<Checkpoint>> guarded_write(AppendBackend& backend, const std::vector<SealedAppend>& batch) {
    try {
        return backend.write_batch(batch);
    } catch (...) {
        // The backend rolls back as it unwinds, so nothing of the batch was acknowledged.
        return make_error("storage.commit_failed", "the batch was not committed");
    }
}

}  // namespace

Result<std::unique_ptr<AppendPipeline>> AppendPipeline::start(AppendBackend& backend, Clock clock,
                                                              std::size_t max_batch) {
    auto size = backend.load_log();
    if (!size) return size.error();
    return std::unique_ptr<AppendPipeline>(new AppendPipeline(backend, std::move(clock), max_batch, *size));
}

AppendPipeline::AppendPipeline(AppendBackend& backend, Clock clock, std::size_t max_batch, std::int64_t log_size)
    : backend_(backend),
      clock_(std::move(clock)),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      next_index_(log_size),
      written_index_(log_size),
      writer_([this] { run_writer(); }) {}

AppendPipeline::~AppendPipeline() {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    writer_wake_.notify_one();
    writer_.join();
}

std::vector<Decision> AppendPipeline::pending_decisions(const std::string& site_id,
                                                        const std::string& subject_id) const {
    if (pending_count_.load() == 0) return {};
    std::vector<std::pair<std::uint64_t, Decision>> found;
    {
        // Copied under the lock: a decision belongs to its caller, who may
        // return (and free it) as soon as its entry leaves pending_.
        std::lock_guard<std::mutex> lock(pending_mutex_);
        const auto range = pending_.equal_range(pair_key(site_id, subject_id));
        for (auto it = range.first; it != range.second; ++it) found.emplace_back(it->second.first, *it->second.second);
    }
    std::sort(found.begin(), found.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<Decision> decisions;
    decisions.reserve(found.size());
    for (auto& entry : found) decisions.push_back(std::move(entry.second));
    return decisions;
}

std::size_t AppendPipeline::in_flight() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
}

std::size_t AppendPipeline::sealed_waiting() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (const auto& entry : entries_)
        if (entry.second->state == Entry::State::sealed) ++n;
    return n;
}

std::int64_t AppendPipeline::commit_count() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return commits_;
}

Result<AppendOutcome> AppendPipeline::append(const AppendRequest& request, const std::string& decision_json) {
    if (!request.seal) return make_error("storage.invalid_request", "the append request has no seal function");
    const std::string key = pair_key(request.site_id, request.decision.decision_id);
    std::shared_ptr<Claim> claim;
    {
        std::unique_lock<std::mutex> lock(mutex_);
        for (;;) {
            if (stopping_) return closed();
            const auto found = claims_.find(key);
            if (found == claims_.end()) break;
            // The same decision id is in flight: its answer decides this one.
            const std::shared_ptr<Claim> first = found->second;
            ++first->waiters;
            first->changed.wait(lock, [&] { return first->done; });
            --first->waiters;
            if (first->outcome && first->outcome->ok())
                return replay_of(first->outcome->value(), *first->decision, request.decision);
            // It was refused, so nothing is recorded under the id: claim it anew.
        }
        claim = std::make_shared<Claim>();
        claims_.emplace(key, claim);
    }
    Result<AppendOutcome> result = make_error("storage.internal", "the append was not answered");
    const std::string subject = pair_key(request.site_id, request.decision.subject_id);
    std::uint64_t arrival = 0;  // found again by it: a rehash invalidates iterators
    {
        std::lock_guard<std::mutex> pending_lock(pending_mutex_);
        arrival = arrivals_++;
        pending_.emplace(subject, std::make_pair(arrival, &request.decision));
        ++pending_count_;
    }
    try {
        result = append_claimed(request, decision_json);
    } catch (...) {
        result = make_error("storage.internal", "the append failed unexpectedly");
    }
    {
        // Only now, after the commit (or the refusal): a check that found it
        // here before sees it in the store's state afterwards.
        std::lock_guard<std::mutex> pending_lock(pending_mutex_);
        const auto range = pending_.equal_range(subject);
        for (auto it = range.first; it != range.second; ++it)
            if (it->second.first == arrival) {
                pending_.erase(it);
                break;
            }
        --pending_count_;
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (claim->waiters > 0) {
        claim->decision = request.decision;
        claim->outcome = result;
    }
    claim->done = true;
    claims_.erase(key);
    claim->changed.notify_all();
    return result;
}

Result<AppendOutcome> AppendPipeline::append_claimed(const AppendRequest& request, const std::string& decision_json) {
    auto prior = backend_.find_decision(request.site_id, request.decision.decision_id);
    if (!prior) return prior.error();
    if (*prior) {
        if (!is_retry_of((*prior)->decision, request.decision)) return id_conflict();
        return replay(std::move(prior.value()->receipt));
    }
    auto site = known_site(request.site_id);
    if (!site) return site.error();
    if (!*site) return make_error("storage.unknown_site", "no such site");
    for (int round = 1;; ++round) {
        auto entry = sequence(request, decision_json);
        if (!entry) return entry.error();
        auto answer = post_and_wait(*entry, call_seal(request.seal, (*entry)->slot));
        if (answer) return std::move(*answer);
        // Its index was given back (an earlier receipt failed, or another
        // replica moved the log): sign it again at its new one. The other
        // replica may have recorded this very decision (a retry sent there):
        // then it is a replay of that receipt, the same at either replica.
        // Looked up from the second round on: a batch refused for such a
        // decision fails once more, while a log that merely moved (by far the
        // most rounds) costs no lookup per receipt.
        if (round >= kMaxReseals)
            return make_error("storage.log_moved", "the log kept moving: send the decision again");
        if (round < 2) continue;
        auto recorded = backend_.find_decision(request.site_id, request.decision.decision_id);
        if (!recorded) return recorded.error();
        if (*recorded) {
            if (!is_retry_of((*recorded)->decision, request.decision)) return id_conflict();
            return replay(std::move(recorded.value()->receipt));
        }
    }
}

// A replayed receipt comes with a checkpoint whose tree holds it: the latest,
// or, when it was written while no signer was set, a new one.
Result<AppendOutcome> AppendPipeline::replay(StoredReceipt receipt) {
    auto latest = backend_.latest_checkpoint();
    if (!latest) return latest.error();
    if (!*latest || (*latest)->tree_size <= receipt.log_index) {
        latest = checkpoint_now();
        if (!latest) return latest.error();
    }
    AppendOutcome outcome{std::move(receipt), true, {}, {}};
    if (*latest && (*latest)->tree_size > outcome.receipt.log_index) outcome.checkpoint = **latest;
    return outcome;
}

Result<bool> AppendPipeline::known_site(const std::string& site_id) {
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (sites_.count(site_id) != 0) return true;
    }
    auto exists = backend_.site_exists(site_id);
    if (!exists) return exists.error();
    if (*exists) {
        std::lock_guard<std::mutex> lock(mutex_);
        sites_.insert(site_id);  // sites are never deleted
    }
    return *exists;
}

Result<std::shared_ptr<AppendPipeline::Entry>> AppendPipeline::sequence(const AppendRequest& request,
                                                                        const std::string& decision_json) {
    const std::string key = pair_key(request.site_id, request.decision.subject_id);
    std::unique_lock<std::mutex> lock(mutex_);
    std::shared_ptr<Head> head;
    for (;;) {
        if (stopping_) return closed();
        auto& mapped = heads_[key];
        if (!mapped) {
            // No receipt of this subject is in flight, so the store's latest is its chain's end.
            head = mapped = std::make_shared<Head>();
            head->users = 1;
            lock.unlock();
            auto loaded = backend_.chain_head(request.site_id, request.decision.subject_id);
            lock.lock();
            if (!loaded) {
                head->state = Head::State::failed;
                --head->users;
                const auto found = heads_.find(key);
                if (found != heads_.end() && found->second == head) heads_.erase(found);
                head->changed.notify_all();
                return loaded.error();
            }
            head->hash = std::move(loaded.value());
            head->state = Head::State::known;
            break;
        }
        head = mapped;
        ++head->users;
        head->changed.wait(lock,
                           [&] { return head->state == Head::State::known || head->state == Head::State::failed; });
        if (head->state == Head::State::known) break;
        --head->users;  // its loader failed and dropped it: look again
    }
    auto entry = std::make_shared<Entry>();
    entry->request = &request;
    entry->decision_json = &decision_json;
    entry->head = head;
    entry->head_key = key;
    entry->slot = ReceiptSlot{next_index_++, clock_(), request.receipt_id, head->hash};
    head->state = Head::State::sealing;
    entries_.emplace(entry->slot.log_index, entry);
    return entry;
}

std::optional<Result<AppendOutcome>> AppendPipeline::post_and_wait(const std::shared_ptr<Entry>& entry,
                                                                   Result<SealedReceipt> sealed) {
    // Hashed before the lock: what the subject's next receipt names, and the
    // log's leaf (hashing on the callers' threads keeps it off the writer's).
    const std::string chain_hash = sealed ? receipt_hash(sealed->jws) : std::string();
    const merkle::Hash leaf = sealed ? merkle::leaf_hash(sealed->jws) : merkle::Hash{};
    std::unique_lock<std::mutex> lock(mutex_);
    if (entry->state == Entry::State::reseal) return std::nullopt;
    if (!sealed) {
        unwind_from(entry->slot.log_index, nullptr);
        return Result<AppendOutcome>(sealed.error());
    }
    entry->receipt = make_stored(*entry->request, entry->slot, std::move(sealed.value()));
    entry->leaf = leaf;
    entry->head->hash = chain_hash;
    entry->head->state = Head::State::known;
    entry->head->changed.notify_all();
    entry->state = Entry::State::sealed;
    if (entry->slot.log_index == written_index_) writer_wake_.notify_one();
    entry->changed.wait(lock,
                        [&] { return entry->state == Entry::State::done || entry->state == Entry::State::reseal; });
    if (entry->state == Entry::State::reseal) return std::nullopt;
    return std::move(*entry->outcome);
}

// Gives back every index from `index` on. Undone from the last, each subject's
// chain returns to what it was before its undone receipts. With a batch error,
// the receipts of the failed batch (writing) are answered with it; every other
// one is signed again by its caller.
void AppendPipeline::unwind_from(std::int64_t index, const Error* batch_error) {
    while (!entries_.empty() && entries_.rbegin()->first >= index) {
        const auto last = std::prev(entries_.end());
        const std::shared_ptr<Entry> entry = last->second;
        entries_.erase(last);
        entry->head->hash = entry->slot.previous_receipt_hash;
        entry->head->state = Head::State::known;
        entry->head->changed.notify_all();
        release_head(entry);
        if (batch_error != nullptr && entry->state == Entry::State::writing) {
            entry->outcome = Result<AppendOutcome>(*batch_error);
            entry->state = Entry::State::done;
        } else {
            entry->state = Entry::State::reseal;
        }
        entry->changed.notify_one();
    }
    if (next_index_ > index) next_index_ = index;
}

void AppendPipeline::release_head(const std::shared_ptr<Entry>& entry) {
    const std::shared_ptr<Head>& head = entry->head;
    if (--head->users > 0) return;
    const auto found = heads_.find(entry->head_key);
    if (found != heads_.end() && found->second == head) heads_.erase(found);
}

Result<std::optional<Checkpoint>> AppendPipeline::checkpoint_now() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (stopping_) return closed();
    const std::int64_t mine = ++checkpoint_requests_;
    writer_wake_.notify_one();
    checkpoint_done_.wait(lock, [&] { return checkpoint_rounds_ >= mine; });
    return *checkpoint_answer_;  // this round's or a later one: either holds every committed receipt
}

bool AppendPipeline::writer_has_work() const {
    const auto first = entries_.find(written_index_);
    return (first != entries_.end() && first->second->state == Entry::State::sealed) ||
           checkpoint_requests_ > checkpoint_rounds_;
}

void AppendPipeline::run_writer() {
    // Named so that top -H and perf show the log's one serial thread apart.
    pthread_setname_np(pthread_self(), "consentd-log");
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
        writer_wake_.wait(lock, [&] { return writer_has_work() || (stopping_ && entries_.empty()); });
        if (!writer_has_work()) return;  // stopping, and every request was answered
        const auto first = entries_.find(written_index_);
        if (first != entries_.end() && first->second->state == Entry::State::sealed) write_ready_run(lock);
        else sign_requested_checkpoint(lock);
    }
}

// The run of consecutive sealed receipts at the log's end, up to the bound,
// in one transaction; the callers of the next ones go on signing meanwhile.
void AppendPipeline::write_ready_run(std::unique_lock<std::mutex>& lock) {
    std::vector<std::shared_ptr<Entry>> batch;
    std::vector<SealedAppend> appends;
    for (auto it = entries_.find(written_index_); it != entries_.end() && batch.size() < max_batch_; ++it) {
        Entry& entry = *it->second;
        if (entry.state != Entry::State::sealed ||
            it->first != written_index_ + static_cast<std::int64_t>(batch.size()))
            break;
        entry.state = Entry::State::writing;  // from now on nobody changes it but this thread
        entry.inclusion.clear();              // a proof from a failed earlier round is no proof
        batch.push_back(it->second);
        appends.push_back(SealedAppend{entry.request, entry.decision_json, &entry.receipt,
                                       &entry.slot.previous_receipt_hash, entry.leaf, &entry.inclusion});
    }
    lock.unlock();
    auto written = guarded_write(backend_, appends);
    lock.lock();
    if (!written) {
        const Error error = written.error();
        // Another writer on the same database appended first (issue #12): no
        // caller is answered; every receipt is signed again at the log's new end.
        const bool moved = error.code == "storage.log_moved";
        unwind_from(written_index_, moved ? nullptr : &error);
        // Where the store's log ends now is what the next batch continues.
        lock.unlock();
        auto size = backend_.load_log();
        lock.lock();
        if (size && *size != written_index_) {
            unwind_from(written_index_, nullptr);
            written_index_ = next_index_ = *size;
        }
        return;
    }
    ++commits_;
    const std::optional<Checkpoint>& checkpoint = written.value();
    for (const auto& entry : batch) {
        entries_.erase(entry->slot.log_index);
        AppendOutcome outcome{std::move(entry->receipt), false, {}, {}};
        // Without a signer there is no checkpoint, and the receipt gets none.
        if (checkpoint && checkpoint->tree_size > outcome.receipt.log_index) {
            outcome.checkpoint = *checkpoint;
            outcome.inclusion = std::move(entry->inclusion);
        }
        entry->outcome = std::move(outcome);
        entry->state = Entry::State::done;
        release_head(entry);
    }
    written_index_ += static_cast<std::int64_t>(batch.size());
    // Woken after the lock is let go: a caller woken while the writer still
    // holds it would only block on it again (two more switches per receipt).
    lock.unlock();
    for (const auto& entry : batch) entry->changed.notify_one();
    lock.lock();
}

void AppendPipeline::sign_requested_checkpoint(std::unique_lock<std::mutex>& lock) {
    const std::int64_t round = checkpoint_requests_;
    lock.unlock();
    auto signed_now = guarded_write(backend_, {});
    lock.lock();
    checkpoint_answer_ = std::move(signed_now);
    checkpoint_rounds_ = round;
    checkpoint_done_.notify_all();
}

}  // namespace consent::server
