// A request answered on the connection loop's own thread must not wait on a
// disk or a database (issue #11): one wait there stalls every connection. The
// loop runs a consent check inside a MemoryOnlyScope first; every place that
// would read a file or a database asks refuse_storage_io() before it does, and
// inside the scope gets a refusal instead (storage.unavailable, never seen by
// a client): the scope then says so, the loop drops that attempt's answer and
// hands the request to a worker, which answers it as it always did. A check
// whose API key, notice and subject state are in memory is so answered with no
// thread hand-off at all; one that needs the file costs one extra look.
#pragma once

namespace consent::server {

namespace detail {
struct MemoryOnlyState {
    bool active = false;
    bool refused = false;
};
inline thread_local MemoryOnlyState memory_only_state;
}  // namespace detail

class MemoryOnlyScope {
public:
    MemoryOnlyScope() : outer_(detail::memory_only_state) { detail::memory_only_state = {true, false}; }
    MemoryOnlyScope(const MemoryOnlyScope&) = delete;
    MemoryOnlyScope& operator=(const MemoryOnlyScope&) = delete;
    ~MemoryOnlyScope() { detail::memory_only_state = outer_; }

    // Something in the scope needed storage: its answer must not be used.
    bool refused() const { return detail::memory_only_state.refused; }

private:
    detail::MemoryOnlyState outer_;
};

// True inside a MemoryOnlyScope (which then records the refusal): the caller
// must return an error instead of touching storage.
inline bool refuse_storage_io() {
    if (!detail::memory_only_state.active) return false;
    detail::memory_only_state.refused = true;
    return true;
}

// Inside a scope that has refused: what the request did since is thrown away
// (counters must not count it twice).
inline bool storage_io_refused() { return detail::memory_only_state.active && detail::memory_only_state.refused; }

}  // namespace consent::server
