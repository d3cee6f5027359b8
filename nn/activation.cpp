// Activation layers' reprs, GELU's argument check and the softmax layers' shape rule.
#include "nn/activation.hpp"
#include "core/format.hpp"

#include <sstream>

namespace xg::nn {

std::string LeakyReLU::extra_repr() const {
    std::ostringstream s;
    s << "negative_slope=" << format_number(negative_slope);
    return s.str();
}

GELU::GELU(std::string approx) : approximate(std::move(approx)) {
    if (approximate != "none" && approximate != "tanh") {
        throw Error("GELU: approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
    }
}
std::string GELU::extra_repr() const { return approximate == "none" ? "" : "approximate='" + approximate + "'"; }

Shape SoftmaxBase::output_shape(const Shape& in) {
    normalize_dim(op_name_, dim, in.size(), in);  // the check softmax and log_softmax make
    return in;
}

}  // namespace xg::nn
