// strtod for consent-banner.wasm only: small, and not correctly rounded.
//
// nlohmann's lexer hands every JSON number with a fraction or an exponent to
// strtod, and musl's correctly rounded one (with its long-double scanner) costs
// the banner's module about 15 KB of code (web/tools/wasm_sizes.js). The
// banner's rules never read such a number: notices, decisions and state carry
// integers and strings only (DESIGN.md), so "1.5" meets "must be an integer"
// whatever its last bit, and a notice holding one does not hash to what the
// server published (the banner then refuses it: fail closed). The full module
// (consent-core.wasm) and the native builds keep libc's strtod.
//
// It reads exactly what JSON's number grammar allows (RFC 8259 §6), which is
// all nlohmann passes it, and sets *end after the last character it used.
#include <cstdlib>

namespace {

bool digit(char c) { return c >= '0' && c <= '9'; }

double scaled(double value, int exponent) {
    // Powers of ten by squaring; far outside double's range the value is 0 or inf anyway.
    if (exponent > 400) exponent = 400;
    if (exponent < -400) exponent = -400;
    double power = 1;
    double base = 10;
    for (int e = exponent < 0 ? -exponent : exponent; e != 0; e >>= 1, base *= base)
        if ((e & 1) != 0) power *= base;
    return exponent < 0 ? value / power : value * power;
}

}  // namespace

extern "C" double strtod(const char* text, char** end) {
    const char* p = text;
    const bool negative = *p == '-';
    if (negative) ++p;
    if (!digit(*p)) {
        if (end != nullptr) *end = const_cast<char*>(text);
        return 0;
    }
    double mantissa = 0;
    int exponent = 0;
    for (; digit(*p); ++p) mantissa = mantissa * 10 + (*p - '0');
    if (*p == '.' && digit(p[1]))
        for (++p; digit(*p); ++p, --exponent) mantissa = mantissa * 10 + (*p - '0');
    if ((*p == 'e' || *p == 'E') && (digit(p[1]) || ((p[1] == '+' || p[1] == '-') && digit(p[2])))) {
        ++p;
        const bool down = *p == '-';
        if (*p == '+' || *p == '-') ++p;
        int e = 0;
        for (; digit(*p); ++p)
            if (e < 10000) e = e * 10 + (*p - '0');
        exponent += down ? -e : e;
    }
    if (end != nullptr) *end = const_cast<char*>(p);
    const double value = scaled(mantissa, exponent);
    return negative ? -value : value;
}

// musl keeps strtof and strtold in strtod's object file: defined here too, or the linker pulls that file
// in for them (libc++ refers to both) and finds strtod twice.
extern "C" float strtof(const char* text, char** end) { return static_cast<float>(strtod(text, end)); }
extern "C" long double strtold(const char* text, char** end) { return strtod(text, end); }
