// Batch normalisation and its gradient. Fused (one op, not a chain of mean/var/div) because the
// gradient through the batch statistics simplifies to one cheap formula; so first-order only.
#include <cmath>

#include "core/conv_kernels.hpp"
#include "core/kernels.hpp"
#include "core/ops.hpp"
#include "core/ops_util.hpp"
#include "core/parallel.hpp"
#include "core/simd.hpp"

namespace xg {

using namespace detail;

namespace {

// x̂ = (x - μ)·invstd, y = γ·x̂ + β over n values of one channel.
XGRAD_TARGET_CLONES void normalize(std::size_t n, const float* __restrict x, float mean, float invstd, float gamma,
                                   float beta, float* __restrict xhat, float* __restrict y) {
    for (std::size_t i = 0; i < n; ++i) {
        xhat[i] = (x[i] - mean) * invstd;
        y[i] = xhat[i] * gamma + beta;
    }
}

// Training: dx = scale · (M·g - Σg - x̂·Σ(g·x̂)), scale = γ·invstd / M, in double as before.
XGRAD_TARGET_CLONES void input_grad(std::size_t n, const float* __restrict g, const float* __restrict xhat,
                                    double scale, double M, double sum_g, double sum_gx, float* __restrict dx) {
    for (std::size_t i = 0; i < n; ++i) dx[i] = static_cast<float>(scale * (M * g[i] - sum_g - xhat[i] * sum_gx));
}

}  // namespace

Shape batch_norm_shape(const Shape& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                       const Tensor& bias, bool training, const std::string& who) {
    if (x.size() < 2) throw Error(who + ": input must be [N, C] or [N, C, ...], got " + shape_str(x));
    std::size_t values = 1;  // per channel: N·H·W
    for (std::size_t i = 0; i < x.size(); ++i) values *= i == 1 ? 1 : x[i];
    auto check = [&](const Tensor& t, const char* what) {
        if (t.defined() && t.shape() != Shape{x[1]}) {
            throw Error(who + ": " + what + " " + shape_str(t.shape()) + " doesn't match " + std::to_string(x[1]) +
                        " channels of input " + shape_str(x));
        }
    };
    check(running_mean, "running_mean");
    check(running_var, "running_var");
    check(weight, "weight");
    check(bias, "bias");
    if (training && values <= 1) {
        throw Error(who + ": expected more than 1 value per channel when training, got input " + shape_str(x));
    }
    if (!training && (!running_mean.defined() || !running_var.defined())) {
        throw Error(who + ": eval mode needs running_mean and running_var");
    }
    return x;
}

// Per channel c over its M = N·H·W values: x̂ = (x - μ) / √(σ² + eps), y = γ·x̂ + β.
// Training (μ, σ² from the batch):  dx = (1/√(σ² + eps)) / M · (M·ĝ - Σĝ - x̂·Σ(ĝ·x̂)),  ĝ = g·γ.
// Eval (μ, σ² running, constants):  dx = ĝ / √(σ² + eps).
// Both: dγ = Σ g·x̂,  dβ = Σ g.
Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight, const Tensor& bias,
                  bool training, float momentum, float eps) {
    batch_norm_shape(x.shape(), running_mean, running_var, weight, bias, training);
    const std::size_t N = x.shape()[0], C = x.shape()[1], S = x.numel() / std::max<std::size_t>(N * C, 1), M = N * S;
    const float* in = x.data().data();
    std::vector<float> mean(C), invstd(C);
    Array xhat = Array::from_shape(x.shape());
    Array y = Array::from_shape(x.shape());
    // A task per channel (its statistics, then its values): the same bits on any thread count.
    run_tasks(C, [&](std::size_t c, bool) {
        double m = 0.0, v = 0.0;
        if (training) {
            for (std::size_t n = 0; n < N; ++n) m += sum(in + (n * C + c) * S, S);
            m /= static_cast<double>(M);
            for (std::size_t n = 0; n < N; ++n) v += sum_sq_dev(in + (n * C + c) * S, S, m);
            v /= static_cast<double>(M);  // biased, to normalise
            if (running_mean.defined()) {
                float& rm = running_mean.data().data()[c];
                float& rv = running_var.data().data()[c];
                rm = (1.0f - momentum) * rm + momentum * static_cast<float>(m);
                rv = (1.0f - momentum) * rv +
                     momentum * static_cast<float>(v * static_cast<double>(M) / static_cast<double>(M - 1));
            }
        } else {
            m = running_mean.data().data()[c];
            v = running_var.data().data()[c];
        }
        mean[c] = static_cast<float>(m);
        invstd[c] = static_cast<float>(1.0 / std::sqrt(v + eps));
        const float gamma = weight.defined() ? weight.data().data()[c] : 1.0f;
        const float beta = bias.defined() ? bias.data().data()[c] : 0.0f;
        for (std::size_t n = 0; n < N; ++n) {
            const std::size_t k = (n * C + c) * S;
            normalize(S, in + k, mean[c], invstd[c], gamma, beta, xhat.data() + k, y.data() + k);
        }
    });
    Tensor out(std::move(y));
    record_first_order(
        "batch_norm", out, {x, weight, bias},
        [x, weight, bias, training, N, C, S, M, invstd = std::move(invstd), xhat = std::move(xhat)](Tensor gt) {
            const float* g = gt.data().data();
            const float* xh = xhat.data();
            Tensors grads(3);
            std::vector<double> sum_g(C, 0.0), sum_gx(C, 0.0);
            Array gx = x.requires_grad() ? Array::from_shape(x.shape()) : Array();
            run_tasks(C, [&](std::size_t c, bool) {
                for (std::size_t n = 0; n < N; ++n) {
                    const std::size_t k = (n * C + c) * S;
                    sum_g[c] += sum(g + k, S);
                    sum_gx[c] += dot(g + k, xh + k, S);
                }
                if (!x.requires_grad()) return;
                const double gamma = weight.defined() ? weight.data().data()[c] : 1.0f;
                const double Md = static_cast<double>(M);
                for (std::size_t n = 0; n < N; ++n) {
                    const std::size_t k = (n * C + c) * S;
                    if (training)
                        input_grad(S, g + k, xh + k, gamma * invstd[c] / Md, Md, sum_g[c], sum_gx[c], gx.data() + k);
                    else kernels::scale(S, g + k, static_cast<float>(gamma) * invstd[c], gx.data() + k);
                }
            });
            if (x.requires_grad()) grads[0] = Tensor(std::move(gx));
            if (weight.requires_grad()) {
                Array gw = Array::from_shape({C});
                for (std::size_t c = 0; c < C; ++c) gw(c) = static_cast<float>(sum_gx[c]);
                grads[1] = Tensor(std::move(gw));
            }
            if (bias.requires_grad()) {
                Array gb = Array::from_shape({C});
                for (std::size_t c = 0; c < C; ++c) gb(c) = static_cast<float>(sum_g[c]);
                grads[2] = Tensor(std::move(gb));
            }
            return grads;
        });
    return out;
}

}  // namespace xg
