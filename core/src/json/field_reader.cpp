#include "consent/json/field_reader.hpp"

#include <algorithm>

namespace consent {

using json = Json;

std::string json_pointer_append(const std::string& base, std::string_view token) {
    std::string out = base + "/";
    for (char c : token) {
        if (c == '~') out += "~0";
        else if (c == '/') out += "~1";
        else out += c;
    }
    return out;
}

std::string json_pointer_append(const std::string& base, std::size_t index) {
    return base + "/" + std::to_string(index);
}

FieldReader::FieldReader(const json& object, std::string path, std::string domain)
    : object_(object), path_(std::move(path)), domain_(std::move(domain)) {
    if (!object_.is_object()) fail("wrong_type", "expected a JSON object", path_);
}

void FieldReader::fail(std::string code_suffix, std::string message, std::string path) {
    if (error_) return;
    error_ = make_error(domain_ + "." + code_suffix, std::move(message), std::move(path));
}

bool FieldReader::has(std::string_view key) const {
    return object_.is_object() && object_.find(std::string(key)) != object_.end();
}

const json* FieldReader::member(std::string_view key, bool required) {
    if (!ok()) return nullptr;
    auto it = object_.find(std::string(key));
    if (it == object_.end()) {
        if (required) fail("missing_field", "required field \"" + std::string(key) + "\" is missing", path_of(key));
        return nullptr;
    }
    return &*it;
}

std::string FieldReader::string(std::string_view key, std::size_t max_bytes) {
    if (!has(key)) {
        member(key, true);
        return {};
    }
    return optional_string(key, max_bytes).value_or(std::string());
}

std::optional<std::string> FieldReader::optional_string(std::string_view key, std::size_t max_bytes) {
    const json* v = member(key, false);
    if (v == nullptr) return std::nullopt;
    if (!v->is_string()) {
        fail("wrong_type", "\"" + std::string(key) + "\" must be a string", path_of(key));
        return std::nullopt;
    }
    const auto& s = v->get_ref<const std::string&>();
    if (s.empty()) {
        fail("empty_field", "\"" + std::string(key) + "\" must not be empty", path_of(key));
    } else if (s.size() > max_bytes) {
        fail("too_long", "\"" + std::string(key) + "\" is longer than " + std::to_string(max_bytes) + " bytes",
             path_of(key));
    }
    return ok() ? std::optional<std::string>(s) : std::nullopt;
}

std::int64_t FieldReader::integer(std::string_view key, std::int64_t min, std::int64_t max) {
    if (!has(key)) {
        member(key, true);
        return min;
    }
    return integer_or(key, min, max, min);
}

std::int64_t FieldReader::integer_or(std::string_view key, std::int64_t min, std::int64_t max, std::int64_t fallback) {
    const json* v = member(key, false);
    if (v == nullptr) return fallback;
    // Receipts carry integers only (DESIGN.md): 1.0 is not accepted as 1.
    if (!v->is_number_integer()) {
        fail("wrong_type", "\"" + std::string(key) + "\" must be an integer", path_of(key));
        return fallback;
    }
    const bool too_big = v->is_number_unsigned() && v->get<std::uint64_t>() > static_cast<std::uint64_t>(max);
    const std::int64_t n = too_big ? max : v->get<std::int64_t>();
    if (too_big || n < min || n > max) {
        fail("out_of_range",
             "\"" + std::string(key) + "\" must be between " + std::to_string(min) + " and " + std::to_string(max),
             path_of(key));
        return fallback;
    }
    return n;
}

bool FieldReader::boolean(std::string_view key) {
    if (!has(key)) {
        member(key, true);
        return false;
    }
    return boolean_or(key, false);
}

bool FieldReader::boolean_or(std::string_view key, bool fallback) {
    const json* v = member(key, false);
    if (v == nullptr) return fallback;
    if (!v->is_boolean()) {
        fail("wrong_type", "\"" + std::string(key) + "\" must be true or false", path_of(key));
        return fallback;
    }
    return v->get<bool>();
}

const json* FieldReader::object(std::string_view key, bool required) {
    const json* v = member(key, required);
    if (v != nullptr && !v->is_object()) {
        fail("wrong_type", "\"" + std::string(key) + "\" must be an object", path_of(key));
        return nullptr;
    }
    return v;
}

const json* FieldReader::array(std::string_view key, bool required) {
    const json* v = member(key, required);
    if (v != nullptr && !v->is_array()) {
        fail("wrong_type", "\"" + std::string(key) + "\" must be an array", path_of(key));
        return nullptr;
    }
    return v;
}

void FieldReader::reject_unknown(std::initializer_list<std::string_view> known) {
    if (!ok() || !object_.is_object()) return;
    for (auto it = object_.begin(); it != object_.end(); ++it) {
        if (std::find(known.begin(), known.end(), std::string_view(it.key())) == known.end()) {
            fail("unknown_field", "unknown field \"" + it.key() + "\"", path_of(it.key()));
            return;
        }
    }
}

Status expect_object(const json& value, const std::string& path, const std::string& domain) {
    if (value.is_object()) return Unit{};
    return make_error(domain + ".wrong_type", "expected a JSON object", path);
}

}  // namespace consent
