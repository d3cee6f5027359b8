// Dropout, through nn::functional::dropout.
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

}  // namespace xg::nn
