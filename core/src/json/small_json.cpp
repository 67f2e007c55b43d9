// SmallJson (small_json.hpp): its members, its writer and its strict parser.
// Pure: strtod only ever reads a local buffer. Nothing throws.
#include "consent/json/small_json.hpp"

#include "consent/json/canonical_json.hpp"

#include <cmath>
#include <cstdlib>
#include <optional>

namespace consent {
namespace {

const SmallJson& null_value() {
    static const SmallJson null(nullptr);
    return null;
}

// Every element a two-element array that starts with a string: nlohmann's rule for an object.
bool looks_like_object(std::initializer_list<SmallJson> list) {
    for (const SmallJson& e : list)
        if (!e.is_array() || e.size() != 2 || !e[std::size_t{0}].is_string()) return false;
    return true;
}

void append_unsigned(std::string& out, std::uint64_t n) {
    char digits[24];
    std::size_t count = 0;
    do {
        digits[count++] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n != 0);
    while (count > 0) out.push_back(digits[--count]);
}

void append_integer(std::string& out, std::int64_t n) {
    if (n < 0) out.push_back('-');
    // -(n + 1) + 1 keeps INT64_MIN in range.
    append_unsigned(out, n < 0 ? static_cast<std::uint64_t>(-(n + 1)) + 1 : static_cast<std::uint64_t>(n));
}

// Not reached by the core's answers (integers only); 17 significant digits, not the shortest.
void append_double(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";  // as nlohmann writes NaN and infinity
        return;
    }
    if (std::trunc(d) == d && std::fabs(d) < 9007199254740992.0) {
        append_integer(out, static_cast<std::int64_t>(d));
        out += ".0";
        return;
    }
    if (d < 0) out.push_back('-');
    d = std::fabs(d);
    int exponent = 0;
    while (d >= 10) d /= 10, ++exponent;
    while (d < 1) d *= 10, --exponent;
    for (int i = 0; i < 17; ++i) {
        const int digit = static_cast<int>(d);
        out.push_back(static_cast<char>('0' + digit));
        if (i == 0) out.push_back('.');
        d = (d - digit) * 10;
    }
    out.push_back('e');
    append_integer(out, exponent);
}

constexpr char kHex[] = "0123456789abcdef";

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629 §4), 0 when it is not one.
std::size_t utf8_length(std::string_view text, std::size_t i) {
    const auto at = [&](std::size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0u; };
    const unsigned lead = at(i);
    const auto cont = [&](std::size_t k, unsigned lo, unsigned hi) { return at(k) >= lo && at(k) <= hi; };
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return cont(i + 1, 0x80, 0xBF) ? 2 : 0;
    if (lead >= 0xE0 && lead <= 0xEF) {
        const unsigned lo = lead == 0xE0 ? 0xA0 : 0x80;
        const unsigned hi = lead == 0xED ? 0x9F : 0xBF;  // no UTF-16 surrogates
        return cont(i + 1, lo, hi) && cont(i + 2, 0x80, 0xBF) ? 3 : 0;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        const unsigned lo = lead == 0xF0 ? 0x90 : 0x80;
        const unsigned hi = lead == 0xF4 ? 0x8F : 0xBF;  // nothing above U+10FFFF
        return cont(i + 1, lo, hi) && cont(i + 2, 0x80, 0xBF) && cont(i + 3, 0x80, 0xBF) ? 4 : 0;
    }
    return 0;
}

void append_string(std::string& out, std::string_view text, bool replace) {
    out.push_back('"');
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t length = utf8_length(text, i);
            if (length == 0) {
                if (replace) out += "\xEF\xBF\xBD";
                ++i;
            } else {
                out.append(text.substr(i, length));
                i += length;
            }
            continue;
        }
        ++i;
        switch (c) {
            case '"': out += "\\\""; continue;
            case '\\': out += "\\\\"; continue;
            case '\b': out += "\\b"; continue;
            case '\t': out += "\\t"; continue;
            case '\n': out += "\\n"; continue;
            case '\f': out += "\\f"; continue;
            case '\r': out += "\\r"; continue;
            default: break;
        }
        if (c < 0x20) {
            out += "\\u00";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xF]);
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    out.push_back('"');
}

void append_value(std::string& out, const SmallJson& v, bool replace) {
    using T = SmallJson::value_t;
    switch (v.type()) {
        case T::boolean: out += v.get<bool>() ? "true" : "false"; return;
        case T::number_integer: append_integer(out, v.get<std::int64_t>()); return;
        case T::number_unsigned: append_unsigned(out, v.get<std::uint64_t>()); return;
        case T::number_float: append_double(out, *v.get_ptr<const double*>()); return;
        case T::string: append_string(out, *v.get_ptr<const std::string*>(), replace); return;
        case T::array: {
            out.push_back('[');
            bool first = true;
            for (const SmallJson& e : *v.get_ptr<const SmallJson::array_t*>()) {
                if (!first) out.push_back(',');
                first = false;
                append_value(out, e, replace);
            }
            out.push_back(']');
            return;
        }
        case T::object: {
            out.push_back('{');
            bool first = true;
            for (const auto& [key, member] : *v.get_ptr<const SmallJson::object_t*>()) {
                if (!first) out.push_back(',');
                first = false;
                append_string(out, key, replace);
                out.push_back(':');
                append_value(out, member, replace);
            }
            out.push_back('}');
            return;
        }
        default: out += "null"; return;
    }
}

}  // namespace

SmallJson::const_iterator& SmallJson::const_iterator::operator++() {
    if (array_ != nullptr) ++array_;
    else ++object_;
    return *this;
}

SmallJson::SmallJson(const SmallJson& other) = default;
SmallJson::SmallJson(SmallJson&& other) noexcept = default;
SmallJson& SmallJson::operator=(const SmallJson& other) = default;
SmallJson& SmallJson::operator=(SmallJson&& other) noexcept = default;
SmallJson::~SmallJson() = default;

SmallJson::SmallJson(const std::vector<std::string>& list) : type_(value_t::array) {
    array_.reserve(list.size());
    for (const auto& s : list) array_.emplace_back(s);
}

SmallJson::SmallJson(std::initializer_list<SmallJson> list) {
    if (looks_like_object(list)) {
        type_ = value_t::object;
        for (const SmallJson& pair : list) object_.emplace(pair.array_[0].string_, pair.array_[1]);
    } else {
        type_ = value_t::array;
        array_.assign(list.begin(), list.end());
    }
}

std::size_t SmallJson::size() const noexcept {
    switch (type_) {
        case value_t::null: return 0;
        case value_t::array: return array_.size();
        case value_t::object: return object_.size();
        default: return 1;
    }
}

SmallJson::const_iterator SmallJson::begin() const {
    const_iterator it;
    if (type_ == value_t::array) it.array_ = array_.data();
    else if (type_ == value_t::object) it.object_ = object_.begin();
    return it;
}

SmallJson::const_iterator SmallJson::end() const {
    const_iterator it;
    if (type_ == value_t::array) it.array_ = array_.data() + array_.size();
    else if (type_ == value_t::object) it.object_ = object_.end();
    return it;
}

SmallJson::const_iterator SmallJson::find(std::string_view key) const {
    if (type_ != value_t::object) return end();
    const_iterator it;
    it.object_ = object_.find(key);
    return it;
}

const SmallJson& SmallJson::at(std::string_view key) const {
    if (type_ != value_t::object) return null_value();
    const auto it = object_.find(key);
    return it == object_.end() ? null_value() : it->second;
}

const SmallJson& SmallJson::operator[](std::size_t index) const {
    return type_ == value_t::array && index < array_.size() ? array_[index] : null_value();
}

SmallJson& SmallJson::operator[](std::string_view key) {
    if (type_ == value_t::null) type_ = value_t::object;
    auto it = object_.find(key);
    if (it == object_.end()) it = object_.emplace(std::string(key), SmallJson()).first;
    return it->second;
}

void SmallJson::push_back(SmallJson value) {
    if (type_ == value_t::null) type_ = value_t::array;
    array_.push_back(std::move(value));
}

std::size_t SmallJson::erase(std::string_view key) {
    if (type_ != value_t::object) return 0;
    const auto it = object_.find(key);
    if (it == object_.end()) return 0;
    object_.erase(it);
    return 1;
}

std::string SmallJson::dump(int /*indent*/, char /*indent_char*/, bool /*ensure_ascii*/,
                            error_handler_t handler) const {
    std::string out;
    append_value(out, *this, handler == error_handler_t::replace);
    return out;
}

bool operator==(const SmallJson& a, const SmallJson& b) {
    using T = SmallJson::value_t;
    if (a.is_number_integer() && b.is_number_integer()) {
        // nlohmann compares a signed and an unsigned integer by value.
        if (a.type_ == b.type_)
            return a.type_ == T::number_integer ? a.integer_ == b.integer_ : a.unsigned_ == b.unsigned_;
        const SmallJson& s = a.type_ == T::number_integer ? a : b;
        const SmallJson& u = a.type_ == T::number_integer ? b : a;
        return s.integer_ >= 0 && static_cast<std::uint64_t>(s.integer_) == u.unsigned_;
    }
    if (a.type_ != b.type_) return false;
    switch (a.type_) {
        case T::boolean: return a.bool_ == b.bool_;
        case T::number_float: return a.double_ == b.double_;
        case T::string: return a.string_ == b.string_;
        case T::array: return a.array_ == b.array_;
        case T::object: return a.object_ == b.object_;
        default: return true;
    }
}

// ---------------------------------------------------------------------------
// The strict parser: RFC 8259's grammar, I-JSON's unique member names (RFC 7493 §2.3), at most
// kSmallJsonMaxDepth open arrays and objects. An error below a member or element gets that member's
// token in front on the way out, which gives canonical_json's paths.

namespace {

constexpr std::size_t kSmallJsonMaxDepth = kJsonMaxDepth;

std::string pointer_token(std::string_view name) {
    std::string token;
    for (const char c : name) {
        if (c == '~') token += "~0";
        else if (c == '/') token += "~1";
        else token.push_back(c);
    }
    return token;
}

class Parser {
public:
    explicit Parser(std::string_view text) : text_(text) {}

    Result<SmallJson> document() {
        SmallJson root;
        skip_space();
        if (auto e = value(root, 0)) return *e;
        skip_space();
        if (pos_ != text_.size()) return malformed("unexpected text after the value");
        return root;
    }

private:
    using Failure = std::optional<Error>;

    Error malformed(std::string_view what) const {
        std::string message = "malformed JSON at byte ";
        append_unsigned(message, pos_);
        message += ": ";
        message += what;
        return make_error("json.parse_error", std::move(message));
    }

    // A malformed text has no path (as canonical_json's parse_error): it is about bytes, not a value.
    static Error under(Error e, const std::string& token) {
        if (e.code != "json.parse_error") e.path = "/" + token + e.path;
        return e;
    }

    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    void skip_space() {
        while (!at_end() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++pos_;
    }
    bool literal(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    Failure value(SmallJson& out, std::size_t depth) {
        switch (peek()) {
            case '{': return object(out, depth);
            case '[': return array(out, depth);
            case '"': {
                std::string s;
                if (auto e = string(s)) return e;
                out = SmallJson(std::move(s));
                return std::nullopt;
            }
            case 't':
                if (literal("true")) return out = SmallJson(true), std::nullopt;
                break;
            case 'f':
                if (literal("false")) return out = SmallJson(false), std::nullopt;
                break;
            case 'n':
                if (literal("null")) return out = SmallJson(), std::nullopt;
                break;
            default:
                if (peek() == '-' || (peek() >= '0' && peek() <= '9')) return number(out);
                break;
        }
        return malformed(at_end() ? "unexpected end of input" : "expected a value");
    }

    Failure object(SmallJson& out, std::size_t depth) {
        if (depth >= kSmallJsonMaxDepth) return too_deep();
        ++pos_;
        out = SmallJson::object();
        skip_space();
        if (peek() == '}') return ++pos_, std::nullopt;
        for (;;) {
            skip_space();
            if (peek() != '"') return malformed("expected a member name");
            std::string key;
            if (auto e = string(key)) return e;
            if (out.contains(key))
                return make_error("jcs.duplicate_key", "an object has two members with the same name (RFC 7493 §2.3)",
                                  "/" + pointer_token(key));
            skip_space();
            if (peek() != ':') return malformed("expected ':'");
            ++pos_;
            skip_space();
            if (auto e = value(out[key], depth + 1)) return under(*e, pointer_token(key));
            skip_space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == '}') return ++pos_, std::nullopt;
            return malformed("expected ',' or '}'");
        }
    }

    Failure array(SmallJson& out, std::size_t depth) {
        if (depth >= kSmallJsonMaxDepth) return too_deep();
        ++pos_;
        out = SmallJson::array();
        skip_space();
        if (peek() == ']') return ++pos_, std::nullopt;
        for (std::size_t index = 0;; ++index) {
            skip_space();
            SmallJson element;
            if (auto e = value(element, depth + 1)) {
                std::string token;
                append_unsigned(token, index);
                return under(*e, token);
            }
            out.push_back(std::move(element));
            skip_space();
            if (peek() == ',') {
                ++pos_;
                continue;
            }
            if (peek() == ']') return ++pos_, std::nullopt;
            return malformed("expected ',' or ']'");
        }
    }

    static Error too_deep() {
        std::string message = "arrays and objects nest deeper than ";
        append_unsigned(message, kSmallJsonMaxDepth);
        message += " levels";
        return make_error("json.too_deep", std::move(message));
    }

    // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: an integer when it has neither fraction nor
    // exponent and fits 64 bits (unsigned unless negative), else a double, which must be finite.
    Failure number(SmallJson& out) {
        const std::size_t start = pos_;
        const bool negative = peek() == '-';
        if (negative) ++pos_;
        const auto digits = [this] {
            const std::size_t from = pos_;
            while (peek() >= '0' && peek() <= '9') ++pos_;
            return pos_ - from;
        };
        if (peek() == '0') ++pos_;
        else if (digits() == 0) return malformed("expected a digit");
        bool integral = true;
        if (peek() == '.') {
            ++pos_;
            integral = false;
            if (digits() == 0) return malformed("expected a digit after '.'");
        }
        if (peek() == 'e' || peek() == 'E') {
            ++pos_;
            integral = false;
            if (peek() == '+' || peek() == '-') ++pos_;
            if (digits() == 0) return malformed("expected a digit in the exponent");
        }
        const std::string literal_text(text_.substr(start, pos_ - start));
        if (integral) {
            std::uint64_t magnitude = 0;
            bool fits = true;
            for (std::size_t i = negative ? 1 : 0; i < literal_text.size() && fits; ++i) {
                const auto digit = static_cast<std::uint64_t>(literal_text[i] - '0');
                fits = magnitude <= (UINT64_MAX - digit) / 10;
                magnitude = magnitude * 10 + digit;
            }
            if (fits && !negative) return out = SmallJson(magnitude), std::nullopt;
            if (fits && magnitude <= static_cast<std::uint64_t>(INT64_MAX) + 1)
                return out =
                           SmallJson(magnitude == 0 ? std::int64_t{0} : -static_cast<std::int64_t>(magnitude - 1) - 1),
                       std::nullopt;
        }
        const double d = std::strtod(literal_text.c_str(), nullptr);
        if (!std::isfinite(d))
            return make_error("jcs.number_not_finite", "a number is outside the range of an IEEE-754 double");
        out = SmallJson(d);
        return std::nullopt;
    }

    // Four hex digits after "\u".
    std::optional<unsigned> hex4() {
        if (text_.size() - pos_ < 4) return std::nullopt;
        unsigned v = 0;
        for (int i = 0; i < 4; ++i) {
            const char c = text_[pos_++];
            v <<= 4;
            if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
            else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
            else return std::nullopt;
        }
        return v;
    }

    static void append_utf8(std::string& out, unsigned cp) {
        if (cp < 0x80) {
            out.push_back(static_cast<char>(cp));
        } else if (cp < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else if (cp < 0x10000) {
            out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        } else {
            out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
        }
    }

    // A string whose bytes are UTF-8, with no raw control character, and whose \u escapes pair surrogates.
    Failure string(std::string& out) {
        ++pos_;
        for (;;) {
            if (at_end()) return malformed("missing closing quote");
            const auto c = static_cast<unsigned char>(text_[pos_]);
            if (c == '"') return ++pos_, std::nullopt;
            if (c < 0x20) return malformed("control character in a string");
            if (c >= 0x80) {
                const std::size_t length = utf8_length(text_, pos_);
                if (length == 0) return malformed("ill-formed UTF-8");
                out.append(text_.substr(pos_, length));
                pos_ += length;
                continue;
            }
            ++pos_;
            if (c != '\\') {
                out.push_back(static_cast<char>(c));
                continue;
            }
            const char e = peek();
            ++pos_;
            switch (e) {
                case '"': out.push_back('"'); continue;
                case '\\': out.push_back('\\'); continue;
                case '/': out.push_back('/'); continue;
                case 'b': out.push_back('\b'); continue;
                case 'f': out.push_back('\f'); continue;
                case 'n': out.push_back('\n'); continue;
                case 'r': out.push_back('\r'); continue;
                case 't': out.push_back('\t'); continue;
                case 'u': break;
                default: return malformed("forbidden character after backslash");
            }
            auto unit = hex4();
            if (!unit) return malformed("'\\u' must be followed by 4 hex digits");
            unsigned cp = *unit;
            if (cp >= 0xDC00 && cp <= 0xDFFF) return malformed("a low surrogate without a high one");
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (!literal("\\u")) return malformed("a high surrogate without a low one");
                auto low = hex4();
                if (!low || *low < 0xDC00 || *low > 0xDFFF) return malformed("a high surrogate without a low one");
                cp = 0x10000 + ((cp - 0xD800) << 10) + (*low - 0xDC00);
            }
            append_utf8(out, cp);
        }
    }

    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

Result<SmallJson> parse_small_json_strict(std::string_view text) {
    if (text.substr(0, 3) == "\xEF\xBB\xBF")
        return make_error("json.parse_error", "malformed JSON at byte 0: byte order mark (RFC 8259 §8.1)");
    return Parser(text).document();
}

}  // namespace consent
