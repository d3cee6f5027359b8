// Tensor's makers, facts, printing and backward entry. The op methods are defined in ops.hpp.
#include "core/tensor.hpp"

#include <cmath>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "core/autograd.hpp"
#include "core/ops.hpp"
#include "core/random.hpp"

namespace xg {

Tensor::Tensor(Array data, bool requires_grad) : impl_(std::make_shared<TensorImpl>()) {
    impl_->values = std::make_shared<Array>(std::move(data));
    impl_->requires_grad = requires_grad;
}

Tensor Tensor::from_storage(std::shared_ptr<Array> storage, std::shared_ptr<autograd::Node> grad_fn) {
    Tensor t;
    t.impl_ = std::make_shared<TensorImpl>();
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

namespace {
// Writes dims [d, ndim) of the values starting at `offset`, PyTorch style, 4 decimals.
void print_values(std::ostream& os, const Array& a, std::size_t d, std::size_t offset, std::size_t indent) {
    const auto& shape = a.shape();
    if (d == shape.size()) {
        os << a.data()[offset];
        return;
    }
    std::size_t stride = 1;
    for (std::size_t k = d + 1; k < shape.size(); ++k) stride *= shape[k];
    os << '[';
    for (std::size_t i = 0; i < shape[d]; ++i) {
        if (i) {
            os << ',';
            if (d + 1 < shape.size()) os << std::string(shape.size() - d - 1, '\n') << std::string(indent + 1, ' ');
            else os << ' ';
        }
        print_values(os, a, d + 1, offset + i * stride, indent + 1);
    }
    os << ']';
}
}  // namespace

std::ostream& operator<<(std::ostream& os, const Tensor& t) {
    if (!t.defined()) return os << "[ undefined Tensor ]";
    std::ostringstream s;
    s << std::fixed << std::setprecision(4) << "tensor(";
    print_values(s, t.data(), 0, 0, 7);
    if (t.grad_fn()) s << ", grad_fn=<" << t.grad_fn()->name << ">";
    else if (t.requires_grad()) s << ", requires_grad=true";
    s << ')';
    return os << s.str();
}

}  // namespace xg
