// Sites as the store last read them, for at most kSiteCacheFor (issue #11).
//
// Every public request reads its site twice (the CORS allowlist, then the
// site's subject-token keys for the decision itself): measured, a tenth of a
// receipt's request-side CPU went to those two SQLite reads of a row that
// almost never changes. The database stays the record:
// - a change made through this store forgets the site before it returns
//   (put_site), so this process sees its own changes at once;
// - a change made by another process (consentctl adds a site or a subject
//   token key; another consentd on the same PostgreSQL) is seen once the entry
//   is older than kSiteCacheFor, the same bound as the other foreign writes
//   (sqlite_foreign_writes.hpp, docs/deployment.md);
// - a site that is not found is never kept, so a site added elsewhere is
//   served at its first request;
// - a reader's fill races a change as in read_cache.hpp: a fill that started
//   before a forget is refused.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "consent/base/result.hpp"
#include "storage/read_cache.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {

inline constexpr std::chrono::milliseconds kSiteCacheFor{50};

class SiteCache {
public:
    using Clock = std::chrono::steady_clock;

    // read: the store's own lookup; called on a miss or an expired entry.
    Result<Site> find(const std::string& site_id, const std::function<Result<Site>()>& read) {
        ReadCache<Entry>::Ticket ticket;
        if (auto cached = entries_.find(site_id, &ticket)) {
            if (Clock::now() - cached->read_at < kSiteCacheFor) return cached->site;
            // Expired: forgotten first, so the lookup below takes a ticket
            // that a change made meanwhile invalidates.
            entries_.forget(site_id);
            if (auto again = entries_.find(site_id, &ticket)) return again->site;
        }
        const Clock::time_point read_at = Clock::now();
        auto site = read();
        if (site) entries_.fill(site_id, ticket, Entry{*site, read_at});
        return site;
    }

    void forget(const std::string& site_id) { entries_.forget(site_id); }
    ReadCacheStats stats() const { return entries_.stats(); }

private:
    struct Entry {
        Site site;
        Clock::time_point read_at;  // before the read: its age is never understated
    };
    ReadCache<Entry> entries_{1024, 16};
};

}  // namespace consent::server
