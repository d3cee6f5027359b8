// Loss modules: each forwards to nn::functional.
#include "nn/loss.hpp"

#include "core/format.hpp"

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

Tensor Loss::optional_buffer(const std::string& name, const Tensor& t) {
    return t.defined() ? register_buffer(name, t) : t;
}

namespace {
// The base's text followed by `more` (PyTorch-style "key=value"), comma-separated.
std::string join(std::string base, const std::string& more) {
    if (more.empty()) return base;
    return base.empty() ? more : base + ", " + more;
}
}  // namespace

HuberLoss::HuberLoss(Reduction reduction, float delta) : Loss(reduction), delta(delta) {
    if (!(delta > 0.0f)) throw Error("HuberLoss: delta must be positive, got " + format_number(delta));
}
SmoothL1Loss::SmoothL1Loss(Reduction reduction, float beta) : Loss(reduction), beta(beta) {
    if (!(beta >= 0.0f)) throw Error("SmoothL1Loss: beta must not be negative, got " + format_number(beta));
}
BCELoss::BCELoss(const Tensor& weight, Reduction reduction)
    : Loss(reduction), weight(optional_buffer("weight", weight)) {}
BCEWithLogitsLoss::BCEWithLogitsLoss(const BCEWithLogitsOptions& o)
    : Loss(o.reduction), weight(optional_buffer("weight", o.weight)),
      pos_weight(optional_buffer("pos_weight", o.pos_weight)) {}
NLLLoss::NLLLoss(const NLLLossOptions& o)
    : Loss(o.reduction), ignore_index(o.ignore_index), weight(optional_buffer("weight", o.weight)) {}
CrossEntropyLoss::CrossEntropyLoss(const CrossEntropyOptions& o)
    : Loss(o.reduction), ignore_index(o.ignore_index), label_smoothing(o.label_smoothing),
      weight(optional_buffer("weight", o.weight)) {
    if (!(label_smoothing >= 0.0f && label_smoothing <= 1.0f))
        throw Error("CrossEntropyLoss: label_smoothing must be in [0, 1], got " + format_number(label_smoothing));
}

std::string HuberLoss::extra_repr() const {
    return join(Loss::extra_repr(), delta != 1.0f ? "delta=" + format_number(delta) : "");
}
std::string SmoothL1Loss::extra_repr() const {
    return join(Loss::extra_repr(), beta != 1.0f ? "beta=" + format_number(beta) : "");
}
std::string NLLLoss::extra_repr() const {
    return join(Loss::extra_repr(), ignore_index != -100 ? "ignore_index=" + format_number(ignore_index) : "");
}
std::string CrossEntropyLoss::extra_repr() const {
    std::string s = join(Loss::extra_repr(), ignore_index != -100 ? "ignore_index=" + format_number(ignore_index) : "");
    return join(s, label_smoothing != 0.0f ? "label_smoothing=" + format_number(label_smoothing) : "");
}

Tensor MSELoss::forward(const Tensor& x, const Tensor& t) { return functional::mse_loss(x, t, reduction); }
Tensor L1Loss::forward(const Tensor& x, const Tensor& t) { return functional::l1_loss(x, t, reduction); }
Tensor HuberLoss::forward(const Tensor& x, const Tensor& t) { return functional::huber_loss(x, t, reduction, delta); }
Tensor SmoothL1Loss::forward(const Tensor& x, const Tensor& t) {
    return functional::smooth_l1_loss(x, t, reduction, beta);
}
Tensor BCELoss::forward(const Tensor& x, const Tensor& t) {
    return functional::binary_cross_entropy(x, t, reduction, weight);
}
Tensor BCEWithLogitsLoss::forward(const Tensor& x, const Tensor& t) {
    return functional::binary_cross_entropy_with_logits(x, t, {weight, reduction, pos_weight});
}
Tensor NLLLoss::forward(const Tensor& x, const Tensor& t) {
    return functional::nll_loss(x, t, {weight, ignore_index, reduction});
}
Tensor CrossEntropyLoss::forward(const Tensor& x, const Tensor& t) {
    return functional::cross_entropy(x, t, {weight, ignore_index, reduction, label_smoothing});
}

}  // namespace xg::nn
