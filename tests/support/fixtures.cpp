#include "fixtures.hpp"

#include <stdexcept>

#include "test_files.hpp"

namespace consent::test {

nlohmann::json shop_notice_json() {
    return nlohmann::json::parse(read_file(data_dir() + "/notices/shop.json"));
}

Notice shop_notice() {
    auto parsed = parse_notice(shop_notice_json());
    if (!parsed) throw std::runtime_error("fixture notice invalid: " + parsed.error().code + " at " + parsed.error().path);
    return std::move(parsed).value();
}

}  // namespace consent::test
