// Strict reading of one JSON object from untrusted input. The first problem
// found wins and carries a stable code "<domain>.<problem>" plus the JSON pointer
// (RFC 6901) of the field, so a caller can show exactly what is wrong.
// Never throws, so it also works in a wasm build without exceptions.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "consent/json/json.hpp"

#include "consent/base/result.hpp"

namespace consent {

// RFC 6901 §3: "~" becomes "~0" and "/" becomes "~1" inside a reference token.
std::string json_pointer_append(const std::string& base, std::string_view token);
std::string json_pointer_append(const std::string& base, std::size_t index);

class FieldReader {
public:
    // domain prefixes the codes ("notice", "decision", ...); path is obj's own pointer.
    FieldReader(const Json& object, std::string path, std::string domain);

    bool ok() const noexcept { return !error_.has_value(); }
    const Error& error() const { return *error_; }
    const std::string& path() const noexcept { return path_; }
    std::string path_of(std::string_view key) const { return json_pointer_append(path_, key); }

    // Strings are non-empty and at most max_bytes long unless said otherwise.
    std::string string(std::string_view key, std::size_t max_bytes);
    std::optional<std::string> optional_string(std::string_view key, std::size_t max_bytes);
    std::int64_t integer(std::string_view key, std::int64_t min, std::int64_t max);
    std::int64_t integer_or(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t fallback);
    bool boolean(std::string_view key);
    bool boolean_or(std::string_view key, bool fallback);
    // nullptr when absent (optional) or on error; the error is recorded.
    const Json* object(std::string_view key, bool required);
    const Json* array(std::string_view key, bool required);

    bool has(std::string_view key) const;
    // Every member not in known is "<domain>.unknown_field".
    void reject_unknown(std::initializer_list<std::string_view> known);
    // Record an error unless one is already recorded (first problem wins).
    void fail(std::string code_suffix, std::string message, std::string path);

private:
    const Json* member(std::string_view key, bool required);
    const Json& object_;
    std::string path_;
    std::string domain_;
    std::optional<Error> error_;
};

// Checks that the value at path is an object, recording "<domain>.wrong_type".
Status expect_object(const Json& value, const std::string& path, const std::string& domain);

}  // namespace consent
