// Activation layers: thin wrappers over core's ops, with PyTorch's repr.
#include "nn/activation.hpp"

#include <sstream>

#include "core/ops.hpp"

namespace xg::nn {

Tensor ReLU::forward(const Tensor& x) { return relu(x); }
Tensor LeakyReLU::forward(const Tensor& x) { return leaky_relu(x, negative_slope); }
std::string LeakyReLU::extra_repr() const {
    std::ostringstream s;
    s << "negative_slope=" << negative_slope;
    return s.str();
}
Tensor Sigmoid::forward(const Tensor& x) { return sigmoid(x); }
Tensor Tanh::forward(const Tensor& x) { return tanh(x); }

GELU::GELU(std::string approx) : approximate(std::move(approx)) {
    if (approximate != "none" && approximate != "tanh") {
        throw Error("GELU: approximate must be \"none\" or \"tanh\", got \"" + approximate + "\"");
    }
}
Tensor GELU::forward(const Tensor& x) { return gelu(x, approximate); }
std::string GELU::extra_repr() const { return approximate == "none" ? "" : "approximate='" + approximate + "'"; }

Tensor Softmax::forward(const Tensor& x) { return softmax(x, dim); }
Tensor LogSoftmax::forward(const Tensor& x) { return log_softmax(x, dim); }
Shape Softmax::output_shape(const Shape& in) {
    normalize_dim("Softmax", dim, in.size(), in);
    return in;
}
Shape LogSoftmax::output_shape(const Shape& in) {
    normalize_dim("LogSoftmax", dim, in.size(), in);
    return in;
}

}  // namespace xg::nn
