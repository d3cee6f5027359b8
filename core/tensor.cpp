// Tensor's makers, facts, printing, backward entry, and its op methods (which forward to ops.hpp).
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
    impl_->data = std::move(data);
    impl_->requires_grad = requires_grad;
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

const Shape& Tensor::shape() const { require_defined(*this, "shape"); return impl_->data.shape(); }
std::size_t Tensor::dim() const { return shape().size(); }
std::size_t Tensor::numel() const { require_defined(*this, "numel"); return impl_->data.size(); }
std::size_t Tensor::size(std::int64_t d) const { return shape()[normalize_dim("size", d, dim(), shape())]; }
Array& Tensor::data() { require_defined(*this, "data"); return impl_->data; }
const Array& Tensor::data() const { require_defined(*this, "data"); return impl_->data; }

float Tensor::item() const {
    if (numel() != 1) {
        throw Error("item: only a one-element tensor converts to a number; this one has shape " + shape_str(shape()));
    }
    return *impl_->data.data();
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

Tensor Tensor::grad() const { require_defined(*this, "grad"); return impl_->grad; }
Tensor& Tensor::mutable_grad() { require_defined(*this, "mutable_grad"); return impl_->grad; }
const std::shared_ptr<autograd::Node>& Tensor::grad_fn() const { require_defined(*this, "grad_fn"); return impl_->grad_fn; }

void Tensor::backward(const Tensor& gradient, bool retain_graph) const {
    require_defined(*this, "backward");
    if (!requires_grad()) {
        throw Error("backward: this tensor " + shape_str(shape()) +
                    " does not require grad and has no grad_fn (no input had requires_grad, or it was "
                    "computed under NoGradGuard)");
    }
    Array seed;
    if (gradient.defined()) {
        if (gradient.shape() != shape()) {
            throw Error("backward: gradient " + shape_str(gradient.shape()) + " does not match the tensor's shape " +
                        shape_str(shape()));
        }
        seed = gradient.data();
    } else {
        if (numel() != 1) {
            throw Error("backward: grad can be implicitly created only for a one-element output; this one is " +
                        shape_str(shape()) + ", so pass a gradient of that shape");
        }
        seed = Array(shape(), 1.0f);
    }
    autograd::run_backward(*this, std::move(seed), retain_graph);
}

Tensor Tensor::detach() const { return Tensor(data()); }

Tensor Tensor::clone() const {
    Tensor out(data());
    autograd::record("clone", out, {*this}, [](const Array& g) { return autograd::Grads{g}; });
    return out;
}

Tensor Tensor::matmul(const Tensor& o) const { return xg::matmul(*this, o); }
Tensor Tensor::sum() const { return xg::sum(*this); }
Tensor Tensor::sum(std::int64_t d, bool k) const { return xg::sum(*this, d, k); }
Tensor Tensor::mean() const { return xg::mean(*this); }
Tensor Tensor::mean(std::int64_t d, bool k) const { return xg::mean(*this, d, k); }
Tensor Tensor::max() const { return xg::max(*this); }
Tensor Tensor::max(std::int64_t d, bool k) const { return xg::max(*this, d, k); }
Tensor Tensor::argmax(std::int64_t d, bool k) const { return xg::argmax(*this, d, k); }
Tensor Tensor::exp() const { return xg::exp(*this); }
Tensor Tensor::log() const { return xg::log(*this); }
Tensor Tensor::sqrt() const { return xg::sqrt(*this); }
Tensor Tensor::pow(float e) const { return xg::pow(*this, e); }
Tensor Tensor::pow(const Tensor& e) const { return xg::pow(*this, e); }
Tensor Tensor::abs() const { return xg::abs(*this); }
Tensor Tensor::relu() const { return xg::relu(*this); }
Tensor Tensor::sigmoid() const { return xg::sigmoid(*this); }
Tensor Tensor::tanh() const { return xg::tanh(*this); }
Tensor Tensor::softmax(std::int64_t d) const { return xg::softmax(*this, d); }
Tensor Tensor::log_softmax(std::int64_t d) const { return xg::log_softmax(*this, d); }
Tensor Tensor::reshape(const std::vector<std::int64_t>& s) const { return xg::reshape(*this, s); }
Tensor Tensor::view(const std::vector<std::int64_t>& s) const { return xg::view(*this, s); }
Tensor Tensor::flatten(std::int64_t s, std::int64_t e) const { return xg::flatten(*this, s, e); }
Tensor Tensor::transpose(std::int64_t a, std::int64_t b) const { return xg::transpose(*this, a, b); }
Tensor Tensor::t() const { return xg::t(*this); }
Tensor Tensor::permute(const std::vector<std::int64_t>& d) const { return xg::permute(*this, d); }
Tensor Tensor::squeeze() const { return xg::squeeze(*this); }
Tensor Tensor::squeeze(std::int64_t d) const { return xg::squeeze(*this, d); }
Tensor Tensor::unsqueeze(std::int64_t d) const { return xg::unsqueeze(*this, d); }
Tensor Tensor::slice(std::int64_t d, std::int64_t s, std::int64_t e, std::int64_t st) const {
    return xg::slice(*this, d, s, e, st);
}
Tensor Tensor::select(std::int64_t d, std::int64_t i) const { return xg::select(*this, d, i); }

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
