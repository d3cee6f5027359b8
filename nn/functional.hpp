// nn::functional: losses, dropout, interpolate, embedding, layer_norm and attention as functions
// (torch.nn.functional). The loss modules in
// loss.hpp call these. Class-index targets are float tensors holding whole numbers (xgrad is
// float32-only). Which losses are differentiable to any order and which are fused first-order
// kernels is said at each one; a first-order kernel's gradient can't be differentiated again.
#pragma once

#include <concepts>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace xg::nn {

enum class Reduction { none, mean, sum };

namespace functional {

Tensor dropout(const Tensor& x, float p = 0.5f, bool training = true);
// Zeroes whole channels: x [N, C, ...] (at least 2-D) times a [N, C, 1, ...] mask of 0 and
// 1/(1 - p), drawn from the global generator (as dropout, one draw per channel), as
// torch.nn.functional.dropout2d (a 3-D input is (N, C, L), as in PyTorch 1.13). Eval: x itself.
Tensor dropout2d(const Tensor& x, float p = 0.5f, bool training = true);
// dropout2d's output shape (x's), or an Error: training with p > 0 needs at least 2 dims.
Shape dropout2d_shape(const Shape& x, float p, bool training, const std::string& who = "dropout2d");

// torch.nn.functional.interpolate's keyword arguments, for 4-D [N, C, H, W] input.
struct InterpolateOptions {
    std::vector<std::size_t> size{};      // {Ho, Wo}, or {n} for both; or leave empty and give:
    std::vector<double> scale_factor{};   // {sh, sw}, or {s} for both: Ho = floor(H·sh)
    std::string mode = "nearest";         // "nearest" (PyTorch's, not 'nearest-exact') or "bilinear"
    std::optional<bool> align_corners{};  // bilinear only (unset = false); nearest refuses it, as PyTorch
    // false (PyTorch's default): source indices use 1/scale_factor; true: they use H/Ho, as if size
    // had been given.
    bool recompute_scale_factor = false;
};
// Resizes each image plane (core's upsample_nearest2d / upsample_bilinear2d, linear maps, so
// differentiable to any order), with PyTorch's source-index rules.
Tensor interpolate(const Tensor& x, const InterpolateOptions& options);
// interpolate's output shape [N, C, Ho, Wo], or an Error naming `who` and the options at fault.
Shape interpolate_shape(const Shape& x, const InterpolateOptions& options, const std::string& who = "interpolate");

// (input - target)², reduced. Shapes must match. Any order.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
// |input - target|, reduced. Shapes must match. Any order.
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
// With d = |input - target|: 0.5·d² where d < delta, delta·(d - 0.5·delta) elsewhere, reduced
// (torch.nn.functional.huber_loss). delta > 0. Shapes must match. Any order.
Tensor huber_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean, float delta = 1.0f);
// 0.5·d²/beta where d < beta, d - 0.5·beta elsewhere: huber_loss(delta = beta) / beta. beta = 0
// is l1_loss, as PyTorch; beta < 0 is an error. Shapes must match. Any order.
Tensor smooth_l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                      float beta = 1.0f);

// -weight·(t·log x + (1 - t)·log(1 - x)) for probabilities x in [0, 1]; each log is clamped at
// -100, as PyTorch. weight (optional) broadcasts to the input's shape. First-order: a fused kernel.
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                            const Tensor& weight = Tensor());

// PyTorch's keyword arguments of binary_cross_entropy_with_logits, in its order.
struct BCEWithLogitsOptions {
    Tensor weight{};  // rescales each element's loss; broadcasts to the input's shape
    Reduction reduction = Reduction::mean;
    Tensor pos_weight{};  // weight of the positive term, broadcast over the last dim (one per class)
};
// The same on logits: (1 - t)·x + (1 + (pos_weight - 1)·t)·softplus(-x), times weight, with
// softplus computed stably (max(-x, 0) + log1p(e^-|x|)), so logits of ±1e4 stay finite. Without
// pos_weight: max(x, 0) - x·t + log1p(e^-|x|). Target has the input's shape; weight and pos_weight
// are constants (PyTorch doesn't differentiate them either). Any order.
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        Reduction reduction = Reduction::mean);
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target, const BCEWithLogitsOptions& options);

// Class-index losses. Shapes, as PyTorch: input [N, C] with target [N]; input [N, C, d1, ...]
// with target [N, d1, ...] (one class per position, e.g. per pixel); input [C] with a 0-d target.
// Reduction none gives the target's shape. weight (optional, [C], a constant) scales each
// position's loss by the weight of its target class, and the mean divides by the sum of those
// weights instead of the count. Targets equal to ignore_index count neither in the sum nor in the
// mean's denominator; a mean over no counted position is nan, as PyTorch.
struct NLLLossOptions {  // PyTorch's keyword arguments, in its order
    Tensor weight{};
    std::int64_t ignore_index = -100;
    Reduction reduction = Reduction::mean;
};
struct CrossEntropyOptions {
    Tensor weight{};
    std::int64_t ignore_index = -100;
    Reduction reduction = Reduction::mean;
    // ε in [0, 1]: the target becomes (1 - ε)·onehot + ε/C; PyTorch's formula, so the ε/C part is
    // weighted by each class's own weight, and ignored positions contribute nothing.
    float label_smoothing = 0.0f;
};

// input: log-probabilities; loss = -weight[t]·input[t] per position. Any order (its gradient is g
// times a constant matrix).
Tensor nll_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                std::int64_t ignore_index = -100);
Tensor nll_loss(const Tensor& input, const Tensor& target, const NLLLossOptions& options);
// input: logits. With class-index targets, log_softmax over the class dim and nll_loss (with
// label smoothing) fused into
// one op, for speed (one pass and one gradient array instead of two; the MNIST trainers' loss) and
// stability (logits of 1e4 stay finite). Every option goes through the same kernel. First-order:
// for gradients of gradients write nll_loss(log_softmax(x, 1), t), which is differentiable to any
// order (label smoothing then is (1 - ε)·nll_loss + ε/C·(-Σ_c weight_c·log_softmax_c), averaged as
// PyTorch does). A target of the input's shape holds class probabilities instead, as PyTorch:
// loss = -Σ_k weight_k·q_k·log_softmax_k with q = (1 - ε)·target + ε/C, the mean taken over the
// positions; composed of ops (any order, target differentiable too); ignore_index doesn't apply.
Tensor cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                     std::int64_t ignore_index = -100);
Tensor cross_entropy(const Tensor& input, const Tensor& target, const CrossEntropyOptions& options);

// ---- sequences: nn/embedding.cpp, nn/layer_norm.cpp, nn/attention.cpp ----

// weight [num_embeddings, dim] rows at input [*] -> [*, dim], as torch.nn.functional.embedding.
// input holds whole numbers in [0, num_embeddings) as floats (xgrad is float32-only); anything
// else is an Error naming the index. The gradient of a row looked up twice adds up; the
// padding_idx row gets none. Any order (core's embedding: a gather).
Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<std::int64_t> padding_idx = std::nullopt);

// As torch.nn.functional.layer_norm: normalises over the trailing dims given by
// normalized_shape, then weight·x̂ + bias (both optional, of normalized_shape). First-order: a
// fused kernel (core's layer_norm).
Tensor layer_norm(const Tensor& input, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), float eps = 1e-5f);

// softmax(q·kᵀ/√E + mask)·v over the last two dims, as torch.nn.functional.scaled_dot_product_attention
// (PyTorch 2.0's math path): query [*, L, E], key [*, S, E], value [*, S, Ev] -> [*, L, Ev], the
// leading dims broadcasting as matmul's. attn_mask is a float mask added to the scores
// ([L, S] or anything that broadcasts to [*, L, S]): 0 to keep, -inf to block; that is PyTorch's
// float attn_mask. xgrad has no bool tensors, so a PyTorch bool mask (True = may attend) is
// written masked_fill(Tensor::zeros(shape), 1 - allowed, -INFINITY). is_causal blocks key j for
// query i when j > i (PyTorch's tril(ones(L, S)) mask); it can't be combined with attn_mask, as in
// PyTorch. A query row with every key blocked gives NaN, as PyTorch. dropout_p drops attention
// weights (always applied when > 0, as the function in PyTorch; pass 0 in eval). The argument
// order is API.md's (mask, is_causal, then dropout_p), not PyTorch's positional order. Any order.
Tensor scaled_dot_product_attention(const Tensor& query, const Tensor& key, const Tensor& value,
                                    const Tensor& attn_mask = Tensor(), bool is_causal = false, float dropout_p = 0.0f);
// PyTorch's positional order puts dropout_p fourth: sdpa(q, k, v, mask, 0.1f) would turn 0.1 into
// is_causal = true without a word. This overload makes that call a compile error instead.
template <class F>
requires std::floating_point<F> Tensor scaled_dot_product_attention(const Tensor&, const Tensor&, const Tensor&,
                                                                    const Tensor&, F, ...)
= delete;

}  // namespace functional
}  // namespace xg::nn
