// Dropout and Dropout2d, through nn::functional::dropout and dropout2d.
#include "nn/dropout.hpp"

#include <sstream>

#include "nn/functional.hpp"
#include "core/format.hpp"

namespace xg::nn {

Dropout::Dropout(float p_) : p(p_) {
    if (!(p >= 0.0f && p <= 1.0f)) throw Error("Dropout: probability must be between 0 and 1, got " + format_number(p));
}
Tensor Dropout::forward(const Tensor& x) { return functional::dropout(x, p, is_training()); }
std::string Dropout::extra_repr() const {
    std::ostringstream s;
    s << "p=" << format_number(p) << ", inplace=false";
    return s.str();
}

Dropout2d::Dropout2d(float p_) : p(p_) { functional::dropout2d_shape({}, p, false, "Dropout2d"); }
Tensor Dropout2d::forward(const Tensor& x) { return functional::dropout2d(x, p, is_training()); }
Shape Dropout2d::output_shape(const Shape& in) {
    return functional::dropout2d_shape(in, p, is_training(), "Dropout2d");
}
std::string Dropout2d::extra_repr() const {
    std::ostringstream s;
    s << "p=" << format_number(p) << ", inplace=false";
    return s.str();
}

}  // namespace xg::nn
