// Tensor: a cheap-to-copy handle to float32 values plus autograd state, like torch::Tensor.
// Copies share values, gradient and history. Ops live in ops.hpp (which also defines the op
// methods declared below, each next to its free function); the tape is in autograd.hpp.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <optional>
#include <vector>

#include "core/error.hpp"
#include "core/xt.hpp"

namespace xg {

namespace autograd {
struct Node;
// backward()'s options, as PyTorch's keyword arguments. retain_graph defaults to create_graph:
// a recorded backward pass refers to the nodes it ran through, so they must stay.
struct BackwardOptions {
    std::optional<bool> retain_graph{};
    bool create_graph = false;  // record the backward pass, so the gradients can be differentiated again
};
}  // namespace autograd
struct TensorImpl;
namespace detail {
// Set only while nn::clone deep-copies a module (core/tensor_remap.hpp): a handle copied then to
// one of the module's parameters or buffers becomes a handle to that tensor's clone, so the
// copy's Tensor members (Linear::weight, a user's own) follow its copied registry.
struct TensorRemap;
extern constinit thread_local const TensorRemap* tensor_remap;
}  // namespace detail

class Tensor {
public:
    Tensor() = default;  // undefined: defined() is false, as a default torch::Tensor
    Tensor(const Tensor& other) : impl_(other.impl_) {
        if (detail::tensor_remap) [[unlikely]]
            remap();
    }
    Tensor(Tensor&&) noexcept = default;
    Tensor& operator=(const Tensor& other) {
        impl_ = other.impl_;
        if (detail::tensor_remap) [[unlikely]]
            remap();
        return *this;
    }
    Tensor& operator=(Tensor&&) noexcept = default;
    explicit Tensor(Array data, bool requires_grad = false);

    // ---- makers (shape first, as torch::zeros({2, 3})) ----
    static Tensor zeros(const Shape& shape, bool requires_grad = false);
    static Tensor ones(const Shape& shape, bool requires_grad = false);
    static Tensor full(const Shape& shape, float value, bool requires_grad = false);
    static Tensor rand(const Shape& shape, bool requires_grad = false);   // U[0, 1)
    static Tensor randn(const Shape& shape, bool requires_grad = false);  // N(0, 1)
    static Tensor arange(float end);                                      // 0, 1, ..., < end
    static Tensor arange(float start, float end, float step = 1.0f);
    // `steps` values evenly spaced from start to end, both included, as torch.linspace: with
    // step = (end - start) / (steps - 1), the first half is start + i·step and the second half
    // end - (steps - 1 - i)·step, so the ends are exact. The same float32 bits as torch 1.13 on
    // x86 (its 8-wide blocks included) for steps up to 32768, where torch starts splitting the work.
    static Tensor linspace(float start, float end, std::int64_t steps);
    // Tensor::from({1, 2, 3}), Tensor::from({{1, 2}, {3, 4}}) (a column: {{1}, {2}}), and 3-D.
    // The 1-D form takes an array so that C++ prefers the nested forms for {{1}, {2}}.
    template <std::size_t N>
    static Tensor from(const float (&values)[N]) {
        return from_values({N}, &values[0]);
    }
    static Tensor from(std::initializer_list<std::initializer_list<float>> values);
    static Tensor from(std::initializer_list<std::initializer_list<std::initializer_list<float>>> values);
    static Tensor from_values(const Shape& shape, const float* values);  // copies shape's count

    // ---- facts ----
    bool defined() const { return impl_ != nullptr; }
    const Shape& shape() const;
    std::size_t size(std::int64_t dim) const;  // negative dims count from the end
    std::size_t dim() const;
    std::size_t numel() const;
    Array& data();  // the values; writing them is not recorded (optimizers do this)
    const Array& data() const;
    float item() const;                      // the value of a one-element tensor
    bool requires_grad() const;              // a leaf that asked for grad, or a result recorded on the tape
    Tensor& requires_grad_(bool on = true);  // leaves only, as in PyTorch
    bool is_leaf() const;
    Tensor grad() const;     // undefined until a backward pass reaches this leaf
    Tensor& mutable_grad();  // assignable: p.mutable_grad() = Tensor() clears it (zero_grad)
    const std::shared_ptr<autograd::Node>& grad_fn() const;  // the node that made it, or null

    // ---- autograd ----
    // Seeds 1 for a one-element tensor; otherwise `gradient` must have this tensor's shape.
    // The nodes used are freed afterwards unless retain_graph is true. With create_graph the
    // backward pass is itself recorded: the leaves' grad() can then be differentiated again. Such a
    // grad() refers back to its leaf (a cycle, as in PyTorch): clear it (zero_grad) when done.
    void backward(const Tensor& gradient = Tensor(), autograd::BackwardOptions options = {}) const;
    void backward(const Tensor& gradient, bool retain_graph) const {
        backward(gradient, {.retain_graph = retain_graph});
    }
    void backward(autograd::BackwardOptions options) const { backward(Tensor(), options); }
    Tensor detach() const;  // the same values (shared, not copied), no history, requires_grad false
    Tensor clone() const;   // a differentiable copy

    // ---- ops as methods: defined in ops.hpp, next to the free function each one calls ----
    Tensor matmul(const Tensor& other) const;
    Tensor sum() const;
    Tensor sum(std::int64_t dim, bool keepdim = false) const;
    Tensor mean() const;
    Tensor mean(std::int64_t dim, bool keepdim = false) const;
    Tensor max() const;
    Tensor max(std::int64_t dim, bool keepdim = false) const;
    Tensor argmax(std::int64_t dim, bool keepdim = false) const;
    Tensor exp() const;
    Tensor log() const;
    Tensor sqrt() const;
    Tensor pow(float exponent) const;
    Tensor pow(const Tensor& exponent) const;
    Tensor abs() const;
    Tensor sin() const;
    Tensor cos() const;
    Tensor relu() const;
    Tensor sigmoid() const;
    Tensor tanh() const;
    Tensor softmax(std::int64_t dim) const;
    Tensor log_softmax(std::int64_t dim) const;
    Tensor reshape(const std::vector<std::int64_t>& shape) const;
    Tensor view(const std::vector<std::int64_t>& shape) const;
    Tensor flatten(std::int64_t start_dim = 0, std::int64_t end_dim = -1) const;
    Tensor transpose(std::int64_t dim0, std::int64_t dim1) const;
    Tensor t() const;
    Tensor permute(const std::vector<std::int64_t>& dims) const;
    Tensor squeeze() const;
    Tensor squeeze(std::int64_t dim) const;
    Tensor unsqueeze(std::int64_t dim) const;
    Tensor slice(std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1) const;
    Tensor select(std::int64_t dim, std::int64_t index) const;
    std::vector<Tensor> split(std::int64_t split_size, std::int64_t dim = 0) const;
    std::vector<Tensor> split(const std::vector<std::int64_t>& sizes, std::int64_t dim = 0) const;
    std::vector<Tensor> chunk(std::int64_t chunks, std::int64_t dim = 0) const;
    Tensor eq(const Tensor& other) const;
    Tensor ne(const Tensor& other) const;
    Tensor lt(const Tensor& other) const;
    Tensor le(const Tensor& other) const;
    Tensor gt(const Tensor& other) const;
    Tensor ge(const Tensor& other) const;
    Tensor eq(float other) const;
    Tensor ne(float other) const;
    Tensor lt(float other) const;
    Tensor le(float other) const;
    Tensor gt(float other) const;
    Tensor ge(float other) const;
    Tensor where(const Tensor& condition, const Tensor& other) const;  // condition ? *this : other
    Tensor where(const Tensor& condition, float other) const;
    Tensor maximum(const Tensor& other) const;
    Tensor minimum(const Tensor& other) const;
    Tensor clamp(std::optional<float> min, std::optional<float> max = std::nullopt) const;
    Tensor clamp_min(float min) const;
    Tensor clamp_max(float max) const;
    Tensor masked_fill(const Tensor& mask, float value) const;
    Tensor tril(std::int64_t diagonal = 0) const;
    Tensor triu(std::int64_t diagonal = 0) const;
    Tensor gather(std::int64_t dim, const Tensor& index) const;

    // ---- in-place ops (core/ops_inplace.cpp), PyTorch's trailing-underscore methods ----
    // Each writes into the values, so every handle sharing them (copies, detach()) sees the
    // change, and returns *this. They are const, as libtorch's: the handle doesn't change, the
    // values it points to do. A tensor operand broadcasts to this tensor's shape (never the other
    // way). They run outside the tape: in grad mode they throw, as PyTorch does, on a leaf that
    // requires grad ("a leaf Variable that requires grad is being used in an in-place operation";
    // do it under NoGradGuard, as an optimizer step does), and, because xgrad doesn't record
    // in-place ops, on a result recorded on the tape or with an operand that requires grad.
    // xgrad has no version counters: PyTorch's check that a tensor saved for backward wasn't
    // modified in place since does not exist here. Changing such a tensor (under NoGradGuard, or
    // an input that needs no grad) before backward() silently gives gradients from the new values:
    // clone() it first. See docs/1-tensor-and-tape.md.
    const Tensor& add_(const Tensor& other, float alpha = 1.0f) const;  // this += alpha·other (fused)
    const Tensor& add_(float other, float alpha = 1.0f) const;
    const Tensor& sub_(const Tensor& other, float alpha = 1.0f) const;  // this -= alpha·other (fused)
    const Tensor& sub_(float other, float alpha = 1.0f) const;
    const Tensor& mul_(const Tensor& other) const;
    const Tensor& mul_(float other) const;
    const Tensor& div_(const Tensor& other) const;
    const Tensor& div_(float other) const;
    const Tensor& zero_() const;
    const Tensor& fill_(float value) const;
    const Tensor& copy_(const Tensor& src) const;  // src's values, broadcast to this shape
    const Tensor& clamp_(std::optional<float> min, std::optional<float> max = std::nullopt) const;
    const Tensor& clamp_min_(float min) const;
    const Tensor& clamp_max_(float max) const;
    const Tensor& operator+=(const Tensor& other) const { return add_(other); }
    const Tensor& operator+=(float other) const { return add_(other); }
    const Tensor& operator-=(const Tensor& other) const { return sub_(other); }
    const Tensor& operator-=(float other) const { return sub_(other); }
    const Tensor& operator*=(const Tensor& other) const { return mul_(other); }
    const Tensor& operator*=(float other) const { return mul_(other); }
    const Tensor& operator/=(const Tensor& other) const { return div_(other); }
    const Tensor& operator/=(float other) const { return div_(other); }

    // For the tape and ops: the shared state behind the handle.
    TensorImpl* impl() const { return impl_.get(); }
    // The values' shared storage: what an op saves for backward instead of a copy.
    const std::shared_ptr<Array>& storage() const;
    // A tensor on `storage` (shared, not copied) made by `grad_fn` (may be null): how the tape
    // hands a node its own saved output back as a differentiable tensor.
    static Tensor from_storage(std::shared_ptr<Array> storage, std::shared_ptr<autograd::Node> grad_fn = nullptr);
    // True when nothing else refers to this tensor or its values: the tape may then update or
    // move them in place (a gradient arriving by value) instead of copying.
    bool is_sole_owner() const;

private:
    std::shared_ptr<TensorImpl> impl_;
    void remap();  // see detail::tensor_remap
};

struct TensorImpl {
    std::shared_ptr<Array> values;            // shared with tensors and nodes that saved them
    Tensor grad;                              // accumulated by backward, for leaves
    std::shared_ptr<autograd::Node> grad_fn;  // set for results recorded on the tape
    bool requires_grad = false;
};

// Prints like PyTorch: tensor([[1.0000, 2.0000], ...], requires_grad=True); above 1000 elements,
// 3 items at each end of every dim around "...", as PyTorch summarises (core/tensor_print.cpp).
std::ostream& operator<<(std::ostream& os, const Tensor& t);

}  // namespace xg
