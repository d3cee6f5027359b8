// BatchNorm: parameters and running statistics, the layer's dims check, repr; the rest is core's batch_norm.
#include "nn/batchnorm.hpp"

#include <sstream>

#include "core/ops.hpp"
#include "core/format.hpp"

namespace xg::nn {

BatchNorm::BatchNorm(std::size_t n, float eps_, std::optional<float> momentum_, bool affine_, std::size_t min_dims,
                     std::size_t max_dims)
    : num_features(n), eps(eps_), momentum(momentum_), affine(affine_), min_dims_(min_dims), max_dims_(max_dims) {
    if (n == 0) throw Error("BatchNorm: num_features must be positive");
    if (affine) {
        weight = register_parameter("weight", Tensor::ones({n}));
        bias = register_parameter("bias", Tensor::zeros({n}));
    }
    running_mean = register_buffer("running_mean", Tensor::zeros({n}));
    running_var = register_buffer("running_var", Tensor::ones({n}));
    num_batches_tracked = register_buffer("num_batches_tracked", Tensor::zeros({}));  // torch.tensor(0, dtype=long)
}

Shape BatchNorm::output_shape(const Shape& in) {
    const std::string who = name() + "(" + std::to_string(num_features) + ")", c = std::to_string(num_features);
    if (in.size() < min_dims_ || in.size() > max_dims_) {
        throw Error(who + ": input " + shape_str(in) + " must be " +
                    (max_dims_ == 4 ? "[N, " + c + ", H, W]" : "[N, " + c + "] or [N, " + c + ", L]"));
    }
    return batch_norm_shape(in, running_mean, running_var, weight, bias, is_training(), who);
}

std::string BatchNorm::fix_for(const Shape& in) const {
    if (in.size() < 2 || in[1] == num_features) return "";
    return "make it " + name() + "(" + std::to_string(in[1]) + ")";
}

Tensor BatchNorm::forward(const Tensor& x) {
    output_shape(x.shape());  // so that a mismatch names the layer, not only the op
    float factor = momentum.value_or(0.0f);
    if (is_training()) {  // PyTorch's exponential_average_factor
        float& count = *num_batches_tracked.data().data();
        count += 1.0f;
        if (!momentum) factor = 1.0f / count;
    }
    return batch_norm(x, running_mean, running_var, weight, bias, is_training(), factor, eps);
}

std::string BatchNorm::extra_repr() const {
    std::ostringstream s;
    s << num_features << ", eps=" << format_number(eps)
      << ", momentum=" << (momentum ? format_number(*momentum) : "None") << ", affine=" << (affine ? "true" : "false")
      << ", track_running_stats=true";
    return s.str();
}

}  // namespace xg::nn
