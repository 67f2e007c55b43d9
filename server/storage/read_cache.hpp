// A bounded, thread-safe cache in front of one kind of store read (issue #11):
// the SQLite store keeps subjects' current states and API keys in it, so a
// consent check costs no SQLite read transaction (two of them were about a
// third of a check's CPU, and nearly all of a batch check's).
//
// The database stays the record; the cache must never answer something the
// file does not hold. Two kinds of writes keep it so:
// - put() and forget(): the store changed the value (after its commit, before
//   anyone is answered). They bump the shard's generation.
// - fill(): a reader that missed stores what it read, but only if nothing was
//   put, forgotten or cleared in that shard since it took its ticket at the
//   miss; otherwise its read may predate a commit and is dropped. (A commit
//   before the ticket is seen by the read, which starts after the ticket.)
// clear() drops everything (another process wrote the file) and refuses every
// fill in flight. Each shard evicts its least recently used entries past its
// share of the capacity.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace consent::server {

struct ReadCacheStats {
    std::uint64_t hits = 0;
    std::uint64_t misses = 0;
    std::uint64_t fills_refused = 0;  // a reader's value was older than a put, forget or clear
    std::uint64_t evictions = 0;
    std::uint64_t clears = 0;
    std::size_t entries = 0;
};

template <class Value>
class ReadCache {
public:
    struct Ticket {
        std::size_t shard = 0;
        std::uint64_t generation = 0;
    };

    // capacity: entries in all (at least one per shard).
    explicit ReadCache(std::size_t capacity, std::size_t shards = 64)
        : shards_(shards == 0 ? 1 : shards), per_shard_(std::max<std::size_t>(1, capacity / shards_.size())) {}

    // The value, or nullptr with *ticket set for fill().
    std::shared_ptr<const Value> find(const std::string& key, Ticket* ticket) {
        const std::size_t index = shard_of(key);
        Shard& shard = shards_[index];
        std::lock_guard<std::mutex> lock(shard.mutex);
        const auto hit = shard.by_key.find(key);
        if (hit == shard.by_key.end()) {
            misses_.fetch_add(1, std::memory_order_relaxed);
            *ticket = Ticket{index, shard.generation};
            return nullptr;
        }
        hits_.fetch_add(1, std::memory_order_relaxed);
        shard.order.splice(shard.order.begin(), shard.order, hit->second);
        return hit->second->second;
    }

    void fill(const std::string& key, const Ticket& ticket, Value value) {
        Shard& shard = shards_[ticket.shard];
        std::lock_guard<std::mutex> lock(shard.mutex);
        if (shard.generation != ticket.generation) {
            fills_refused_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        store(shard, key, std::move(value));
    }

    void put(const std::string& key, Value value) {
        Shard& shard = shards_[shard_of(key)];
        std::lock_guard<std::mutex> lock(shard.mutex);
        ++shard.generation;
        store(shard, key, std::move(value));
    }

    void forget(const std::string& key) {
        Shard& shard = shards_[shard_of(key)];
        std::lock_guard<std::mutex> lock(shard.mutex);
        ++shard.generation;
        const auto hit = shard.by_key.find(key);
        if (hit == shard.by_key.end()) return;
        shard.order.erase(hit->second);
        shard.by_key.erase(hit);
    }

    void clear() {
        clears_.fetch_add(1, std::memory_order_relaxed);
        for (Shard& shard : shards_) {
            std::lock_guard<std::mutex> lock(shard.mutex);
            ++shard.generation;
            shard.by_key.clear();
            shard.order.clear();
        }
    }

    ReadCacheStats stats() const {
        ReadCacheStats s;
        s.hits = hits_.load(std::memory_order_relaxed);
        s.misses = misses_.load(std::memory_order_relaxed);
        s.fills_refused = fills_refused_.load(std::memory_order_relaxed);
        s.evictions = evictions_.load(std::memory_order_relaxed);
        s.clears = clears_.load(std::memory_order_relaxed);
        for (const Shard& shard : shards_) {
            std::lock_guard<std::mutex> lock(shard.mutex);
            s.entries += shard.by_key.size();
        }
        return s;
    }

private:
    using Entry = std::pair<std::string, std::shared_ptr<const Value>>;
    struct Shard {
        mutable std::mutex mutex;
        std::uint64_t generation = 0;
        std::list<Entry> order;  // most recently used first
        std::unordered_map<std::string, typename std::list<Entry>::iterator> by_key;
    };

    std::size_t shard_of(const std::string& key) const { return std::hash<std::string>{}(key) % shards_.size(); }

    // Under the shard's lock.
    void store(Shard& shard, const std::string& key, Value value) {
        auto shared = std::make_shared<const Value>(std::move(value));
        const auto hit = shard.by_key.find(key);
        if (hit != shard.by_key.end()) {
            hit->second->second = std::move(shared);
            shard.order.splice(shard.order.begin(), shard.order, hit->second);
            return;
        }
        shard.order.emplace_front(key, std::move(shared));
        shard.by_key.emplace(key, shard.order.begin());
        while (shard.by_key.size() > per_shard_) {
            shard.by_key.erase(shard.order.back().first);
            shard.order.pop_back();
            evictions_.fetch_add(1, std::memory_order_relaxed);
        }
    }

    std::vector<Shard> shards_;
    const std::size_t per_shard_;
    std::atomic<std::uint64_t> hits_{0};
    std::atomic<std::uint64_t> misses_{0};
    std::atomic<std::uint64_t> fills_refused_{0};
    std::atomic<std::uint64_t> evictions_{0};
    std::atomic<std::uint64_t> clears_{0};
};

// The key of a (site, subject) pair: ids are printable, so NUL separates them.
inline std::string subject_cache_key(const std::string& site_id, const std::string& subject_id) {
    std::string key;
    key.reserve(site_id.size() + 1 + subject_id.size());
    key.append(site_id).push_back('\0');
    key.append(subject_id);
    return key;
}

}  // namespace consent::server
