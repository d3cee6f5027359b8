// Loss modules: each forwards to nn::functional.
#include "nn/loss.hpp"

namespace xg::nn {

Tensor Loss::forward(const Tensor&) {
    throw Error(name() + ": a loss takes (input, target); call loss_fn(output, target)");
}

std::string Loss::extra_repr() const {
    switch (reduction) {
        case Reduction::none: return "reduction='none'";
        case Reduction::sum: return "reduction='sum'";
        case Reduction::mean: break;
    }
    return "";
}

Tensor MSELoss::forward(const Tensor& x, const Tensor& t) { return functional::mse_loss(x, t, reduction); }
Tensor L1Loss::forward(const Tensor& x, const Tensor& t) { return functional::l1_loss(x, t, reduction); }
Tensor BCELoss::forward(const Tensor& x, const Tensor& t) { return functional::binary_cross_entropy(x, t, reduction); }
Tensor BCEWithLogitsLoss::forward(const Tensor& x, const Tensor& t) {
    return functional::binary_cross_entropy_with_logits(x, t, reduction);
}
Tensor NLLLoss::forward(const Tensor& x, const Tensor& t) {
    return functional::nll_loss(x, t, reduction, ignore_index);
}
Tensor CrossEntropyLoss::forward(const Tensor& x, const Tensor& t) {
    return functional::cross_entropy(x, t, reduction, ignore_index);
}

}  // namespace xg::nn
