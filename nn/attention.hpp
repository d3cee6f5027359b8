// Multi-head attention (PyTorch 1.13's torch/nn/modules/activation.py MultiheadAttention) and a
// pre-norm Transformer encoder block. The attention itself is nn::functional::
// scaled_dot_product_attention (nn/functional.hpp); everything here is composed of ops
// differentiable to any order, except LayerNorm (first-order) in the encoder block.
#pragma once

#include <cstddef>
#include <string>
#include <utility>

#include "nn/dropout.hpp"
#include "nn/layer_norm.hpp"
#include "nn/linear.hpp"
#include "nn/module.hpp"

namespace xg::nn {

// PyTorch's keyword arguments of nn.MultiheadAttention that xgrad has (add_bias_kv,
// add_zero_attn, kdim and vdim are not supported).
struct MultiheadAttentionOptions {
    float dropout = 0.0f;      // on the attention weights, in training
    bool bias = true;          // in_proj_bias and out_proj.bias
    bool batch_first = false;  // [N, L, E] instead of PyTorch's default [L, N, E]
};

// The keyword arguments of MultiheadAttention's forward, PyTorch's names and defaults.
struct MultiheadAttentionForward {
    // [N, S] (or [S] for unbatched input) of 0/1: 1 marks a padding key that no query attends
    // to, as PyTorch's bool key_padding_mask (True = ignore).
    Tensor key_padding_mask{};
    bool need_weights = true;  // also return the attention weights
    // [L, S] or [N·num_heads, L, S], added to the scores: PyTorch's float attn_mask (0 keeps,
    // -inf blocks). xgrad has no bool tensors: write a bool mask m (True = blocked) as
    // masked_fill(Tensor::zeros(shape), m, -INFINITY).
    Tensor attn_mask{};
    bool average_attn_weights = true;  // the weights averaged over heads [N, L, S], or [N, H, L, S]
};

// Attention with num_heads heads of embed_dim / num_heads dims each, as torch.nn.MultiheadAttention
// (1.13): query [L, N, E], key and value [S, N, E] (batch_first: [N, L, E], [N, S, E]; unbatched:
// [L, E], [S, E]) -> (output of query's shape, weights [N, L, S] or undefined). Parameters and
// their names, init and layout are PyTorch's, so state dicts move both ways: in_proj_weight
// [3E, E] (the q, k, v projections stacked, xavier_uniform_), in_proj_bias [3E] (zeros),
// out_proj (a Linear(E, E): weight by Linear's init, bias zeros). A query whose keys are all
// masked gives NaN, as PyTorch's. Prints as PyTorch's (its out_proj child only, no extra_repr).
class MultiheadAttention : public ModuleBase<MultiheadAttention> {
public:
    MultiheadAttention(std::size_t embed_dim, std::size_t num_heads, MultiheadAttentionOptions options = {});
    std::pair<Tensor, Tensor> forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                      const MultiheadAttentionForward& options = {});
    // mha(q, k, v, {.key_padding_mask = m}): ModuleBase's call (hooks included), spelled out so
    // that the options can be a braced list, which a variadic template can't take.
    std::pair<Tensor, Tensor> operator()(const Tensor& query, const Tensor& key, const Tensor& value,
                                         const MultiheadAttentionForward& options = {}) {
        return ModuleBase::operator()(query, key, value, options);
    }

    const std::size_t embed_dim, num_heads, head_dim;
    const float dropout;
    const bool batch_first;
    Tensor in_proj_weight, in_proj_bias;  // in_proj_bias undefined without bias
    Linear out_proj;
};

// PyTorch's keyword arguments of nn.TransformerEncoderLayer that xgrad has.
struct TransformerEncoderLayerOptions {
    std::size_t dim_feedforward = 2048;
    float dropout = 0.1f;
    std::string activation = "relu";  // "relu" or "gelu"
    float layer_norm_eps = 1e-5f;
    bool batch_first = false;
    bool norm_first = false;  // pre-norm: x + block(norm(x)) instead of norm(x + block(x))
};

// One Transformer encoder block, as torch.nn.TransformerEncoderLayer (1.13, its slow path):
// self-attention then a two-layer feed-forward network, each with dropout, a residual connection
// and a LayerNorm. Children and names are PyTorch's (self_attn, linear1, dropout, linear2,
// norm1, norm2, dropout1, dropout2), so a PyTorch state dict loads.
class TransformerEncoderLayer : public ModuleBase<TransformerEncoderLayer> {
public:
    TransformerEncoderLayer(std::size_t d_model, std::size_t nhead, TransformerEncoderLayerOptions options = {});
    // src [S, N, E] (batch_first: [N, S, E]); the masks as MultiheadAttention's.
    Tensor forward(const Tensor& src, const Tensor& src_mask = Tensor(), const Tensor& src_key_padding_mask = Tensor());

    const bool norm_first;
    const std::string activation;
    MultiheadAttention self_attn;
    Linear linear1;
    Dropout dropout;
    Linear linear2;
    LayerNorm norm1, norm2;
    Dropout dropout1, dropout2;

private:
    Tensor self_attention_block(const Tensor& x, const Tensor& mask, const Tensor& key_padding_mask);
    Tensor feed_forward_block(const Tensor& x);
};

}  // namespace xg::nn
