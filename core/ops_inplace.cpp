// In-place ops (add_ sub_ mul_ div_ zero_ fill_ copy_ clamp_, and += -= *= /=): they write into
// a tensor's values outside the tape. The checks here stand in for PyTorch's autograd rules on
// in-place ops; what xgrad can't check (no version counters) is said in core/tensor.hpp.
#include <algorithm>
#include <cmath>

#include "core/autograd.hpp"
#include "core/ops.hpp"
#include "core/ops_util.hpp"

namespace xg {

using namespace detail;

namespace {

// Throws unless `op` may write into t. Under NoGradGuard anything may be written, as under
// torch.no_grad(); in grad mode, not a leaf that requires grad (PyTorch's rule) nor a recorded
// result (PyTorch would record the in-place op; xgrad can't).
void check_target(const char* op, const Tensor& t) {
    const std::string who = std::string(op) + ": ";
    if (!t.defined()) throw Error(who + "the tensor is undefined (default-constructed)");
    if (!autograd::is_grad_enabled()) return;
    if (t.is_leaf() && t.requires_grad()) {
        throw Error(who + "a leaf Variable that requires grad (shape " + shape_str(t.shape()) +
                    ") is being used in an in-place operation; do it under NoGradGuard (as an optimizer step "
                    "does), or on a detach()ed tensor");
    }
    if (t.grad_fn()) {
        throw Error(who + "the tensor " + shape_str(t.shape()) + " is the result of '" + t.grad_fn()->name +
                    "' recorded on the tape, and xgrad doesn't record in-place ops (no version counters); write "
                    "the out-of-place op (y = y + x), or do it under NoGradGuard");
    }
}

// The operand's values laid out in t's shape (materialised into `scratch` when it broadcasts),
// after the target's checks. The operand may only broadcast up to t's shape, never change it.
const float* operand(const char* op, const Tensor& t, const Tensor& other, Array& scratch) {
    check_target(op, t);
    const std::string who = std::string(op) + ": ";
    if (!other.defined()) throw Error(who + "the operand is undefined (default-constructed)");
    if (autograd::is_grad_enabled() && other.requires_grad()) {
        throw Error(who + "the operand " + shape_str(other.shape()) +
                    " requires grad, and xgrad doesn't record in-place ops, so its gradient would be lost; write "
                    "the out-of-place op (y = y + x), or pass other.detach()");
    }
    const Shape shape = broadcast_shapes(op, t.shape(), other.shape());
    if (shape != t.shape()) {
        throw Error(who + "output with shape " + shape_str(t.shape()) + " doesn't match the broadcast shape " +
                    shape_str(shape) + " (operand " + shape_str(other.shape()) +
                    "): an in-place op can't change its tensor's shape");
    }
    if (other.shape() == shape) return other.data().data();
    scratch = xt::broadcast(other.data(), shape);
    return scratch.data();
}

// t[i] = f(t[i], other[i]), other broadcast to t's shape. other may be t itself (x.mul_(x)):
// each entry is read before it is written.
template <class F>
const Tensor& update(const char* op, const Tensor& t, const Tensor& other, F f) {
    Array scratch;
    const float* o = operand(op, t, other, scratch);
    float* x = t.storage()->data();
    for (std::size_t i = 0, n = t.numel(); i < n; ++i) x[i] = f(x[i], o[i]);
    return t;
}

// t[i] = f(t[i]).
template <class F>
const Tensor& update(const char* op, const Tensor& t, F f) {
    check_target(op, t);
    float* x = t.storage()->data();
    for (std::size_t i = 0, n = t.numel(); i < n; ++i) x[i] = f(x[i]);
    return t;
}

// x + alpha·o in one rounding, as PyTorch's add kernel (a fused multiply-add); x + o when alpha
// is 1, which is the same number.
float add_scaled(float x, float o, float alpha) { return alpha == 1.0f ? x + o : std::fma(alpha, o, x); }

}  // namespace

const Tensor& Tensor::add_(const Tensor& other, float alpha) const {
    return update("add_", *this, other, [alpha](float x, float o) { return add_scaled(x, o, alpha); });
}
const Tensor& Tensor::add_(float other, float alpha) const {
    return update("add_", *this, [other, alpha](float x) { return add_scaled(x, other, alpha); });
}
const Tensor& Tensor::sub_(const Tensor& other, float alpha) const {
    return update("sub_", *this, other, [alpha](float x, float o) { return add_scaled(x, o, -alpha); });
}
const Tensor& Tensor::sub_(float other, float alpha) const {
    return update("sub_", *this, [other, alpha](float x) { return add_scaled(x, other, -alpha); });
}
const Tensor& Tensor::mul_(const Tensor& other) const {
    return update("mul_", *this, other, [](float x, float o) { return x * o; });
}
const Tensor& Tensor::mul_(float other) const {
    return update("mul_", *this, [other](float x) { return x * other; });
}
// A true division, also by a float (PyTorch's div_ doesn't multiply by the reciprocal).
const Tensor& Tensor::div_(const Tensor& other) const {
    return update("div_", *this, other, [](float x, float o) { return x / o; });
}
const Tensor& Tensor::div_(float other) const {
    return update("div_", *this, [other](float x) { return x / other; });
}
const Tensor& Tensor::zero_() const {
    return update("zero_", *this, [](float) { return 0.0f; });
}
const Tensor& Tensor::fill_(float value) const {
    return update("fill_", *this, [value](float) { return value; });
}
const Tensor& Tensor::copy_(const Tensor& src) const {
    return update("copy_", *this, src, [](float, float o) { return o; });
}

const Tensor& Tensor::clamp_(std::optional<float> min, std::optional<float> max) const {
    if (!min && !max) {
        throw Error("clamp_: at least one of min or max must be given (tensor " +
                    (defined() ? shape_str(shape()) : std::string("undefined")) + ")");
    }
    const float lo = min.value_or(-INFINITY), hi = max.value_or(INFINITY);
    return update("clamp_", *this, [lo, hi](float x) { return clamp_value(x, lo, hi); });
}
const Tensor& Tensor::clamp_min_(float min) const {
    return update("clamp_min_", *this, [min](float x) { return clamp_value(x, min, INFINITY); });
}
const Tensor& Tensor::clamp_max_(float max) const {
    return update("clamp_max_", *this, [max](float x) { return clamp_value(x, -INFINITY, max); });
}

}  // namespace xg
