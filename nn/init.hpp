// nn::init: in-place initialisers with PyTorch's names, gains and fan modes
// (torch/nn/init.py). Each fills t.data() in place (t is a handle) and returns t.
#pragma once

#include <string>

#include "core/tensor.hpp"

namespace xg::nn::init {

// PyTorch's recommended gain: linear/conv*/sigmoid 1, tanh 5/3, relu √2,
// leaky_relu √(2 / (1 + slope²)) (slope = param, default 0.01), selu 3/4.
double calculate_gain(const std::string& nonlinearity, double param = 0.01);
// fan_in = size(1) · receptive field, fan_out = size(0) · receptive field; needs >= 2 dims.
std::pair<double, double> calculate_fan_in_and_fan_out(const Tensor& t);

Tensor uniform_(Tensor t, double a = 0.0, double b = 1.0);
Tensor normal_(Tensor t, double mean = 0.0, double std = 1.0);
Tensor constant_(Tensor t, double value);
Tensor zeros_(Tensor t);
Tensor ones_(Tensor t);
// U(-b, b), b = gain · √(6 / (fan_in + fan_out))
Tensor xavier_uniform_(Tensor t, double gain = 1.0);
// N(0, σ²), σ = gain · √(2 / (fan_in + fan_out))
Tensor xavier_normal_(Tensor t, double gain = 1.0);
// U(-b, b), b = gain · √(3 / fan), gain = calculate_gain(nonlinearity, a), fan by mode
Tensor kaiming_uniform_(Tensor t, double a = 0.0, const std::string& mode = "fan_in",
                        const std::string& nonlinearity = "leaky_relu");
// N(0, σ²), σ = gain / √fan
Tensor kaiming_normal_(Tensor t, double a = 0.0, const std::string& mode = "fan_in",
                       const std::string& nonlinearity = "leaky_relu");

}  // namespace xg::nn::init
