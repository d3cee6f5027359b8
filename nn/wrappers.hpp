// Layers that answer what a plain chain can't: Lambda (any differentiable function as a layer)
// and Residual (a skip connection, x + block(x)), so both fit inside a Sequential.
#pragma once

#include <functional>
#include <string>
#include <type_traits>

#include "nn/module.hpp"

namespace xg::nn {

// Runs fn(x); printed as `name()`: nn::Lambda([](const Tensor& x) { return x * 2.0f; }, "Double").
class Lambda : public Module {
public:
    using Fn = std::function<Tensor(const Tensor&)>;
    explicit Lambda(Fn fn, std::string name = "Lambda");
    Tensor forward(const Tensor& x) override { return fn_(x); }
    std::string name() const override { return name_; }

private:
    Fn fn_;
    std::string name_;
};

// x + block(x). The block's output must have its input's shape; otherwise the error names both.
class Residual : public Module {
public:
    template <class M>
    requires std::is_base_of_v<Module, std::decay_t<M>>
    explicit Residual(M&& block) {
        static_assert(OneTensorModule<std::decay_t<M>>,
                      "Residual's block is called with one tensor, block(x), returning one tensor; this module's "
                      "forward takes or returns something else");
        register_module("block", std::forward<M>(block));
    }
    Tensor forward(const Tensor& x) override;
    Shape output_shape(const Shape& input_shape) override;
    // Looked up in the registry (not kept as a pointer), so that a clone runs its own block.
    Module& block() const { return *child_list().front().module; }
    Residual clone() const { return nn::clone(*this); }  // a deep copy (see nn::clone)

private:
    // The output shape for an input of shape `in` that the block maps to `out`: in, if they're equal.
    Shape sum_shape(const Shape& in, const Shape& out) const;
};

}  // namespace xg::nn
