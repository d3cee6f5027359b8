// Embedding: PyTorch's init and checks; the lookup is nn::functional::embedding (core's embedding).
#include "nn/embedding.hpp"

#include <algorithm>

#include "core/ops.hpp"
#include "nn/functional.hpp"
#include "nn/init.hpp"

namespace xg::nn {

namespace {
// padding_idx in [0, num) (PyTorch turns a negative one into num + padding_idx), or an Error.
std::optional<std::int64_t> checked_padding(std::size_t num, std::size_t dim, std::optional<std::int64_t> p) {
    if (num == 0 || dim == 0) {
        throw Error("Embedding: num_embeddings and embedding_dim must be positive, got Embedding(" +
                    std::to_string(num) + ", " + std::to_string(dim) + ")");
    }
    if (!p) return p;
    const auto n = static_cast<std::int64_t>(num);
    if (*p < -n || *p >= n) {
        throw Error("Embedding(" + std::to_string(num) + ", " + std::to_string(dim) + "): padding_idx " +
                    std::to_string(*p) + " must be within num_embeddings");
    }
    return *p < 0 ? *p + n : *p;
}
}  // namespace

Embedding::Embedding(std::size_t num, std::size_t dim, EmbeddingOptions options)
    : num_embeddings(num), embedding_dim(dim), padding_idx(checked_padding(num, dim, options.padding_idx)) {
    weight = register_parameter("weight", Tensor::zeros({num, dim}));
    init::normal_(weight);  // reset_parameters() in PyTorch: N(0, 1), then the padding row zeroed
    if (padding_idx) std::fill_n(weight.data().data() + static_cast<std::size_t>(*padding_idx) * dim, dim, 0.0f);
}

Shape Embedding::output_shape(const Shape& in) {
    Shape out = in;
    out.push_back(embedding_dim);
    return out;
}

Tensor Embedding::forward(const Tensor& input) { return functional::embedding(input, weight, padding_idx); }

std::string Embedding::extra_repr() const {
    std::string s = std::to_string(num_embeddings) + ", " + std::to_string(embedding_dim);
    if (padding_idx) s += ", padding_idx=" + std::to_string(*padding_idx);
    return s;
}

}  // namespace xg::nn

namespace xg::nn::functional {

Tensor embedding(const Tensor& input, const Tensor& weight, std::optional<std::int64_t> padding_idx) {
    return xg::embedding(input, weight, padding_idx);
}

}  // namespace xg::nn::functional
