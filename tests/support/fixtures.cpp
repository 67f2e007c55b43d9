#include "fixtures.hpp"

#include <stdexcept>

#include "test_files.hpp"

namespace consent::test {

nlohmann::json shop_notice_json() { return nlohmann::json::parse(read_file(data_dir() + "/notices/shop.json")); }

Notice shop_notice() {
    auto parsed = parse_notice(shop_notice_json());
    if (!parsed)
        throw std::runtime_error("fixture notice invalid: " + parsed.error().code + " at " + parsed.error().path);
    return std::move(parsed).value();
}

Decision test_decision(const Notice& notice, Method method, std::map<std::string, bool> choices,
                       std::vector<std::string> withdraw) {
    DecisionRequest r;
    r.decision_id = "dec_0001-abcd";
    r.subject_id = "3f9a1c2e-visitor";
    r.notice_id = notice.notice_id;
    r.notice_version = notice.version;
    r.notice_hash = notice_content_hash(notice);
    r.language = notice.default_language();
    r.method = method;
    r.choices = std::move(choices);
    r.withdraw = std::move(withdraw);
    auto d = make_decision(notice, r.notice_hash, r);
    if (!d) throw std::runtime_error("make_decision: " + d.error().code + " at " + d.error().path);
    return std::move(d).value();
}

std::vector<merkle::Hash> numbered_leaf_hashes(std::size_t count) {
    std::vector<merkle::Hash> hashes;
    for (std::size_t i = 0; i < count; ++i) hashes.push_back(merkle::leaf_hash("leaf " + std::to_string(i)));
    return hashes;
}

}  // namespace consent::test
