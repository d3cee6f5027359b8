// Tensor's makers, facts and backward entry. The op methods are defined in ops.hpp, the in-place
// ones in ops_inplace.cpp, printing in tensor_print.cpp.
#include "core/tensor.hpp"

#include <malloc.h>

#include <cmath>

#include "core/autograd.hpp"
#include "core/ops.hpp"
#include "core/pool.hpp"
#include "core/random.hpp"

namespace xg {

namespace {
// Large buffers stay with the process. By default glibc maps every allocation above its mmap
// threshold (128 KiB, adjusted up to 32 MiB) as fresh pages and returns them on free, and it
// trims the heap's free top past 128 KiB. A training step allocates the same activations,
// column buffers and gradients every step, so it pays a page fault per 4 KiB every step: the
// resnet example (1 thread, 3,000 images) spent 4.4 s of 11.8 s in the kernel, 2.5 M faults.
// With both thresholds at 1 GiB: 0.4 s of 7.3 s, 0.18 M faults, and the same peak memory.
// Process-wide, set once when the library loads, as a caching allocator would be.
const bool malloc_tuned = [] {
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    return true;
}();
}  // namespace

// Handles and value holders come from the per-thread block cache (core/pool.hpp): a step frees
// hundreds of them at once.
Tensor::Tensor(Array data, bool requires_grad)
    : impl_(std::allocate_shared<TensorImpl>(detail::PoolAllocator<TensorImpl>())) {
    impl_->values = std::allocate_shared<Array>(detail::PoolAllocator<Array>(), std::move(data));
    impl_->requires_grad = requires_grad;
}

Tensor Tensor::from_storage(std::shared_ptr<Array> storage, std::shared_ptr<autograd::Node> grad_fn) {
    Tensor t;
    t.impl_ = std::allocate_shared<TensorImpl>(detail::PoolAllocator<TensorImpl>());
    t.impl_->values = std::move(storage);
    t.impl_->grad_fn = std::move(grad_fn);
    return t;
}

Tensor Tensor::zeros(const Shape& shape, bool rg) { return Tensor(Array(xt::zeros<float>(shape)), rg); }
Tensor Tensor::ones(const Shape& shape, bool rg) { return Tensor(Array(xt::ones<float>(shape)), rg); }
Tensor Tensor::full(const Shape& shape, float value, bool rg) { return Tensor(Array(shape, value), rg); }

Tensor Tensor::rand(const Shape& shape, bool rg) {
    Array a(shape);
    random::fill_uniform(a.data(), a.size(), 0.0f, 1.0f);
    return Tensor(std::move(a), rg);
}

Tensor Tensor::randn(const Shape& shape, bool rg) {
    Array a(shape);
    random::fill_normal(a.data(), a.size(), 0.0f, 1.0f);
    return Tensor(std::move(a), rg);
}

Tensor Tensor::arange(float end) { return arange(0.0f, end, 1.0f); }
Tensor Tensor::arange(float start, float end, float step) {
    if (step == 0.0f || !std::isfinite(start) || !std::isfinite(end) || !std::isfinite(step)) {
        throw Error("arange: step must be non-zero and bounds finite");
    }
    const double n = std::ceil((static_cast<double>(end) - start) / step);
    Array a = Array::from_shape({n > 0 ? static_cast<std::size_t>(n) : 0});
    for (std::size_t i = 0; i < a.size(); ++i) a(i) = start + static_cast<float>(i) * step;
    return Tensor(std::move(a));
}

Tensor Tensor::linspace(float start, float end, std::int64_t steps) {
    if (steps < 0) throw Error("linspace: number of steps must be non-negative, got " + std::to_string(steps));
    Array a = Array::from_shape({static_cast<std::size_t>(steps)});
    if (steps == 1) a(0) = start;
    if (steps <= 1) return Tensor(std::move(a));
    const float step = (end - start) / static_cast<float>(steps - 1);
    // PyTorch's formula, one fused rounding each: from start for the first half, from end for the
    // second, so both ends are exact and the values symmetric.
    const auto formula = [&](std::int64_t i) {
        return i < steps / 2 ? std::fma(step, static_cast<float>(i), start)
                             : std::fma(-step, static_cast<float>(steps - 1 - i), end);
    };
    // torch's x86 kernel (AVX2) fills 16 values at a time as two blocks of 8: each block starts at
    // the formula's value and its lanes add j·step (rounded separately); the rest takes the
    // formula. Following it gives torch's exact bits, so that data built with linspace (the
    // sin(x) tutorial's x) is the same data.
    std::int64_t i = 0;
    for (; i + 16 <= steps; i += 16) {
        for (std::int64_t block = i; block < i + 16; block += 8) {
            const float base = formula(block);
            a(static_cast<std::size_t>(block)) = base;
            for (std::int64_t j = 1; j < 8; ++j) {
                a(static_cast<std::size_t>(block + j)) = base + static_cast<float>(j) * step;
            }
        }
    }
    for (; i < steps; ++i) a(static_cast<std::size_t>(i)) = formula(i);
    return Tensor(std::move(a));
}

Tensor Tensor::from(std::initializer_list<std::initializer_list<float>> v) {
    const std::size_t cols = v.size() ? v.begin()->size() : 0;
    std::vector<float> flat;
    for (const auto& row : v) {
        if (row.size() != cols) throw Error("Tensor::from: rows have different lengths (a ragged nested list)");
        flat.insert(flat.end(), row.begin(), row.end());
    }
    return from_values({v.size(), cols}, flat.data());
}

Tensor Tensor::from(std::initializer_list<std::initializer_list<std::initializer_list<float>>> v) {
    const std::size_t rows = v.size() ? v.begin()->size() : 0;
    const std::size_t cols = rows ? v.begin()->begin()->size() : 0;
    std::vector<float> flat;
    for (const auto& m : v) {
        if (m.size() != rows) throw Error("Tensor::from: matrices have different row counts (a ragged nested list)");
        for (const auto& row : m) {
            if (row.size() != cols) throw Error("Tensor::from: rows have different lengths (a ragged nested list)");
            flat.insert(flat.end(), row.begin(), row.end());
        }
    }
    return from_values({v.size(), rows, cols}, flat.data());
}

Tensor Tensor::from_values(const Shape& shape, const float* values) {
    Array a = Array::from_shape(shape);
    std::copy(values, values + a.size(), a.begin());
    return Tensor(std::move(a));
}

namespace {
void require_defined(const Tensor& t, const char* what) {
    if (!t.defined()) throw Error(std::string(what) + ": the tensor is undefined (default-constructed)");
}
}  // namespace

const Shape& Tensor::shape() const {
    require_defined(*this, "shape");
    return impl_->values->shape();
}
std::size_t Tensor::dim() const { return shape().size(); }
std::size_t Tensor::numel() const {
    require_defined(*this, "numel");
    return impl_->values->size();
}
std::size_t Tensor::size(std::int64_t d) const { return shape()[normalize_dim("size", d, dim(), shape())]; }
Array& Tensor::data() {
    require_defined(*this, "data");
    return *impl_->values;
}
const Array& Tensor::data() const {
    require_defined(*this, "data");
    return *impl_->values;
}
const std::shared_ptr<Array>& Tensor::storage() const {
    require_defined(*this, "storage");
    return impl_->values;
}
bool Tensor::is_sole_owner() const { return impl_ && impl_.use_count() == 1 && impl_->values.use_count() == 1; }

float Tensor::item() const {
    if (numel() != 1) {
        throw Error("item: only a one-element tensor converts to a number; this one has shape " + shape_str(shape()));
    }
    return *impl_->values->data();
}

bool Tensor::requires_grad() const { return impl_ && (impl_->requires_grad || impl_->grad_fn); }
bool Tensor::is_leaf() const { return impl_ && !impl_->grad_fn; }

Tensor& Tensor::requires_grad_(bool on) {
    require_defined(*this, "requires_grad_");
    if (impl_->grad_fn && !on) {
        throw Error("requires_grad_: can only change a leaf; use detach() on a result of an op");
    }
    impl_->requires_grad = on;
    return *this;
}

Tensor Tensor::grad() const {
    require_defined(*this, "grad");
    return impl_->grad;
}
Tensor& Tensor::mutable_grad() {
    require_defined(*this, "mutable_grad");
    return impl_->grad;
}
const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const {
    require_defined(*this, "grad_fn");
    return impl_->grad_fn;
}

void Tensor::backward(const Tensor& gradient, autograd::BackwardOptions options) const {
    require_defined(*this, "backward");
    if (!requires_grad()) {
        throw Error("backward: this tensor " + shape_str(shape()) +
                    " does not require grad and has no grad_fn (no input had requires_grad, or it was "
                    "computed under NoGradGuard)");
    }
    if (gradient.defined() && gradient.shape() != shape()) {
        throw Error("backward: gradient " + shape_str(gradient.shape()) + " does not match the tensor's shape " +
                    shape_str(shape()));
    }
    if (!gradient.defined() && numel() != 1) {
        throw Error("backward: grad can be implicitly created only for a one-element output; this one is " +
                    shape_str(shape()) + ", so pass a gradient of that shape");
    }
    const Tensor seed = gradient.defined() ? gradient : Tensor(Array(shape(), 1.0f));
    autograd::run_backward({*this}, {seed}, options.retain_graph.value_or(options.create_graph), options.create_graph);
}

Tensor Tensor::detach() const { return from_storage(storage()); }

// A copy of the values.  d/da = g.
Tensor Tensor::clone() const {
    Tensor out(data());
    autograd::record("clone", out, {*this}, [](Tensor g) { return autograd::Tensors{std::move(g)}; });
    return out;
}

}  // namespace xg
