// Losses, dropout and dropout2d (interpolate is in nn/upsample.cpp). Composite losses (mse, l1,
// huber, bce with pos_weight) reuse their primitives' backward; the others are fused ops whose
// comments say why.
#include "nn/functional.hpp"

#include <cmath>
#include <memory>
#include <type_traits>

#include "core/autograd.hpp"
#include "core/format.hpp"
#include "core/ops.hpp"
#include "core/ops_util.hpp"
#include "core/random.hpp"

namespace xg::nn::functional {

using autograd::Tensors;

namespace {

void check_same_shape(const char* op, const Tensor& input, const Tensor& target) {
    if (input.shape() != target.shape()) {
        throw Error(std::string(op) + ": input " + shape_str(input.shape()) + " and target " +
                    shape_str(target.shape()) + " must have the same shape");
    }
}

// An optional per-element weight must broadcast to the input's shape without growing it, and is
// a constant: PyTorch's losses aren't differentiable with respect to their weights either.
void check_weight(const char* op, const char* what, const Tensor& weight, const Shape& input) {
    if (!weight.defined()) return;
    if (detail::broadcast_shapes(op, weight.shape(), input) != input) {
        throw Error(std::string(op) + ": " + what + " " + shape_str(weight.shape()) +
                    " doesn't broadcast to the input's shape " + shape_str(input));
    }
    if (weight.requires_grad() && autograd::is_grad_enabled()) {
        throw Error(std::string(op) + ": " + what +
                    " requires grad, but the loss isn't differentiable with respect to " + what +
                    " (as in PyTorch); pass " + what + ".detach()");
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

// Elementwise loss of d = input - target that is quadratic near 0 and linear beyond: Huber
// (0.5·d² inside |d| < delta, delta·(|d| - 0.5·delta) outside) or, with `smooth_l1`, Huber / delta
// (PyTorch's smooth_l1 formula with beta = delta). d/dd = d·m inside, ±k outside, with m = 1 and
// k = delta (smooth L1: m = 1/delta, k = 1); recorded as g·(d·m + k·sign) with the masks constant,
// so the gradient is differentiable again (the second derivative is m inside, 0 outside).
// A NaN d falls "inside" in backward, so its gradient is NaN, as PyTorch's.
Tensor huber_elementwise(const char* op, const Tensor& d, float delta, bool smooth_l1) {
    const float m_in = smooth_l1 ? 1.0f / delta : 1.0f, k_out = smooth_l1 ? 1.0f : delta;
    Array values = Array::from_shape(d.shape()), m = Array::from_shape(d.shape()), k = Array::from_shape(d.shape());
    for (std::size_t i = 0; i < values.size(); ++i) {
        const float x = d.data().data()[i], z = std::abs(x);
        values.data()[i] = z < delta ? (smooth_l1 ? 0.5f * z * z / delta : 0.5f * z * z)
                                     : (smooth_l1 ? z - 0.5f * delta : delta * (z - 0.5f * delta));
        const bool outside = z >= delta;
        m.data()[i] = outside ? 0.0f : m_in;
        k.data()[i] = outside ? (x > 0 ? k_out : -k_out) : 0.0f;
    }
    Tensor out(std::move(values));
    autograd::record(op, out, {d}, [d, m = Tensor(std::move(m)), k = Tensor(std::move(k))](Tensor g) {
        return Tensors{g * (d * m + k)};
    });
    return out;
}

// softplus(x) = log(1 + e^x), computed as max(x, 0) + log1p(e^-|x|) so neither e^x overflows nor
// the log underflows. d/dx = sigmoid(x), itself differentiable.
Tensor softplus(const Tensor& x) {
    Tensor out(Array(xt::maximum(x.data(), 0.0f) + xt::log1p(xt::exp(-xt::abs(x.data())))));
    autograd::record("softplus", out, {x}, [x](Tensor g) { return Tensors{g * sigmoid(x)}; });
    return out;
}

// A class-index loss's input viewed as [n, c, inner] (the class dim in the middle; inner = the
// product of d1, ...) and its targets, one per position p = i·inner + s, whose class scores sit
// at i·c·inner + k·inner + s for k in [0, c).
struct ClassTargets {
    std::size_t c = 0, inner = 1;   // classes; positions per sample (d1·d2·...)
    std::vector<std::int64_t> idx;  // the target class of each position, or ignore_index
    std::vector<float> w;           // the weight of each position's class (1 without weight); 0 if ignored
    double total_weight = 0.0;      // Σ w: the mean's denominator (the count of counted positions)
    Shape out_shape;                // reduction none's result: the target's shape

    // Where position p's class 0 sits (class k is `inner` further each); no division for the
    // common [N, C] input.
    std::size_t first_class(std::size_t p) const { return inner == 1 ? p * c : (p / inner) * c * inner + p % inner; }
};

// A zero-filled array, written with one fill (assigning xt::zeros goes through xtensor's
// element-by-element broadcast path).
Array zeros(const Shape& shape) {
    Array a = Array::from_shape(shape);
    std::fill(a.begin(), a.end(), 0.0f);
    return a;
}

// A class weight (optional) is [C] and a constant.
void check_class_weight(const char* op, const Tensor& weight, std::size_t classes, const Shape& input) {
    if (!weight.defined()) return;
    if (weight.dim() != 1 || weight.numel() != classes) {
        throw Error(std::string(op) + ": weight " + shape_str(weight.shape()) + " must hold one number per class, [" +
                    std::to_string(classes) + "] for input " + shape_str(input));
    }
    check_weight(op, "weight", weight, weight.shape());
}

bool class_shapes_match(const Shape& x, const Shape& t) {
    if (x.size() == 1) return t.empty();  // unbatched: [C] and a 0-d target
    if (x.size() < 2 || t.size() != x.size() - 1 || t[0] != x[0]) return false;
    for (std::size_t k = 1; k < t.size(); ++k)
        if (t[k] != x[k + 1]) return false;
    return true;
}

// Checks shapes, weight and every target (a whole number in [0, C), or ignore_index).
ClassTargets class_targets(const char* op, const Tensor& input, const Tensor& target, const Tensor& weight,
                           std::int64_t ignore_index) {
    const Shape& xs = input.shape();
    // Built only for an error message: the MNIST trainers call this every step.
    const auto shapes = [&] { return "input " + shape_str(xs) + " and target " + shape_str(target.shape()); };
    if (!class_shapes_match(xs, target.shape())) {
        throw Error(std::string(op) +
                    ": expects input [N, C] with target [N] of class indices, input [N, C, d1, ...] " +
                    "with target [N, d1, ...], or input [C] with a 0-d target; got " + shapes());
    }
    ClassTargets ct;
    ct.c = xs.size() == 1 ? xs[0] : xs[1];
    for (std::size_t k = 2; k < xs.size(); ++k) ct.inner *= xs[k];
    ct.out_shape = target.shape();
    check_class_weight(op, weight, ct.c, xs);
    const auto classes = static_cast<std::int64_t>(ct.c);
    const std::size_t positions = target.numel();
    ct.idx.resize(positions);
    ct.w.resize(positions);
    for (std::size_t p = 0; p < positions; ++p) {
        const float v = target.data().data()[p];
        // Range-check before the cast: casting nan or 1e30 to an integer is undefined behaviour.
        const bool in_range = std::abs(v) < 0x1p62f;  // false for nan and inf
        const std::int64_t y = in_range ? static_cast<std::int64_t>(v) : 0;
        if (!in_range || static_cast<float>(y) != v || ((y < 0 || y >= classes) && y != ignore_index)) {
            throw Error(std::string(op) + ": target " + format_number(v) + " at position " + std::to_string(p) +
                        " is not a class index in [0, " + std::to_string(classes) + ") nor ignore_index (" +
                        std::to_string(ignore_index) + "); " + shapes());
        }
        ct.idx[p] = y;
        ct.w[p] = y == ignore_index ? 0.0f : weight.defined() ? weight.data().data()[y] : 1.0f;
        ct.total_weight += ct.w[p];
    }
    return ct;
}

// Per-position losses (the target's shape) -> the reduced result. mean divides by the total
// weight; when that is 0 (every position ignored or of weight 0) the result is nan, as PyTorch's
// nll part is 0/0 there, even when label smoothing adds a nonzero term (which alone would give inf).
Tensor reduce_positions(Array losses, Reduction r, const ClassTargets& ct) {
    if (r == Reduction::none) return Tensor(std::move(losses));
    double total = 0.0;
    for (float v : losses) total += v;
    if (r == Reduction::mean) total = ct.total_weight == 0 ? std::nan("") : total / ct.total_weight;
    return Tensor(Array(Shape{}, static_cast<float>(total)));
}

// The gradient of the reduced loss with respect to position p's loss, from the output's g.
float position_grad(const Array& g, Reduction r, float mean_scale, std::size_t p) {
    return r == Reduction::none ? g.data()[p] : g() * (r == Reduction::mean ? mean_scale : 1.0f);
}

// What cross_entropy's backward needs besides the output's gradient.
struct CrossEntropySaved {
    std::shared_ptr<const Array> logp;  // log_softmax of the input, computed in forward
    ClassTargets ct;
    std::vector<float> wc;  // the class weights (1s without weight)
    float wsum, keep, spread;
    Reduction reduction;
    std::int64_t ignore_index;
};

// cross_entropy's d/dx (see there) into gi, zero-filled. `inner` is the stride between classes:
// a compile-time 1 for [N, C] inputs, so the common case's loops run over contiguous rows.
template <class Stride>
void cross_entropy_rows(const CrossEntropySaved& s, const Array& g, Array& gi, Stride inner) {
    const ClassTargets& ct = s.ct;
    const float mean_scale = static_cast<float>(1.0 / ct.total_weight);
    for (std::size_t p = 0; p < ct.idx.size(); ++p) {
        if (ct.idx[p] == s.ignore_index) continue;
        const std::size_t base = ct.first_class(p);
        const float* lp = s.logp->data() + base;
        float* row = gi.data() + base;
        const float gp = position_grad(g, s.reduction, mean_scale, p);
        const float a = (s.keep * ct.w[p] + s.spread * s.wsum) * gp;
        for (std::size_t k = 0; k < ct.c; ++k) row[k * inner] = std::exp(lp[k * inner]) * a;
        if (s.spread > 0.0f)
            for (std::size_t k = 0; k < ct.c; ++k) row[k * inner] -= s.spread * s.wc[k] * gp;
        row[static_cast<std::size_t>(ct.idx[p]) * inner] -= s.keep * ct.w[p] * gp;
    }
}

Array cross_entropy_grad(const CrossEntropySaved& s, const Array& g) {
    Array gi = zeros(s.logp->shape());
    if (s.ct.inner == 1) {
        cross_entropy_rows(s, g, gi, std::integral_constant<std::size_t, 1>{});
    } else {
        cross_entropy_rows(s, g, gi, s.ct.inner);
    }
    return gi;
}

// cross_entropy with a target of the input's shape: class probabilities, as PyTorch. Composed
// of ops (any order, and a gradient for the target too):
//   loss = -Σ_k w_k·q_k·log_softmax(x)_k,  q = (1 - ε)·target + ε/C,
// and the mean divides by the number of positions (N·d1·...), not by the weights.
Tensor cross_entropy_probabilities(const Tensor& input, const Tensor& target, const CrossEntropyOptions& o) {
    const std::size_t class_dim = input.dim() == 1 ? 0 : 1, c = input.shape()[class_dim];
    if (o.ignore_index >= 0) {
        throw Error("cross_entropy: ignore_index (" + std::to_string(o.ignore_index) +
                    ") is not supported for class-probability targets (target " + shape_str(target.shape()) +
                    " has the input's shape)");
    }
    Tensor q = target;
    if (o.label_smoothing > 0.0f) q = target * (1.0f - o.label_smoothing) + o.label_smoothing / static_cast<float>(c);
    Tensor terms = log_softmax(input, static_cast<std::int64_t>(class_dim)) * q;
    if (o.weight.defined()) {
        check_class_weight("cross_entropy", o.weight, c, input.shape());
        // [C] -> [C, 1, ...]: one weight per class, broadcast over d1, ...
        std::vector<std::int64_t> along_classes(input.dim() - class_dim, 1);
        along_classes[0] = static_cast<std::int64_t>(c);
        terms = terms * reshape(o.weight, along_classes);
    }
    return reduce(-sum(terms, static_cast<std::int64_t>(class_dim)), o.reduction);
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

Shape dropout2d_shape(const Shape& x, float p, bool training, const std::string& who) {
    if (!(p >= 0.0f && p <= 1.0f)) throw Error(who + ": probability must be between 0 and 1, got " + format_number(p));
    std::size_t numel = 1;
    for (std::size_t n : x) numel *= n;
    if (training && p > 0.0f && numel > 0 && x.size() < 2) {
        throw Error(who + ": input must have at least 2 dims [N, C, ...] to drop channels, got " + shape_str(x));
    }
    return x;
}

// x · mask, mask [N, C, 1, ...] broadcast over each channel's values.  d/dx = g · mask (any order).
Tensor dropout2d(const Tensor& x, float p, bool training) {
    dropout2d_shape(x.shape(), p, training);
    if (!training || p == 0.0f || x.numel() == 0) return x;
    Shape noise(x.dim(), 1);
    noise[0] = x.shape()[0];
    noise[1] = x.shape()[1];
    Array mask = Array::from_shape(noise);
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

Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction r, float delta) {
    check_same_shape("huber_loss", input, target);
    if (!(delta > 0.0f)) throw Error("huber_loss: delta must be positive, got " + format_number(delta));
    return reduce(huber_elementwise("huber_loss", input - target, delta, false), r);
}

Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction r, float beta) {
    check_same_shape("smooth_l1_loss", input, target);
    if (!(beta >= 0.0f)) throw Error("smooth_l1_loss: beta must not be negative, got " + format_number(beta));
    if (beta == 0.0f) return l1_loss(input, target, r);  // PyTorch's special case: the quadratic zone is empty
    return reduce(huber_elementwise("smooth_l1_loss", input - target, beta, true), r);
}

// Fused so the log clamp matches PyTorch and the gradient stays finite at x = 0 or 1:
// d/dx = (x - t) / max(x(1 - x), 1e-12),  d/dt = log(1 - x) - log(x) (both clamped). First-order.
// The weight multiplies the fused result (an ordinary mul).
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction r, const Tensor& weight) {
    check_same_shape("binary_cross_entropy", input, target);
    check_weight("binary_cross_entropy", "weight", weight, input.shape());
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
    return reduce(weight.defined() ? losses * weight : losses, r);
}

Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, Reduction r) {
    return binary_cross_entropy_with_logits(input, target, {.reduction = r});
}

// Without pos_weight, one node for stability at logits of ±1e4, where sigmoid saturates and
// log(sigmoid) underflows: loss = max(x, 0) - x·t + log(1 + e^-|x|),  d/dx = sigmoid(x) - t,
// d/dt = -x. With pos_weight, PyTorch's formula composed of ops, softplus being the stable one.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const BCEWithLogitsOptions& o) {
    const char* op = "binary_cross_entropy_with_logits";
    check_same_shape(op, input, target);
    check_weight(op, "weight", o.weight, input.shape());
    check_weight(op, "pos_weight", o.pos_weight, input.shape());
    Tensor losses;
    if (o.pos_weight.defined()) {
        losses = (1.0f - target) * input + (1.0f + (o.pos_weight - 1.0f) * target) * softplus(-input);
    } else {
        const Array& x = input.data();
        losses = Tensor(Array(xt::maximum(x, 0.0f) - x * target.data() + xt::log1p(xt::exp(-xt::abs(x)))));
        autograd::record(op, losses, {input, target}, [input, target](Tensor g) {
            return Tensors{input.requires_grad() ? g * (sigmoid(input) - target) : Tensor(),
                           target.requires_grad() ? -g * input : Tensor()};
        });
    }
    return reduce(o.weight.defined() ? losses * o.weight : losses, o.reduction);
}

Tensor nll_loss(const Tensor& input, const Tensor& target, Reduction r, std::int64_t ignore_index) {
    return nll_loss(input, target, {.ignore_index = ignore_index, .reduction = r});
}

// loss_p = -w[t_p]·input[t_p] at each position p.  d/dinput[t_p] = -w[t_p]·g_p (times the
// mean's 1 / Σw); 0 elsewhere: g times a constant matrix, so differentiable again.
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& o) {
    ClassTargets ct = class_targets("nll_loss", input, target, o.weight, o.ignore_index);
    Array losses = zeros(ct.out_shape);
    for (std::size_t p = 0; p < ct.idx.size(); ++p) {
        if (ct.idx[p] == o.ignore_index) continue;
        const std::size_t at = ct.first_class(p) + static_cast<std::size_t>(ct.idx[p]) * ct.inner;
        losses.data()[p] = -ct.w[p] * input.data().data()[at];
    }
    Tensor out = reduce_positions(std::move(losses), o.reduction, ct);
    const Reduction r = o.reduction;
    const bool batched = input.dim() >= 2;
    autograd::record("nll_loss", out, {input}, [ct = std::move(ct), shape = input.shape(), r, batched](Tensor g) {
        const float scale = r == Reduction::mean ? static_cast<float>(1.0 / ct.total_weight) : 1.0f;
        Array picked = zeros(shape);
        for (std::size_t p = 0; p < ct.idx.size(); ++p) {
            if (ct.w[p] == 0.0f) continue;  // ignored (or weighted 0)
            const std::size_t at = ct.first_class(p) + static_cast<std::size_t>(ct.idx[p]) * ct.inner;
            picked.data()[at] = -ct.w[p] * scale;
        }
        // none: g has the target's shape [N, d1, ...]; [N, 1, d1, ...] broadcasts over the classes.
        Tensor gn = r == Reduction::none && batched ? unsqueeze(g, 1) : g;
        return Tensors{gn * Tensor(std::move(picked))};
    });
    return out;
}

Tensor cross_entropy(const Tensor& input, const Tensor& target, Reduction r, std::int64_t ignore_index) {
    return cross_entropy(input, target, {.ignore_index = ignore_index, .reduction = r});
}

// Fused log_softmax + nll_loss + label smoothing: one pass and one gradient array instead of
// several, and the max-subtraction keeps logits of 1e4 finite. With ε = label_smoothing,
// w_k the class weights (1 without weight) and lp = log_softmax(x) over the classes, a counted
// position with target y has
//   loss = (1 - ε)·w_y·(-lp_y) + ε/C·Σ_k w_k·(-lp_k),
//   d/dx_j = (A·softmax_j - ε/C·w_j - (1 - ε)·w_y·[j = y])·g,  A = (1 - ε)·w_y + ε/C·Σ_k w_k,
// g being the position's share of the output gradient (the mean's 1 / Σ w_y included). Without
// weight and smoothing that is (softmax - onehot)·g. A fused kernel: first-order.
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& o) {
    const float eps = o.label_smoothing;
    if (!(eps >= 0.0f && eps <= 1.0f))
        throw Error("cross_entropy: label_smoothing must be in [0, 1], got " + format_number(eps));
    if (input.dim() >= 1 && target.shape() == input.shape()) return cross_entropy_probabilities(input, target, o);
    ClassTargets ct = class_targets("cross_entropy", input, target, o.weight, o.ignore_index);
    // The per-class weights (1s without weight) and their sum, for the smoothing term.
    std::vector<float> wc(ct.c, 1.0f);
    if (o.weight.defined()) std::copy(o.weight.data().begin(), o.weight.data().end(), wc.begin());
    float wsum = 0.0f;
    for (float v : wc) wsum += v;
    Tensor logp;
    {
        NoGradGuard values_only;  // the gradient is written below; no node, no copy of the logits
        logp = log_softmax(input, input.dim() == 1 ? 0 : 1);
    }
    const std::size_t c = ct.c, inner = ct.inner;
    const float keep = 1.0f - eps, spread = eps / static_cast<float>(c);
    Array losses = zeros(ct.out_shape);
    for (std::size_t p = 0; p < ct.idx.size(); ++p) {
        if (ct.idx[p] == o.ignore_index) continue;
        const float* lp = logp.data().data() + ct.first_class(p);  // class k at lp[k·inner]
        float loss = -keep * ct.w[p] * lp[static_cast<std::size_t>(ct.idx[p]) * inner];
        if (eps > 0.0f) {
            float smooth = 0.0f;
            for (std::size_t k = 0; k < c; ++k) smooth -= wc[k] * lp[k * inner];
            loss += spread * smooth;
        }
        losses.data()[p] = loss;
    }
    Tensor out = reduce_positions(std::move(losses), o.reduction, ct);
    autograd::record_first_order("cross_entropy", out, {input},
                                 [saved = CrossEntropySaved{logp.storage(), std::move(ct), std::move(wc), wsum, keep,
                                                            spread, o.reduction, o.ignore_index}](Tensor g) {
                                     return Tensors{Tensor(cross_entropy_grad(saved, g.data()))};
                                 });
    return out;
}

}  // namespace xg::nn::functional
