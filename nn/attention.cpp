// scaled_dot_product_attention, MultiheadAttention and TransformerEncoderLayer, composed of core's
// ops (matmul over batch dims, masked_fill, softmax, linear), so their gradients come for free.
#include "nn/attention.hpp"

#include <cmath>
#include <limits>

#include "core/format.hpp"
#include "core/ops.hpp"
#include "nn/functional.hpp"
#include "nn/init.hpp"

namespace xg::nn {

namespace {

constexpr float inf = std::numeric_limits<float>::infinity();

// (softmax(q·kᵀ/√E + mask), the output: those weights · v), q [*, L, E], k [*, S, E], v [*, S, Ev].
// q is scaled before the product, as PyTorch's MultiheadAttention does. A row whose scores are
// all -inf gives NaN weights (softmax's 0/0), as in PyTorch: nothing hides it.
std::pair<Tensor, Tensor> attend(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& mask, float dropout_p,
                                 bool training) {
    const float scale = 1.0f / std::sqrt(static_cast<float>(q.shape().back()));
    Tensor scores = matmul(q * scale, transpose(k, -2, -1));  // [*, L, S]
    if (mask.defined()) scores = scores + mask;
    Tensor weights = functional::dropout(softmax(scores, -1), dropout_p, training);
    return {weights, matmul(weights, v)};
}

Shape tail(const Shape& s, std::size_t n) { return Shape(s.end() - static_cast<std::ptrdiff_t>(n), s.end()); }

}  // namespace

namespace functional {

Tensor scaled_dot_product_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& attn_mask,
                                    bool is_causal, float dropout_p) {
    const std::string shapes =
        "query " + shape_str(q.shape()) + ", key " + shape_str(k.shape()) + ", value " + shape_str(v.shape());
    if (q.dim() < 2 || k.dim() < 2 || v.dim() < 2) {
        throw Error("scaled_dot_product_attention: " + shapes + " must each have at least 2 dims [*, L, E]");
    }
    if (q.shape().back() != k.shape().back() || k.shape()[k.dim() - 2] != v.shape()[v.dim() - 2]) {
        throw Error("scaled_dot_product_attention: " + shapes +
                    " don't line up (query and key need the same E, key and value the same S)");
    }
    if (is_causal && attn_mask.defined()) {
        throw Error("scaled_dot_product_attention: pass attn_mask or is_causal, not both (as PyTorch)");
    }
    const std::size_t L = q.shape()[q.dim() - 2], S = k.shape()[k.dim() - 2];
    Tensor mask = attn_mask;
    if (is_causal) mask = masked_fill(Tensor::zeros({L, S}), triu(Tensor::ones({L, S}), 1), -inf);
    if (mask.defined()) {
        const Shape last = mask.dim() >= 2 ? tail(mask.shape(), 2) : Shape{};
        if (mask.dim() < 2 || (last[0] != L && last[0] != 1) || (last[1] != S && last[1] != 1)) {
            throw Error("scaled_dot_product_attention: attn_mask " + shape_str(mask.shape()) +
                        " doesn't fit scores [*, " + std::to_string(L) + ", " + std::to_string(S) + "] (" + shapes +
                        ")");
        }
    }
    return attend(q, k, v, mask, dropout_p, true).second;
}

}  // namespace functional

MultiheadAttention::MultiheadAttention(std::size_t e, std::size_t h, MultiheadAttentionOptions options)
    : embed_dim(e), num_heads(h), head_dim(h == 0 ? 0 : e / h), dropout(options.dropout),
      batch_first(options.batch_first), out_proj(e == 0 ? 1 : e, e == 0 ? 1 : e, options.bias) {
    if (e == 0 || h == 0 || head_dim * h != e) {
        throw Error("MultiheadAttention: embed_dim " + std::to_string(e) +
                    " must be a positive multiple of num_heads " + std::to_string(h));
    }
    if (!(dropout >= 0.0f && dropout <= 1.0f)) {
        throw Error("MultiheadAttention: dropout must be between 0 and 1, got " + format_number(dropout));
    }
    // PyTorch's _reset_parameters: xavier_uniform_ on the stacked projections, zero biases;
    // out_proj.weight keeps Linear's init.
    in_proj_weight = register_parameter("in_proj_weight", Tensor::zeros({3 * e, e}));
    init::xavier_uniform_(in_proj_weight);
    if (options.bias) in_proj_bias = register_parameter("in_proj_bias", Tensor::zeros({3 * e}));
    register_module("out_proj", out_proj);
    if (options.bias) init::zeros_(out_proj.bias);
}

std::pair<Tensor, Tensor> MultiheadAttention::forward(const Tensor& query, const Tensor& key, const Tensor& value,
                                                      const MultiheadAttentionForward& o) {
    const std::string who = "MultiheadAttention(" + std::to_string(embed_dim) + ", " + std::to_string(num_heads) + ")";
    const std::string shapes =
        "query " + shape_str(query.shape()) + ", key " + shape_str(key.shape()) + ", value " + shape_str(value.shape());
    const bool batched = query.dim() == 3;
    if ((query.dim() != 2 && query.dim() != 3) || key.dim() != query.dim() || key.shape() != value.shape()) {
        throw Error(who + ": " + shapes + " must be 3-D (or all 2-D for unbatched input), key and value alike");
    }
    if (query.shape().back() != embed_dim || key.shape().back() != embed_dim) {
        throw Error(who + ": " + shapes + " must end with embed_dim " + std::to_string(embed_dim));
    }
    // Everything below works on [N, L, E].
    auto to_batch_first = [&](const Tensor& t) {
        if (!batched) return unsqueeze(t, 0);
        return batch_first ? t : transpose(t, 0, 1);
    };
    const Tensor q_in = to_batch_first(query), k_in = to_batch_first(key), v_in = to_batch_first(value);
    const std::size_t N = q_in.shape()[0], L = q_in.shape()[1], S = k_in.shape()[1], E = embed_dim;
    if (k_in.shape()[0] != N) throw Error(who + ": " + shapes + " have different batch sizes");

    // Projections: rows [0, E) of in_proj_weight for q, [E, 2E) for k, [2E, 3E) for v.
    auto i64 = [](std::size_t n) { return static_cast<std::int64_t>(n); };
    auto project = [&](const Tensor& x, std::size_t part) {
        const std::int64_t from = i64(part * E), to = i64((part + 1) * E);
        const Tensor b = in_proj_bias.defined() ? slice(in_proj_bias, 0, from, to) : Tensor();
        const Tensor y = linear(x, slice(in_proj_weight, 0, from, to), b);  // [N, len, E]
        return transpose(reshape(y, {i64(N), i64(y.shape()[1]), i64(num_heads), i64(head_dim)}), 1,
                         2);  // [N, H, len, D]
    };
    const Tensor q = project(q_in, 0), k = project(k_in, 1), v = project(v_in, 2);

    // The additive mask [N or 1, H or 1, L, S], with padding keys set to -inf (PyTorch's masked_fill).
    Tensor mask;
    if (o.attn_mask.defined()) {
        const Shape& m = o.attn_mask.shape();
        if (m == Shape{L, S}) mask = o.attn_mask;
        else if (m == Shape{N * num_heads, L, S}) mask = reshape(o.attn_mask, {i64(N), i64(num_heads), i64(L), i64(S)});
        else {
            throw Error(who + ": attn_mask " + shape_str(m) + " must be [" + std::to_string(L) + ", " +
                        std::to_string(S) + "] or [" + std::to_string(N * num_heads) + ", " + std::to_string(L) + ", " +
                        std::to_string(S) + "] (N·num_heads, L, S) for " + shapes);
        }
    }
    if (o.key_padding_mask.defined()) {
        const Shape want = batched ? Shape{N, S} : Shape{S};
        if (o.key_padding_mask.shape() != want) {
            throw Error(who + ": key_padding_mask " + shape_str(o.key_padding_mask.shape()) + " must be " +
                        shape_str(want) + " for " + shapes);
        }
        for (std::size_t i = 0; i < o.key_padding_mask.numel(); ++i) {
            const float m = o.key_padding_mask.data().data()[i];
            if (m != 0.0f && m != 1.0f) {
                throw Error(who + ": key_padding_mask " + shape_str(want) +
                            " must hold 0 or 1 (1 = a padding key), entry " + std::to_string(i) + " is " +
                            format_number(m));
            }
        }
        const Tensor pad = reshape(o.key_padding_mask, {i64(N), 1, 1, i64(S)});
        mask = masked_fill(mask.defined() ? mask : Tensor::zeros({N, 1, 1, S}), pad, -inf);
    }

    auto [weights, out] = attend(q, k, v, mask, dropout, is_training());  // [N, H, L, S], [N, H, L, D]
    out = out_proj(reshape(transpose(out, 1, 2), {i64(N), i64(L), i64(E)}));
    if (!batched) out = squeeze(out, 0);
    else if (!batch_first) out = transpose(out, 0, 1);
    if (!o.need_weights) return {out, Tensor()};
    if (o.average_attn_weights) weights = mean(weights, 1);
    return {out, batched ? weights : squeeze(weights, 0)};
}

TransformerEncoderLayer::TransformerEncoderLayer(std::size_t d_model, std::size_t nhead,
                                                 TransformerEncoderLayerOptions o)
    : norm_first(o.norm_first), activation(o.activation),
      self_attn(d_model, nhead, {.dropout = o.dropout, .batch_first = o.batch_first}),
      linear1(d_model, o.dim_feedforward), dropout(o.dropout), linear2(o.dim_feedforward, d_model),
      norm1(d_model, {.eps = o.layer_norm_eps}), norm2(d_model, {.eps = o.layer_norm_eps}), dropout1(o.dropout),
      dropout2(o.dropout) {
    if (activation != "relu" && activation != "gelu") {
        throw Error("TransformerEncoderLayer: activation must be \"relu\" or \"gelu\", got \"" + activation + "\"");
    }
    register_module("self_attn", self_attn);
    register_module("linear1", linear1);
    register_module("dropout", dropout);
    register_module("linear2", linear2);
    register_module("norm1", norm1);
    register_module("norm2", norm2);
    register_module("dropout1", dropout1);
    register_module("dropout2", dropout2);
}

Tensor TransformerEncoderLayer::self_attention_block(const Tensor& x, const Tensor& mask, const Tensor& padding) {
    auto [out, weights] = self_attn(x, x, x, MultiheadAttentionForward{padding, false, mask});
    return dropout1(out);
}

Tensor TransformerEncoderLayer::feed_forward_block(const Tensor& x) {
    const Tensor h = linear1(x);
    return dropout2(linear2(dropout(activation == "gelu" ? gelu(h) : relu(h))));
}

// norm_first: x + sa(norm1(x)), then + ff(norm2(x)). Otherwise norm1(x + sa(x)), then norm2(x + ff(x)).
Tensor TransformerEncoderLayer::forward(const Tensor& src, const Tensor& src_mask, const Tensor& src_key_padding_mask) {
    Tensor x = src;
    if (norm_first) {
        x = x + self_attention_block(norm1(x), src_mask, src_key_padding_mask);
        return x + feed_forward_block(norm2(x));
    }
    x = norm1(x + self_attention_block(x, src_mask, src_key_padding_mask));
    return norm2(x + feed_forward_block(x));
}

}  // namespace xg::nn
