// Losses and dropout. Composite losses (mse, l1) reuse their primitives' backward; the others
// are fused ops whose comments say why.
#include "nn/functional.hpp"

#include <cmath>

#include "core/autograd.hpp"
#include "core/ops.hpp"
#include "core/random.hpp"
#include "core/format.hpp"

namespace xg::nn::functional {

using autograd::Tensors;

namespace {

void check_same_shape(const char* op, const Tensor& input, const Tensor& target) {
    if (input.shape() != target.shape()) {
        throw Error(std::string(op) + ": input " + shape_str(input.shape()) + " and target " +
                    shape_str(target.shape()) + " must have the same shape");
    }
}

Tensor reduce(const Tensor& losses, Reduction r) {
    switch (r) {
        case Reduction::none: return losses;
        case Reduction::sum: return sum(losses);
        case Reduction::mean: break;
    }
    return mean(losses);
}

// Class indices from a float tensor [N], checked against C classes (ignore_index passes).
std::vector<std::int64_t> class_indices(const char* op, const Tensor& input, const Tensor& target,
                                        std::int64_t ignore_index) {
    if (input.dim() != 2 || target.dim() != 1 || target.shape()[0] != input.shape()[0]) {
        throw Error(std::string(op) + ": expects input [N, C] and target [N] of class indices, got input " +
                    shape_str(input.shape()) + " and target " + shape_str(target.shape()));
    }
    const auto classes = static_cast<std::int64_t>(input.shape()[1]);
    std::vector<std::int64_t> idx(target.numel());
    for (std::size_t i = 0; i < idx.size(); ++i) {
        const float v = target.data().data()[i];
        const auto c = static_cast<std::int64_t>(v);
        if (static_cast<float>(c) != v || ((c < 0 || c >= classes) && c != ignore_index)) {
            throw Error(std::string(op) + ": target " + format_number(v) + " at position " + std::to_string(i) +
                        " is not a class index in [0, " + std::to_string(classes) + ")");
        }
        idx[i] = c;
    }
    return idx;
}

// The gradient scale of sample i under a reduction: 1, or 1 / (number of counted samples).
float mean_scale(Reduction r, const std::vector<std::int64_t>& idx, std::int64_t ignore_index) {
    if (r != Reduction::mean) return 1.0f;
    std::size_t counted = 0;
    for (auto c : idx) counted += c != ignore_index;
    return counted ? 1.0f / static_cast<float>(counted) : std::nanf("");  // PyTorch: mean of nothing is nan
}

// Per-sample losses [N] -> the reduced result, for the fused class-index losses.
Tensor reduce_picked(Array losses, Reduction r, float scale) {
    if (r == Reduction::none) return Tensor(std::move(losses));
    double total = 0.0;
    for (float v : losses) total += v;
    return Tensor(Array(Shape{}, static_cast<float>(r == Reduction::mean ? total * scale : total)));
}

}  // namespace

Tensor dropout(const Tensor& x, float p, bool training) {
    if (!(p >= 0.0f && p <= 1.0f)) throw Error("dropout: probability must be between 0 and 1, got " + format_number(p));
    if (!training || p == 0.0f) return x;
    Array mask = Array::from_shape(x.shape());
    random::fill_bernoulli(mask.data(), mask.size(), 1.0f - p);
    if (p < 1.0f) mask *= 1.0f / (1.0f - p);
    return x * Tensor(std::move(mask));
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction r) {
    check_same_shape("mse_loss", input, target);
    Tensor diff = input - target;
    return reduce(diff * diff, r);
}

Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction r) {
    check_same_shape("l1_loss", input, target);
    return reduce(abs(input - target), r);
}

// Fused so the log clamp matches PyTorch and the gradient stays finite at x = 0 or 1:
// d/dx = (x - t) / max(x(1 - x), 1e-12),  d/dt = log(1 - x) - log(x) (both clamped). First-order.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction r) {
    check_same_shape("binary_cross_entropy", input, target);
    for (float v : input.data()) {
        if (!(v >= 0.0f && v <= 1.0f)) {
            throw Error("binary_cross_entropy: every input must be a probability in [0, 1], found " + format_number(v) +
                        " (use binary_cross_entropy_with_logits for logits)");
        }
    }
    const Array& x = input.data();
    const Array& t = target.data();
    Array log_x = xt::maximum(xt::log(x), -100.0f);
    Array log_1mx = xt::maximum(xt::log(1.0f - x), -100.0f);
    Tensor losses(Array(-(t * log_x + (1.0f - t) * log_1mx)));
    autograd::record_first_order(
        "binary_cross_entropy", losses, {input, target}, [input, target, log_x, log_1mx](Tensor gt) {
            const Array& g = gt.data();
            const Array& x = input.data();
            Tensors grads(2);
            if (input.requires_grad())
                grads[0] = Tensor(Array(g * (x - target.data()) / xt::maximum(x * (1.0f - x), 1e-12f)));
            if (target.requires_grad()) grads[1] = Tensor(Array(g * (log_1mx - log_x)));
            return grads;
        });
    return reduce(losses, r);
}

// Fused for stability at logits of ±1e4, where sigmoid saturates and log(sigmoid) underflows:
// loss = max(x, 0) - x·t + log(1 + e^-|x|),  d/dx = sigmoid(x) - t,  d/dt = -x.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, Reduction r) {
    check_same_shape("binary_cross_entropy_with_logits", input, target);
    const Array& x = input.data();
    Tensor losses(Array(xt::maximum(x, 0.0f) - x * target.data() + xt::log1p(xt::exp(-xt::abs(x)))));
    autograd::record("binary_cross_entropy_with_logits", losses, {input, target}, [input, target](Tensor g) {
        return Tensors{input.requires_grad() ? g * (sigmoid(input) - target) : Tensor(),
                       target.requires_grad() ? -g * input : Tensor()};
    });
    return reduce(losses, r);
}

// loss_i = -input[i, t_i].  d/dinput[i, t_i] = -g_i (times the mean's 1/N); 0 elsewhere: g times
// a constant one-hot matrix, so differentiable again.
Tensor nll_loss(const Tensor& input, const Tensor& target, Reduction r, std::int64_t ignore_index) {
    std::vector<std::int64_t> idx = class_indices("nll_loss", input, target, ignore_index);
    const std::size_t n = idx.size(), c = input.shape()[1];
    const float scale = mean_scale(r, idx, ignore_index);
    Array losses = xt::zeros<float>({n});
    for (std::size_t i = 0; i < n; ++i)
        if (idx[i] != ignore_index) losses(i) = -input.data().data()[i * c + static_cast<std::size_t>(idx[i])];
    Tensor out = reduce_picked(std::move(losses), r, scale);
    autograd::record("nll_loss", out, {input}, [idx = std::move(idx), n, c, r, scale, ignore_index](Tensor g) {
        Array picked = xt::zeros<float>({n, c});
        for (std::size_t i = 0; i < n; ++i)
            if (idx[i] != ignore_index)
                picked.data()[i * c + static_cast<std::size_t>(idx[i])] = r == Reduction::mean ? -scale : -1.0f;
        Tensor gn = r == Reduction::none ? reshape(g, {static_cast<std::int64_t>(n), 1}) : g;  // [N, 1] or 0-d
        return Tensors{gn * Tensor(std::move(picked))};
    });
    return out;
}

// Fused log_softmax + nll_loss: one pass and one [N, C] gradient instead of two, and the
// max-subtraction keeps logits of 1e4 finite. loss_i = logsumexp(x_i) - x_i[t_i],
// d/dx_i = (softmax(x_i) - onehot(t_i)) · g_i. A fused kernel: first-order.
Tensor cross_entropy(const Tensor& input, const Tensor& target, Reduction r, std::int64_t ignore_index) {
    std::vector<std::int64_t> idx = class_indices("cross_entropy", input, target, ignore_index);
    const std::size_t n = idx.size(), c = input.shape()[1];
    const float scale = mean_scale(r, idx, ignore_index);
    Tensor logp;
    {
        NoGradGuard values_only;  // the gradient is written below; no node, no copy of the logits
        logp = log_softmax(input, 1);
    }
    Array losses = xt::zeros<float>({n});
    for (std::size_t i = 0; i < n; ++i)
        if (idx[i] != ignore_index) losses(i) = -logp.data().data()[i * c + static_cast<std::size_t>(idx[i])];
    Tensor out = reduce_picked(std::move(losses), r, scale);
    autograd::record_first_order(
        "cross_entropy", out, {input},
        [logp = logp.storage(), idx = std::move(idx), n, c, r, scale, ignore_index](Tensor gt) {
            const Array& g = gt.data();
            Array gi = Array::from_shape({n, c});
            for (std::size_t i = 0; i < n; ++i) {
                float* row = gi.data() + i * c;
                if (idx[i] == ignore_index) {
                    std::fill(row, row + c, 0.0f);
                    continue;
                }
                const float gs = r == Reduction::none ? g.data()[i] : g() * scale;
                const float* lp = logp->data() + i * c;
                for (std::size_t j = 0; j < c; ++j) row[j] = std::exp(lp[j]) * gs;
                row[idx[i]] -= gs;
            }
            return Tensors{Tensor(std::move(gi))};
        });
    return out;
}

}  // namespace xg::nn::functional
