// Dropout (through nn::functional::dropout) and Flatten.
#include "nn/dropout.hpp"

#include <sstream>

#include "core/ops.hpp"
#include "nn/functional.hpp"

namespace xg::nn {

Dropout::Dropout(float p_) : p(p_) {
    if (!(p >= 0.0f && p <= 1.0f)) throw Error("Dropout: probability must be between 0 and 1, got " + std::to_string(p));
}
Tensor Dropout::forward(const Tensor& x) { return functional::dropout(x, p, is_training()); }
std::string Dropout::extra_repr() const {
    std::ostringstream s;
    s << "p=" << p << ", inplace=false";
    return s.str();
}

Tensor Flatten::forward(const Tensor& x) { return flatten(x, start_dim, end_dim); }
Shape Flatten::output_shape(const Shape& in) {
    if (in.empty()) return Shape{1};
    const std::size_t s = normalize_dim("Flatten", start_dim, in.size(), in);
    const std::size_t e = normalize_dim("Flatten", end_dim, in.size(), in);
    if (s > e) throw Error("Flatten: start_dim " + std::to_string(start_dim) + " comes after end_dim " + std::to_string(end_dim));
    Shape out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (i <= s || i > e) out.push_back(in[i]);
        else out.back() *= in[i];
    }
    return out;
}

std::string Flatten::extra_repr() const {
    return "start_dim=" + std::to_string(start_dim) + ", end_dim=" + std::to_string(end_dim);
}

}  // namespace xg::nn
