// nn::functional: losses and dropout as functions (torch.nn.functional). The loss modules in
// loss.hpp call these. Class-index targets are float tensors holding whole numbers.
#pragma once

#include <cstdint>

#include "core/tensor.hpp"

namespace xg::nn {

enum class Reduction { none, mean, sum };

namespace functional {

Tensor dropout(const Tensor& x, float p = 0.5f, bool training = true);

// (input - target)², reduced. Shapes must match.
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
// |input - target|, reduced. Shapes must match.
Tensor l1_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
// -(t·log x + (1 - t)·log(1 - x)) for probabilities x in [0, 1]; each log is clamped at -100, as PyTorch.
// First-order: a fused kernel (its gradient can't be differentiated again).
Tensor binary_cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean);
// The same on logits, computed stably as max(x, 0) - x·t + log(1 + e^-|x|).
Tensor binary_cross_entropy_with_logits(const Tensor& input, const Tensor& target,
                                        Reduction reduction = Reduction::mean);
// input: log-probabilities [N, C]; target: class indices [N]. Targets equal to ignore_index
// count neither in the sum nor in the mean's denominator, as PyTorch.
Tensor nll_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                std::int64_t ignore_index = -100);
// input: logits [N, C]; target: class indices [N]. log_softmax and nll_loss fused into one op.
// First-order: a fused kernel (its gradient can't be differentiated again).
Tensor cross_entropy(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::mean,
                     std::int64_t ignore_index = -100);

}  // namespace functional
}  // namespace xg::nn
