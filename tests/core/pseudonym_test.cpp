// Which subject ids the service maps to keyed pseudonyms, and the pseudonym's
// form (consent/consent/pseudonym.hpp), natively and in wasm.
#include "consent/consent/pseudonym.hpp"

#include <catch2/catch.hpp>

#include "consent/consent/text_rules.hpp"

TEST_CASE("only a browser-made id is stored as given, and an account id, an email or a pseudonym is mapped",
          "[core][pseudonym]") {
    CHECK(consent::stored_as_given("b_dmVyaWZ5LWJ1bmRsZS0wMQ"));
    CHECK_FALSE(consent::stored_as_given("alice@example.com"));
    CHECK_FALSE(consent::stored_as_given("user-42"));
    CHECK_FALSE(consent::stored_as_given("b_short"));
    // Mapping is not undone by spelling an id as a pseudonym.
    CHECK_FALSE(consent::stored_as_given("p_AAAAAAAAAAAAAAAAAAAAAA"));
}

TEST_CASE("a pseudonym is p_ and 128 bits of the MAC in base64url, a valid subject id", "[core][pseudonym]") {
    std::array<std::uint8_t, 32> mac{};
    for (std::size_t i = 0; i < mac.size(); ++i) mac[i] = static_cast<std::uint8_t>(i * 7);
    const std::string p = consent::pseudonym_from_mac(mac);
    CHECK(p == "p_AAcOFRwjKjE4P0ZNVFtiaQ");
    CHECK(consent::is_subject_id(p));
    mac[20] ^= 1;  // bytes past the first 16 do not matter
    CHECK(consent::pseudonym_from_mac(mac) == p);
    mac[3] ^= 1;
    CHECK(consent::pseudonym_from_mac(mac) != p);
}
