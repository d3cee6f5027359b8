// Flatten and Unflatten: reprs, and the reshape that Unflatten asks for.
#include "nn/flatten.hpp"

namespace xg::nn {

std::string Flatten::extra_repr() const {
    return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

// in with dim d replaced by unflattened_size: [N, 12] with dim 1 and (3, -1) -> [N, 3, -1].
std::vector<std::int64_t> Unflatten::target(const Shape& in) const {
    const std::size_t d = normalize_dim("Unflatten", dim, in.size(), in);
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (i == d) out.insert(out.end(), unflattened_size.begin(), unflattened_size.end());
        else out.push_back(static_cast<std::int64_t>(in[i]));
    }
    return out;
}

std::string Unflatten::extra_repr() const {
    std::string s = "dim=" + std::to_string(dim) + ", unflattened_size=(";
    for (std::size_t i = 0; i < unflattened_size.size(); ++i)
        s += (i ? ", " : "") + std::to_string(unflattened_size[i]);
    return s + (unflattened_size.size() == 1 ? ",)" : ")");  // a Python tuple: (6,) or (2, 3)
}

}  // namespace xg::nn
