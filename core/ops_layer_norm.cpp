// Layer normalisation and its gradient. Fused, as batch_norm (core/ops_norm.cpp): the gradient
// through each row's mean and variance simplifies to one cheap formula, so it is first-order only.
#include <cmath>

#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

Shape layer_norm_shape(const Shape& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                       const std::string& who) {
    const std::size_t k = normalized_shape.size();
    if (k == 0) throw Error(who + ": normalized_shape must have at least 1 dim");
    if (x.size() < k || !std::equal(normalized_shape.begin(), normalized_shape.end(), x.end() - k)) {
        throw Error(who + ": input " + shape_str(x) + " doesn't end with normalized_shape " +
                    shape_str(normalized_shape));
    }
    for (const auto& [t, what] : {std::pair{&weight, "weight"}, std::pair{&bias, "bias"}}) {
        if (t->defined() && t->shape() != normalized_shape) {
            throw Error(who + ": " + what + " " + shape_str(t->shape()) + " doesn't match normalized_shape " +
                        shape_str(normalized_shape));
        }
    }
    return x;
}

// Each row is one slice of M = Π normalized_shape values: x̂ = (x - μ) / √(σ² + eps) with the
// row's mean μ and biased variance σ², y = γ·x̂ + β (γ, β per position within the slice).
//   dx = (1/√(σ² + eps)) / M · (M·ĝ - Σĝ - x̂·Σ(ĝ·x̂)),  ĝ = g·γ, sums over the row;
//   dγ = Σ_rows g·x̂,  dβ = Σ_rows g.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias, float eps) {
    layer_norm_shape(x.shape(), normalized_shape, weight, bias);
    std::size_t M = 1;
    for (std::size_t n : normalized_shape) M *= n;
    const std::size_t R = M == 0 ? 0 : x.numel() / M;
    const float* in = x.data().data();
    const float* w = weight.defined() ? weight.data().data() : nullptr;
    const float* b = bias.defined() ? bias.data().data() : nullptr;

    std::vector<float> invstd(R);
    Array xhat = Array::from_shape(x.shape());
    Array y = Array::from_shape(x.shape());
    for (std::size_t r = 0; r < R; ++r) {
        const float* row = in + r * M;
        double mean = 0.0, var = 0.0;
        for (std::size_t i = 0; i < M; ++i) mean += row[i];
        mean /= static_cast<double>(M);
        for (std::size_t i = 0; i < M; ++i) var += (row[i] - mean) * (row[i] - mean);
        var /= static_cast<double>(M);
        invstd[r] = static_cast<float>(1.0 / std::sqrt(var + eps));
        for (std::size_t i = 0; i < M; ++i) {
            const float h = static_cast<float>((row[i] - mean) * invstd[r]);
            xhat.data()[r * M + i] = h;
            y.data()[r * M + i] = h * (w ? w[i] : 1.0f) + (b ? b[i] : 0.0f);
        }
    }
    Tensor out(std::move(y));
    record_first_order("layer_norm", out, {x, weight, bias},
                       [x, weight, bias, M, R, invstd = std::move(invstd), xhat = std::move(xhat)](Tensor gt) {
                           const float* g = gt.data().data();
                           const float* h = xhat.data();
                           const float* w = weight.defined() ? weight.data().data() : nullptr;
                           Tensors grads(3);
                           if (x.requires_grad()) {
                               Array gx = Array::from_shape(x.shape());
                               for (std::size_t r = 0; r < R; ++r) {
                                   double sum_g = 0.0, sum_gh = 0.0;
                                   for (std::size_t i = 0; i < M; ++i) {
                                       const double gi = g[r * M + i] * (w ? w[i] : 1.0f);
                                       sum_g += gi;
                                       sum_gh += gi * h[r * M + i];
                                   }
                                   const double Md = static_cast<double>(M);
                                   for (std::size_t i = 0; i < M; ++i) {
                                       const double gi = g[r * M + i] * (w ? w[i] : 1.0f);
                                       gx.data()[r * M + i] = static_cast<float>(
                                           invstd[r] / Md * (Md * gi - sum_g - h[r * M + i] * sum_gh));
                                   }
                               }
                               grads[0] = Tensor(std::move(gx));
                           }
                           if (weight.requires_grad() || bias.requires_grad()) {
                               std::vector<double> sum_g(M, 0.0), sum_gh(M, 0.0);
                               for (std::size_t r = 0; r < R; ++r)
                                   for (std::size_t i = 0; i < M; ++i) {
                                       sum_g[i] += g[r * M + i];
                                       sum_gh[i] += g[r * M + i] * h[r * M + i];
                                   }
                               auto to_tensor = [&](const std::vector<double>& v) {
                                   Array a = Array::from_shape(weight.defined() ? weight.shape() : bias.shape());
                                   for (std::size_t i = 0; i < M; ++i) a.data()[i] = static_cast<float>(v[i]);
                                   return Tensor(std::move(a));
                               };
                               if (weight.requires_grad()) grads[1] = to_tensor(sum_gh);
                               if (bias.requires_grad()) grads[2] = to_tensor(sum_g);
                           }
                           return grads;
                       });
    return out;
}

}  // namespace xg
