// Embedding: a lookup table of learned vectors (PyTorch's torch/nn/modules/sparse.py).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "nn/module.hpp"

namespace xg::nn {

// PyTorch's keyword arguments of nn.Embedding that xgrad has (max_norm, scale_grad_by_freq and
// sparse are not supported).
struct EmbeddingOptions {
    // This row starts at zeros and gets no gradient (a padding token); negative counts from the end.
    std::optional<std::int64_t> padding_idx{};
};

// input [*] of whole numbers in [0, num_embeddings) (floats: xgrad is float32-only) ->
// [*, embedding_dim], the rows of weight. weight [num_embeddings, embedding_dim] ~ N(0, 1), the
// padding_idx row zeroed, as PyTorch.
class Embedding : public Module {
public:
    Embedding(std::size_t num_embeddings, std::size_t embedding_dim, EmbeddingOptions options = {});
    Tensor forward(const Tensor& input) override;
    Shape output_shape(const Shape& input_shape) override;  // input_shape + [embedding_dim]
    std::string extra_repr() const override;
    Embedding clone() const { return nn::clone(*this); }

    const std::size_t num_embeddings, embedding_dim;
    const std::optional<std::int64_t> padding_idx;  // in [0, num_embeddings), as PyTorch stores it
    Tensor weight;
};

}  // namespace xg::nn
