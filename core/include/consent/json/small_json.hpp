// A small JSON value with the part of nlohmann::json's interface the core's
// banner operations use, for consent-banner.wasm (issue #14): there, nlohmann's
// templates were about half of the module's bytes. The core is written once
// against consent::Json (json.hpp); only the banner's module builds it with
// CONSENT_SMALL_JSON, where Json is this class. Natively it is compiled too, so
// that tests/core/small_json_test.cpp can hold it to nlohmann's answers.
//
// What it keeps of nlohmann's behaviour, because the core relies on it:
// objects iterate in key order (std::map); a non-negative integer literal is
// unsigned, a negative one signed, and both are is_number_integer(); an integer
// literal beyond 64 bits is a double; {{"k", v}, ...} builds an object when
// every element is a two-element array whose first element is a string.
// No member throws: reading a missing key or the wrong type answers null, 0 or
// "" (the core checks types before it reads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "consent/base/result.hpp"

namespace consent {

class SmallJson {
public:
    enum class value_t : std::uint8_t {
        null,
        object,
        array,
        string,
        boolean,
        number_integer,
        number_unsigned,
        number_float,
        binary,
        discarded
    };
    enum class error_handler_t : std::uint8_t { strict, replace, ignore };
    using boolean_t = bool;
    using number_integer_t = std::int64_t;
    using number_unsigned_t = std::uint64_t;
    using number_float_t = double;
    using string_t = std::string;
    using array_t = std::vector<SmallJson>;
    using object_t = std::map<std::string, SmallJson, std::less<>>;

    // Iterates an object's members (key() and the value) or an array's elements.
    class const_iterator {
    public:
        const std::string& key() const { return object_->first; }
        const SmallJson& value() const { return array_ != nullptr ? *array_ : object_->second; }
        const SmallJson& operator*() const { return value(); }
        const SmallJson* operator->() const { return &value(); }
        const_iterator& operator++();
        bool operator==(const const_iterator& other) const {
            return array_ == other.array_ && object_ == other.object_;
        }
        bool operator!=(const const_iterator& other) const { return !(*this == other); }

    private:
        friend class SmallJson;
        const SmallJson* array_ = nullptr;
        object_t::const_iterator object_{};
    };

    SmallJson() = default;
    // Out of line: the core makes many temporaries, and each inlined copy or destruction of the three
    // containers costs the module more than a call.
    SmallJson(const SmallJson& other);
    SmallJson(SmallJson&& other) noexcept;
    SmallJson& operator=(const SmallJson& other);
    SmallJson& operator=(SmallJson&& other) noexcept;
    ~SmallJson();
    SmallJson(std::nullptr_t) {}                              // NOLINT: implicit, as nlohmann's
    SmallJson(bool b) : type_(value_t::boolean), bool_(b) {}  // NOLINT
    template <class T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
    SmallJson(T n) {  // NOLINT
        if constexpr (std::is_signed_v<T>) set_integer(static_cast<std::int64_t>(n));
        else set_unsigned(static_cast<std::uint64_t>(n));
    }
    SmallJson(double d) : type_(value_t::number_float), double_(d) {}            // NOLINT
    SmallJson(const char* s) : type_(value_t::string), string_(s) {}             // NOLINT
    SmallJson(std::string s) : type_(value_t::string), string_(std::move(s)) {}  // NOLINT
    SmallJson(const std::vector<std::string>& list);                             // NOLINT
    template <class T>
    SmallJson(const std::map<std::string, T>& members) : type_(value_t::object) {  // NOLINT
        for (const auto& [k, v] : members) object_.emplace(k, SmallJson(v));
    }
    SmallJson(std::initializer_list<SmallJson> list);  // NOLINT
    explicit SmallJson(value_t type) : type_(type) {}

    static SmallJson object() { return SmallJson(value_t::object); }
    static SmallJson array() { return SmallJson(value_t::array); }

    value_t type() const noexcept { return type_; }
    bool is_null() const noexcept { return type_ == value_t::null; }
    bool is_boolean() const noexcept { return type_ == value_t::boolean; }
    bool is_number_integer() const noexcept {
        return type_ == value_t::number_integer || type_ == value_t::number_unsigned;
    }
    bool is_number_unsigned() const noexcept { return type_ == value_t::number_unsigned; }
    bool is_number_float() const noexcept { return type_ == value_t::number_float; }
    bool is_string() const noexcept { return type_ == value_t::string; }
    bool is_array() const noexcept { return type_ == value_t::array; }
    bool is_object() const noexcept { return type_ == value_t::object; }

    // get<std::string>(), get<bool>(), get<std::int64_t>(), get<std::uint64_t>().
    template <class T>
    T get() const {
        if constexpr (std::is_same_v<T, std::string>) return string_;
        else if constexpr (std::is_same_v<T, bool>) return bool_;
        else if constexpr (std::is_same_v<T, std::uint64_t>)
            return type_ == value_t::number_integer ? static_cast<std::uint64_t>(integer_) : unsigned_;
        else return type_ == value_t::number_unsigned ? static_cast<T>(unsigned_) : static_cast<T>(integer_);
    }
    template <class T>
    T get_ref() const {
        return string_;
    }
    // The stored value as nlohmann's get_ptr<const X*>() gives it; nullptr for another type.
    template <class P>
    P get_ptr() const noexcept;
    template <class P>
    P get_ptr() noexcept {
        return const_cast<P>(static_cast<const SmallJson*>(this)
                                 ->get_ptr<std::add_pointer_t<std::add_const_t<std::remove_pointer_t<P>>>>());
    }

    std::size_t size() const noexcept;
    bool empty() const noexcept { return size() == 0; }
    bool contains(std::string_view key) const { return find(key) != end(); }
    const_iterator find(std::string_view key) const;
    const_iterator begin() const;
    const_iterator end() const;
    // A missing key or index reads as null (nlohmann's at() would throw).
    const SmallJson& at(std::string_view key) const;
    const SmallJson& operator[](std::string_view key) const { return at(key); }
    const SmallJson& operator[](std::size_t index) const;
    const SmallJson& operator[](int index) const { return (*this)[static_cast<std::size_t>(index)]; }
    // Makes a null value an object, then the member (null when new).
    SmallJson& operator[](std::string_view key);
    void push_back(SmallJson value);
    std::size_t erase(std::string_view key);

    // Compact text, nlohmann's dump(-1, ' ', false, handler): non-ASCII stays UTF-8; with replace, bytes that
    // are not UTF-8 become U+FFFD. The core's answers hold no fractional numbers; one is written with
    // 17 significant digits.
    std::string dump(int indent = -1, char indent_char = ' ', bool ensure_ascii = false,
                     error_handler_t handler = error_handler_t::strict) const;

    friend bool operator==(const SmallJson& a, const SmallJson& b);
    friend bool operator!=(const SmallJson& a, const SmallJson& b) { return !(a == b); }

private:
    void set_integer(std::int64_t n) {
        type_ = value_t::number_integer;
        integer_ = n;
    }
    void set_unsigned(std::uint64_t n) {
        type_ = value_t::number_unsigned;
        unsigned_ = n;
    }

    value_t type_ = value_t::null;
    union {
        bool bool_;
        std::int64_t integer_;
        std::uint64_t unsigned_;
        double double_ = 0;
    };
    std::string string_;
    array_t array_;
    object_t object_;
};

template <class P>
P SmallJson::get_ptr() const noexcept {
    using T = std::remove_const_t<std::remove_pointer_t<P>>;
    if constexpr (std::is_same_v<T, boolean_t>) return type_ == value_t::boolean ? &bool_ : nullptr;
    else if constexpr (std::is_same_v<T, number_integer_t>)
        return type_ == value_t::number_integer ? &integer_ : nullptr;
    else if constexpr (std::is_same_v<T, number_unsigned_t>)
        return type_ == value_t::number_unsigned ? &unsigned_ : nullptr;
    else if constexpr (std::is_same_v<T, number_float_t>) return type_ == value_t::number_float ? &double_ : nullptr;
    else if constexpr (std::is_same_v<T, string_t>) return type_ == value_t::string ? &string_ : nullptr;
    else if constexpr (std::is_same_v<T, array_t>) return type_ == value_t::array ? &array_ : nullptr;
    else return type_ == value_t::object ? &object_ : nullptr;
}

// The strict parse of canonical_json.hpp's parse_json_strict (the same codes and paths; a parse error's
// message says where but not in nlohmann's words): what it is when Json is SmallJson.
Result<SmallJson> parse_small_json_strict(std::string_view text);

}  // namespace consent
