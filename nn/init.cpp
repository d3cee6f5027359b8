// Initialisers: PyTorch's formulas for gains and fans, drawn from xgrad's generator.
#include "nn/init.hpp"

#include <cmath>

#include "core/random.hpp"

namespace xg::nn::init {

double calculate_gain(const std::string& nl, double param) {
    if (nl == "linear" || nl == "sigmoid" || nl.rfind("conv", 0) == 0) return 1.0;
    if (nl == "tanh") return 5.0 / 3.0;
    if (nl == "relu") return std::sqrt(2.0);
    if (nl == "leaky_relu") return std::sqrt(2.0 / (1.0 + param * param));
    if (nl == "selu") return 3.0 / 4.0;
    throw Error("init::calculate_gain: unsupported nonlinearity '" + nl + "'");
}

std::pair<double, double> calculate_fan_in_and_fan_out(const Tensor& t) {
    if (t.dim() < 2) {
        throw Error("init: fan in and fan out can't be computed for a tensor with fewer than 2 dims, got " +
                    shape_str(t.shape()));
    }
    double receptive = 1.0;
    for (std::size_t d = 2; d < t.dim(); ++d) receptive *= static_cast<double>(t.shape()[d]);
    return {static_cast<double>(t.shape()[1]) * receptive, static_cast<double>(t.shape()[0]) * receptive};
}

namespace {
double fan(const Tensor& t, const std::string& mode) {
    auto [in, out] = calculate_fan_in_and_fan_out(t);
    if (mode == "fan_in") return in;
    if (mode == "fan_out") return out;
    throw Error("init: mode must be \"fan_in\" or \"fan_out\", got \"" + mode + "\"");
}
}  // namespace

Tensor uniform_(Tensor t, double a, double b) {
    random::fill_uniform(t.data().data(), t.numel(), static_cast<float>(a), static_cast<float>(b));
    return t;
}

Tensor normal_(Tensor t, double mean, double std) {
    random::fill_normal(t.data().data(), t.numel(), static_cast<float>(mean), static_cast<float>(std));
    return t;
}

Tensor constant_(Tensor t, double value) {
    t.data().fill(static_cast<float>(value));
    return t;
}
Tensor zeros_(Tensor t) { return constant_(t, 0.0); }
Tensor ones_(Tensor t) { return constant_(t, 1.0); }

Tensor xavier_uniform_(Tensor t, double gain) {
    auto [in, out] = calculate_fan_in_and_fan_out(t);
    const double bound = gain * std::sqrt(6.0 / (in + out));
    return uniform_(t, -bound, bound);
}

Tensor xavier_normal_(Tensor t, double gain) {
    auto [in, out] = calculate_fan_in_and_fan_out(t);
    return normal_(t, 0.0, gain * std::sqrt(2.0 / (in + out)));
}

Tensor kaiming_uniform_(Tensor t, double a, const std::string& mode, const std::string& nonlinearity) {
    const double bound = calculate_gain(nonlinearity, a) * std::sqrt(3.0 / fan(t, mode));
    return uniform_(t, -bound, bound);
}

Tensor kaiming_normal_(Tensor t, double a, const std::string& mode, const std::string& nonlinearity) {
    return normal_(t, 0.0, calculate_gain(nonlinearity, a) / std::sqrt(fan(t, mode)));
}

}  // namespace xg::nn::init
