// Errors are values in the core: every fallible call returns Result<T>.
// Codes are stable dotted strings (add, never rename) so that HTTP, the CLI
// and the wasm boundary can all map them without parsing messages.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace consent {

struct Error {
    std::string code;     // stable identifier, e.g. "notice.prechecked_forbidden"
    std::string message;  // one plain sentence for a human
    std::string path;     // RFC 6901 JSON pointer into the input, "" when not about a field
};

inline bool operator==(const Error& a, const Error& b) {
    return a.code == b.code && a.message == b.message && a.path == b.path;
}

template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit by design
    Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

    bool ok() const noexcept { return state_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    const T& value() const& { return std::get<0>(state_); }
    T& value() & { return std::get<0>(state_); }
    T&& value() && { return std::get<0>(std::move(state_)); }
    const T& operator*() const& { return value(); }
    const T* operator->() const { return &value(); }

    const Error& error() const& { return std::get<1>(state_); }

private:
    std::variant<T, Error> state_;
};

// For operations that produce nothing but can fail.
struct Unit {};
using Status = Result<Unit>;

inline Error make_error(std::string code, std::string message, std::string path = {}) {
    return Error{std::move(code), std::move(message), std::move(path)};
}

}  // namespace consent
