// Internal helpers of the schedulers' state_dict: numbers and lists of numbers as metadata text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/format.hpp"
#include "core/state_dict.hpp"

namespace xg::optim::detail {

// A JSON list of numbers ("[0.1, 0.02]"), and back; errors name `where` and the key.
std::string list_json(const std::vector<double>& values);
std::string list_json(const std::vector<std::int64_t>& values);
std::vector<double> meta_list(const StateDict& d, const std::string& key, const std::string& where);

template <class T>
T meta_number(const StateDict& d, const std::string& key, const std::string& where) {
    if (!d.metadata.contains(key)) throw Error(where + " metadata '" + key + "' is missing");
    return parse_number<T>(d.metadata.at(key), where + " metadata '" + key + "'");
}

// Python's a // b (rounds toward minus infinity).
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    const std::int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace xg::optim::detail
