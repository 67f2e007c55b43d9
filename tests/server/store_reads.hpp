// Tests read the store through this: a read that fails fails the test with
// the store's error code, instead of being mistaken for "nothing stored".
#pragma once

#include <catch2/catch.hpp>

#include <string>
#include <utility>

#include "consent/base/result.hpp"

namespace consent::test {

template <class T>
T read_ok(consent::Result<T> result) {
    INFO((result.ok() ? std::string() : result.error().code + ": " + result.error().message));
    REQUIRE(result.ok());
    return std::move(result).value();
}

}  // namespace consent::test
