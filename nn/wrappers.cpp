// Lambda and Residual.
#include "nn/wrappers.hpp"

#include "core/ops.hpp"

namespace xg::nn {

Lambda::Lambda(Fn fn, std::string name) : fn_(std::move(fn)), name_(std::move(name)) {
    if (!fn_) throw Error("Lambda '" + name_ + "': the function is empty");
}

Shape Residual::sum_shape(const Shape& in, const Shape& out) const {
    if (out != in) {
        throw Error("Residual(" + block().short_repr() + "): the block maps " + shape_str(in) + " to " +
                    shape_str(out) + ", but x + block(x) needs them equal");
    }
    return in;
}

Tensor Residual::forward(const Tensor& x) {
    Tensor y = block()(x);
    sum_shape(x.shape(), y.shape());  // stricter than add's broadcasting: a skip keeps the shape
    return x + y;
}

Shape Residual::output_shape(const Shape& in) { return sum_shape(in, block().output_shape(in)); }

}  // namespace xg::nn
