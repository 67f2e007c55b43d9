// How the service answers a store lookup that found nothing: the caller's 404
// (request.not_found), while a store that could not look (storage.unavailable,
// …) stays what it is, a 503 the client retries — never a 404 that would make
// the banner drop a decision. Shared by the service's operations and reports.
#pragma once

#include <string>

#include "consent/base/result.hpp"
#include "storage/receipt_store.hpp"

namespace consent::server {

inline Error not_found(const std::string& what) { return make_error("request.not_found", what + " not found"); }

inline Error or_not_found(const Error& error, const std::string& what) {
    return is_not_found(error) ? not_found(what) : error;
}

// The site exists (request.not_found if not).
inline Status require_site(ReceiptStore& store, const std::string& site_id) {
    auto site = store.site(site_id);
    if (!site) return or_not_found(site.error(), "site");
    return Unit{};
}

}  // namespace consent::server
