// RFC 8785 JSON Canonicalization Scheme (JCS) and the strict parser in front of it.
//
// Pure computation: snprintf/strtod only ever touch local buffers. Nothing here
// throws and no throwing nlohmann API is called, so the file also builds with
// exceptions disabled (Emscripten).
#include "consent/json/canonical_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace consent {
namespace {

using json = Json;

// ---------------------------------------------------------------------------
// JSON pointers (RFC 6901) for error paths

// RFC 6901 §3: '~' is written "~0" and '/' is written "~1" inside a token.
std::string pointer_token(std::string_view name) {
    std::string token;
    token.reserve(name.size());
    for (const char c : name) {
        if (c == '~') {
            token += "~0";
        } else if (c == '/') {
            token += "~1";
        } else {
            token.push_back(c);
        }
    }
    return token;
}

// An error found below a member or element gets that member's token in front,
// so the caller sees the full pointer without building paths on the happy path.
Status under(Status status, const std::string& token) {
    if (status.ok()) return status;
    Error error = status.error();
    error.path = "/" + token + error.path;
    return error;
}

// ---------------------------------------------------------------------------
// UTF-8 (RFC 3629) and UTF-16 (RFC 2781)

// Decodes the scalar value starting at text[i] and advances i past it. Rejects
// what RFC 3629 §3-4 forbids: stray continuation bytes, truncated sequences,
// overlong forms, UTF-16 surrogates (U+D800..U+DFFF) and values above U+10FFFF.
bool decode_utf8(std::string_view text, std::size_t& i, char32_t& code_point) {
    const auto byte_at = [&text](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char lead = byte_at(i);
    std::size_t length = 1;
    char32_t smallest = 0;
    if (lead < 0x80) {
        code_point = lead;
    } else if ((lead & 0xE0) == 0xC0) {
        length = 2, smallest = 0x80, code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, smallest = 0x800, code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, smallest = 0x10000, code_point = lead & 0x07;
    } else {
        return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
        const unsigned char next = byte_at(i + k);
        if ((next & 0xC0) != 0x80) return false;
        code_point = (code_point << 6) | (next & 0x3F);
    }
    if (code_point < smallest || code_point > 0x10FFFF) return false;
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;
    i += length;
    return true;
}

// RFC 8785 §3.2.3 sorts member names as arrays of UTF-16 code units, which
// orders U+10000 and above (surrogate pairs, 0xD800..) before U+E000..U+FFFF,
// unlike a byte-wise UTF-8 comparison.
bool utf16_code_units(std::string_view text, std::u16string& units) {
    for (std::size_t i = 0; i < text.size();) {
        char32_t code_point = 0;
        if (!decode_utf8(text, i, code_point)) return false;
        if (code_point < 0x10000) {
            units.push_back(static_cast<char16_t>(code_point));
        } else {
            const char32_t offset = code_point - 0x10000;  // RFC 2781 §2.1
            units.push_back(static_cast<char16_t>(0xD800 + (offset >> 10)));
            units.push_back(static_cast<char16_t>(0xDC00 + (offset & 0x3FF)));
        }
    }
    return true;
}

#ifndef CONSENT_SMALL_JSON
// Error messages may quote input (nlohmann's "last read: ..."); they must stay
// valid UTF-8 so that the HTTP and wasm layers can put them in JSON.
std::string printable_utf8(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t start = i;
        char32_t code_point = 0;
        if (decode_utf8(text, i, code_point)) {
            out.append(text.substr(start, i - start));
        } else {
            out.push_back('?');
            i = start + 1;
        }
    }
    return out;
}
#endif

// ---------------------------------------------------------------------------
// Numbers: RFC 8785 §3.2.2.3 = ECMA-262 Number::toString(x) for radix 10

// A positive decimal digits × 10^exponent; digits has no sign and no point.
struct Decimal {
    std::string digits;
    int exponent = 0;
};

#ifndef CONSENT_SMALL_JSON
// The decimal with `precision` significant digits nearest to v (printf rounds
// correctly), read back from "%e" without relying on the locale's point.
Decimal nearest_decimal(double v, int precision) {
    char buffer[48];
    std::snprintf(buffer, sizeof buffer, "%.*e", precision - 1, v);
    Decimal decimal;
    const char* p = buffer;
    for (; *p != '\0' && *p != 'e'; ++p) {
        if (*p >= '0' && *p <= '9') decimal.digits.push_back(*p);
    }
    const int exponent = (*p == 'e') ? static_cast<int>(std::strtol(p + 1, nullptr, 10)) : 0;
    decimal.exponent = exponent - (precision - 1);
    return decimal;
}

// True when the decimal reads back as exactly v (the "round trip" of ECMA-262).
bool round_trips(const Decimal& decimal, double v) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%se%d", decimal.digits.c_str(), decimal.exponent);
    return std::strtod(buffer, nullptr) == v;
}

// The next decimal with the same number of digits above (+1) or below (-1).
Decimal step_last_digit(Decimal decimal, int delta) {
    const char wrap_from = delta > 0 ? '9' : '0';
    const char wrap_to = delta > 0 ? '0' : '9';
    for (std::size_t i = decimal.digits.size(); i-- > 0;) {
        char& digit = decimal.digits[i];
        if (digit != wrap_from) {
            digit = static_cast<char>(digit + delta);
            return decimal;
        }
        digit = wrap_to;
    }
    if (delta > 0) decimal.digits.insert(decimal.digits.begin(), '1');  // 99 + 1 = 100
    return decimal;
}

// ECMA-262 Number::toString step 5: the fewest digits k that round-trip and,
// among those, the closest to v. Correct rounding finds the closest k-digit
// decimal; when v is a power of two its rounding interval is lopsided, so the
// neighbour on the other side of v may round-trip when the nearest does not.
Decimal shortest_decimal(double v) {
    for (int precision = 1; precision < 17; ++precision) {
        const Decimal nearest = nearest_decimal(v, precision);
        if (round_trips(nearest, v)) return nearest;
        for (const int delta : {-1, 1}) {
            Decimal neighbour = step_last_digit(nearest, delta);
            if (round_trips(neighbour, v)) return neighbour;
        }
    }
    return nearest_decimal(v, 17);  // 17 significant digits always round-trip a double
}
#endif

// Below 2^53 every integer is exact and the double's neighbours are at most 1
// away, so its own digits are the shortest round trip. The common case
// (timestamps, counts, versions) thus skips the printf search, which is slow
// under wasm's software long double.
bool is_exact_integer(double v) {
    constexpr double kTwoPow53 = 9007199254740992.0;
    return v < kTwoPow53 && std::trunc(v) == v;
}

// Rewrites digits × 10^exponent as ECMA-262's s (no leading or trailing zeros,
// k digits) and n, where the value is 0.s × 10^n.
void to_significand(Decimal& decimal, int& n) {
    std::string& s = decimal.digits;
    s.erase(0, std::min(s.find_first_not_of('0'), s.size()));
    while (s.size() > 1 && s.back() == '0') {
        s.pop_back();
        ++decimal.exponent;
    }
    n = decimal.exponent + static_cast<int>(s.size());
}

// ECMA-262 Number::toString steps 6-10: plain digits for 1e-6 <= x < 1e21,
// otherwise one digit, optional fraction and "e+"/"e-" exponent.
std::string ecmascript_layout(const std::string& s, int n) {
    const int k = static_cast<int>(s.size());
    if (k <= n && n <= 21) return s + std::string(static_cast<std::size_t>(n - k), '0');
    if (0 < n && n <= 21) return s.substr(0, static_cast<std::size_t>(n)) + "." + s.substr(static_cast<std::size_t>(n));
    if (-6 < n && n <= 0) return "0." + std::string(static_cast<std::size_t>(-n), '0') + s;
    const int e = n - 1;
    const std::string exponent = (e > 0 ? "e+" : "e-") + std::to_string(std::abs(e));
    if (k == 1) return s + exponent;
    return s.substr(0, 1) + "." + s.substr(1) + exponent;
}

// RFC 8785 §3.2.2.3. Every JSON number is an IEEE-754 double here (as in
// ECMAScript), so integers beyond 2^53 are rounded to the nearest double first.
Status append_number(std::string& out, double v) {
    if (!std::isfinite(v)) {
        return make_error("jcs.number_not_finite", "NaN and Infinity have no JSON form (RFC 8785 §3.2.2.3)");
    }
    if (v == 0) {  // ECMA-262 step 2: +0 and -0 are both "0"
        out += '0';
        return Unit{};
    }
    if (v < 0) out += '-';
    const double magnitude = std::fabs(v);
#ifdef CONSENT_SMALL_JSON
    // consent-banner.wasm hashes notices, which hold integers only (notice_to_json); it carries no
    // printf to search for a fraction's shortest digits, and refuses one instead (fail closed).
    if (!is_exact_integer(magnitude))
        return make_error("jcs.unsupported_value", "this build of the core writes integers only");
    Decimal decimal{std::to_string(static_cast<std::int64_t>(magnitude)), 0};
#else
    Decimal decimal = is_exact_integer(magnitude) ? Decimal{std::to_string(static_cast<std::int64_t>(magnitude)), 0}
                                                  : shortest_decimal(magnitude);
#endif
    int n = 0;
    to_significand(decimal, n);
    out += ecmascript_layout(decimal.digits, n);
    return Unit{};
}

// ---------------------------------------------------------------------------
// Strings: RFC 8785 §3.2.2.2

// Only '"', '\' and U+0000..U+001F are escaped; the short forms win where
// they exist, the rest are \u00xx with lowercase hex.
void append_ascii(std::string& out, char c) {
    switch (c) {
        case '"': out += "\\\""; return;
        case '\\': out += "\\\\"; return;
        case '\b': out += "\\b"; return;
        case '\t': out += "\\t"; return;
        case '\n': out += "\\n"; return;
        case '\f': out += "\\f"; return;
        case '\r': out += "\\r"; return;
        default: break;
    }
    if (static_cast<unsigned char>(c) < 0x20) {
        constexpr char kHex[] = "0123456789abcdef";
        out += "\\u00";
        out.push_back(kHex[(c >> 4) & 0xF]);
        out.push_back(kHex[c & 0xF]);
    } else {
        out.push_back(c);
    }
}

// Everything outside ASCII is copied as raw UTF-8 after checking it is
// well-formed: canonical bytes must be the same text in every language.
Status append_string(std::string& out, std::string_view text) {
    out.push_back('"');
    for (std::size_t i = 0; i < text.size();) {
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            append_ascii(out, text[i++]);
            continue;
        }
        const std::size_t start = i;
        char32_t code_point = 0;
        if (!decode_utf8(text, i, code_point)) {
            return make_error("jcs.invalid_utf8", "string is not valid UTF-8 (RFC 8785 §3.2.2.2)");
        }
        out.append(text.substr(start, i - start));
    }
    out.push_back('"');
    return Unit{};
}

// ---------------------------------------------------------------------------
// Serialization: RFC 8785 §3.2

Status append_value(std::string& out, const json& value, std::size_t depth);

Error too_deep(std::string path) {
    std::string message = "arrays and objects nest deeper than " + std::to_string(kJsonMaxDepth) + " levels";
    return make_error("json.too_deep", std::move(message), std::move(path));
}

Status check_depth(std::size_t depth) {
    if (depth < kJsonMaxDepth) return Unit{};
    return too_deep({});
}

Status append_array(std::string& out, const json::array_t& elements, std::size_t depth) {
    if (Status deep = check_depth(depth); !deep) return deep;
    out.push_back('[');
    for (std::size_t i = 0; i < elements.size(); ++i) {
        if (i > 0) out.push_back(',');
        Status element = append_value(out, elements[i], depth + 1);
        if (!element) return under(std::move(element), std::to_string(i));
    }
    out.push_back(']');
    return Unit{};
}

using Member = std::pair<std::u16string, const json::object_t::value_type*>;

// RFC 8785 §3.2.3: members ordered by their names' UTF-16 code units,
// compared as unsigned integers (std::u16string's char16_t is unsigned).
Result<std::vector<Member>> sorted_members(const json::object_t& object) {
    std::vector<Member> members;
    members.reserve(object.size());
    for (const auto& member : object) {
        std::u16string units;
        if (!utf16_code_units(member.first, units)) {
            return make_error("jcs.invalid_utf8", "a member name is not valid UTF-8 (RFC 8785 §3.2.2.2)");
        }
        members.emplace_back(std::move(units), &member);
    }
    std::sort(members.begin(), members.end(), [](const Member& a, const Member& b) { return a.first < b.first; });
    return members;
}

Status append_object(std::string& out, const json::object_t& object, std::size_t depth) {
    if (Status deep = check_depth(depth); !deep) return deep;
    Result<std::vector<Member>> members = sorted_members(object);
    if (!members) return members.error();
    out.push_back('{');
    for (std::size_t i = 0; i < members->size(); ++i) {
        const auto& [name, value] = *(*members)[i].second;
        if (i > 0) out.push_back(',');
        (void)append_string(out, name);  // sorted_members already checked the UTF-8
        out.push_back(':');
        Status member = append_value(out, value, depth + 1);
        if (!member) return under(std::move(member), pointer_token(name));
    }
    out.push_back('}');
    return Unit{};
}

// Dispatch on the stored type; get_ptr never throws and matches the switch.
Status append_value(std::string& out, const json& value, std::size_t depth) {
    switch (value.type()) {
        case json::value_t::null: out += "null"; return Unit{};
        case json::value_t::boolean: out += *value.get_ptr<const json::boolean_t*>() ? "true" : "false"; return Unit{};
        case json::value_t::number_integer:
            return append_number(out, static_cast<double>(*value.get_ptr<const json::number_integer_t*>()));
        case json::value_t::number_unsigned:
            return append_number(out, static_cast<double>(*value.get_ptr<const json::number_unsigned_t*>()));
        case json::value_t::number_float: return append_number(out, *value.get_ptr<const json::number_float_t*>());
        case json::value_t::string: return append_string(out, *value.get_ptr<const json::string_t*>());
        case json::value_t::array: return append_array(out, *value.get_ptr<const json::array_t*>(), depth);
        case json::value_t::object: return append_object(out, *value.get_ptr<const json::object_t*>(), depth);
        case json::value_t::binary:
        case json::value_t::discarded:
        default: break;
    }
    return make_error("jcs.unsupported_value", "binary and discarded values have no JSON form");
}

#ifndef CONSENT_SMALL_JSON
// ---------------------------------------------------------------------------
// Strict parsing: nlohmann's SAX parser plus our own DOM builder, because the
// stock builder silently keeps the last of two equal member names.

class StrictDomBuilder {
public:
    bool null() { return add(json(nullptr)); }
    bool boolean(bool value) { return add(json(value)); }
    bool number_integer(json::number_integer_t value) { return add(json(value)); }
    bool number_unsigned(json::number_unsigned_t value) { return add(json(value)); }
    bool number_float(json::number_float_t value, const json::string_t& /*text*/);
    bool string(json::string_t& value) { return add(json(std::move(value))); }
    bool binary(json::binary_t& /*value*/);
    bool start_object(std::size_t /*elements*/) { return open(json(json::value_t::object)); }
    bool key(json::string_t& name);
    bool end_object() { return close(); }
    bool start_array(std::size_t /*elements*/) { return open(json(json::value_t::array)); }
    bool end_array() { return close(); }
    bool parse_error(std::size_t position, const std::string& /*last_token*/, const json::exception& ex);

    Result<json> finish(bool parsed) &&;

private:
    // An open array or object and, for an object, the name of the member
    // whose value comes next.
    struct Frame {
        json* container;
        std::string key;
    };

    json* place(json value);
    bool add(json value) { return place(std::move(value)) != nullptr; }
    bool open(json container);
    bool close();
    bool fail(Error error);
    std::string token_of(const Frame& frame, bool next) const;
    std::string pointer_to_open_container() const;
    std::string pointer_to_next_value() const;

    json root_;
    std::vector<Frame> open_;
    std::optional<Error> error_;
};

// Puts a finished value where the parser is: the root, the end of the open
// array, or the open object under the name just read by key().
json* StrictDomBuilder::place(json value) {
    if (open_.empty()) {
        root_ = std::move(value);
        return &root_;
    }
    Frame& top = open_.back();
    if (auto* array = top.container->get_ptr<json::array_t*>()) {
        array->push_back(std::move(value));
        return &array->back();
    }
    auto* object = top.container->get_ptr<json::object_t*>();
    return &object->emplace(top.key, std::move(value)).first->second;
}

// Containers are built in place, so pointers to open ones stay valid: nothing
// is added to a parent array while one of its children is still open.
bool StrictDomBuilder::open(json container) {
    if (open_.size() >= kJsonMaxDepth) return fail(too_deep(pointer_to_next_value()));
    json* placed = place(std::move(container));
    open_.push_back(Frame{placed, {}});
    return true;
}

bool StrictDomBuilder::close() {
    open_.pop_back();
    return true;
}

// RFC 8785 §3.1 requires I-JSON (RFC 7493 §2.3): member names are unique.
bool StrictDomBuilder::key(json::string_t& name) {
    Frame& top = open_.back();
    const auto* object = top.container->get_ptr<const json::object_t*>();
    if (object->count(name) != 0) {
        return fail(make_error("jcs.duplicate_key", "an object has two members with the same name (RFC 7493 §2.3)",
                               pointer_to_open_container() + "/" + pointer_token(name)));
    }
    top.key = std::move(name);
    return true;
}

// Literals beyond the double range (1e400) become infinity, which JCS cannot
// write back (RFC 8785 §3.2.2.3). nlohmann 3.11 reports them as parse error 406
// (see parse_error); this check covers versions that pass infinity through.
bool StrictDomBuilder::number_float(json::number_float_t value, const json::string_t& /*text*/) {
    if (!std::isfinite(value)) {
        return fail(make_error("jcs.number_not_finite", "a number is outside the range of an IEEE-754 double",
                               pointer_to_next_value()));
    }
    return add(json(value));
}

// Only reached from binary formats (CBOR, ...), never from JSON text.
bool StrictDomBuilder::binary(json::binary_t& /*value*/) {
    return fail(make_error("json.parse_error", "binary values are not JSON", pointer_to_next_value()));
}

// nlohmann's message says line, column and what was read; drop its
// "[json.exception.parse_error.101] " prefix, keep the byte offset.
bool StrictDomBuilder::parse_error(std::size_t position, const std::string& /*last_token*/, const json::exception& ex) {
    constexpr int kNumberOverflow = 406;  // nlohmann out_of_range.406: literal beyond the double range
    if (ex.id == kNumberOverflow) {
        return fail(make_error("jcs.number_not_finite", "a number is outside the range of an IEEE-754 double",
                               pointer_to_next_value()));
    }
    std::string detail = ex.what();
    if (const auto end_of_id = detail.find("] "); end_of_id != std::string::npos) detail.erase(0, end_of_id + 2);
    return fail(make_error("json.parse_error",
                           "malformed JSON at byte " + std::to_string(position) + ": " + printable_utf8(detail)));
}

bool StrictDomBuilder::fail(Error error) {
    error_ = std::move(error);
    return false;  // stops nlohmann's parser
}

// The RFC 6901 token naming a frame's child: the open one or the next one.
std::string StrictDomBuilder::token_of(const Frame& frame, bool next) const {
    if (const auto* array = frame.container->get_ptr<const json::array_t*>()) {
        return std::to_string(next ? array->size() : array->size() - 1);
    }
    return pointer_token(frame.key);
}

std::string StrictDomBuilder::pointer_to_open_container() const {
    std::string pointer;
    for (std::size_t i = 0; i + 1 < open_.size(); ++i) pointer += "/" + token_of(open_[i], false);
    return pointer;
}

std::string StrictDomBuilder::pointer_to_next_value() const {
    if (open_.empty()) return "";
    return pointer_to_open_container() + "/" + token_of(open_.back(), true);
}

Result<json> StrictDomBuilder::finish(bool parsed) && {
    if (error_) return *error_;
    if (!parsed) return make_error("json.parse_error", "malformed JSON");
    return std::move(root_);
}
#endif

}  // namespace

Result<std::string> canonicalize(const json& value) {
    std::string out;
    Status written = append_value(out, value, 0);
    if (!written) return written.error();
    return out;
}

#ifdef CONSENT_SMALL_JSON
Result<json> parse_json_strict(std::string_view json_text) { return parse_small_json_strict(json_text); }
#else
Result<json> parse_json_strict(std::string_view json_text) {
    // RFC 8259 §8.1: a parser MAY ignore a byte order mark; a strict one refuses
    // it, so that the bytes signed are the bytes every verifier parses.
    if (json_text.substr(0, 3) == "\xEF\xBB\xBF") {
        return make_error("json.parse_error", "malformed JSON at byte 0: byte order mark (RFC 8259 §8.1)");
    }
    StrictDomBuilder builder;
    const char* begin = json_text.data();
    const bool parsed = json::sax_parse(begin, begin + json_text.size(), &builder);
    Result<json> value = std::move(builder).finish(parsed);
    // nlohmann's lexer takes a NUL byte for the end of the input, so "1\0junk"
    // parsed as 1. No JSON text holds a raw NUL (RFC 8259 §7: control
    // characters are escaped), so a text it accepted with one is malformed
    // (found by the small_json fuzz target: SmallJson, the banner's parser,
    // refused it). Checked after, so that an earlier fault is the one named.
    if (value) {
        if (const auto nul = json_text.find('\0'); nul != std::string_view::npos)
            return make_error("json.parse_error", "malformed JSON at byte " + std::to_string(nul) + ": a NUL byte");
    }
    return value;
}
#endif

Result<std::string> canonicalize_text(std::string_view json_text) {
    Result<json> parsed = parse_json_strict(json_text);
    if (!parsed) return parsed.error();
    return canonicalize(*parsed);
}

}  // namespace consent
