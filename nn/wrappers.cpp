// Lambda, Residual and Unflatten.
#include "nn/wrappers.hpp"

#include "core/ops.hpp"

namespace xg::nn {

Lambda::Lambda(Fn fn, std::string name) : fn_(std::move(fn)), name_(std::move(name)) {
    if (!fn_) throw Error("Lambda '" + name_ + "': the function is empty");
}

Tensor Residual::forward(const Tensor& x) {
    Tensor y = (*block_)(x);
    if (y.shape() != x.shape()) {
        throw Error("Residual(" + block_->short_repr() + "): the block maps " + shape_str(x.shape()) + " to " +
                    shape_str(y.shape()) + ", but x + block(x) needs them equal");
    }
    return x + y;
}

Shape Residual::output_shape(const Shape& in) {
    const Shape out = block_->output_shape(in);
    if (out != in) {
        throw Error("Residual(" + block_->short_repr() + "): the block maps " + shape_str(in) + " to " + shape_str(out) +
                    ", but x + block(x) needs them equal");
    }
    return in;
}

std::vector<std::int64_t> Unflatten::target(const Shape& in) const {
    const std::size_t d = normalize_dim("Unflatten", dim, in.size(), in);
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (i == d) out.insert(out.end(), sizes.begin(), sizes.end());
        else out.push_back(static_cast<std::int64_t>(in[i]));
    }
    return out;
}

Tensor Unflatten::forward(const Tensor& x) { return reshape(x, target(x.shape())); }

Shape Unflatten::output_shape(const Shape& in) {
    std::int64_t known = 1, product = 1;
    for (std::size_t i = 0; i < in.size(); ++i) product *= static_cast<std::int64_t>(in[i]);
    Shape out;
    const std::vector<std::int64_t> t = target(in);
    for (std::int64_t v : t) known *= v < 0 ? 1 : v;
    for (std::int64_t v : t) out.push_back(static_cast<std::size_t>(v < 0 ? (known ? product / known : 0) : v));
    std::size_t count = 1;
    for (std::size_t v : out) count *= v;
    if (static_cast<std::int64_t>(count) != product) {
        throw Error("Unflatten: can't split dim " + std::to_string(dim) + " of " + shape_str(in) + " into " + shape_str(sizes));
    }
    return out;
}

std::string Unflatten::extra_repr() const {
    std::string s = "dim=" + std::to_string(dim) + ", unflattened_size=(";
    for (std::size_t i = 0; i < sizes.size(); ++i) s += (i ? ", " : "") + std::to_string(sizes[i]);
    return s + (sizes.size() == 1 ? ",))" : "))");
}

}  // namespace xg::nn
