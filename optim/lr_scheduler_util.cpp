// The schedulers' metadata helpers (lr_scheduler_util.hpp).
#include "optim/lr_scheduler_util.hpp"

#include <nlohmann/json.hpp>

namespace xg::optim::detail {

std::string list_json(const std::vector<double>& values) { return nlohmann::json(values).dump(); }
std::string list_json(const std::vector<std::int64_t>& values) { return nlohmann::json(values).dump(); }

std::vector<double> meta_list(const StateDict& d, const std::string& key, const std::string& where) {
    if (!d.metadata.contains(key)) throw Error(where + " metadata '" + key + "' is missing");
    const std::string& text = d.metadata.at(key);
    nlohmann::json j;
    try {
        j = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception&) {
        throw Error(where + " metadata '" + key + "' is '" + text + "', not a JSON list");
    }
    if (!j.is_array()) throw Error(where + " metadata '" + key + "' is '" + text + "', not a list of numbers");
    std::vector<double> out;
    for (const auto& v : j) {
        if (!v.is_number()) throw Error(where + " metadata '" + key + "' is '" + text + "', not a list of numbers");
        out.push_back(v.get<double>());
    }
    return out;
}

}  // namespace xg::optim::detail
