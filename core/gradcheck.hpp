// autograd::gradcheck: compares backward()'s gradients with central differences.
#pragma once

#include <functional>
#include <vector>

#include "core/tensor.hpp"

namespace xg::autograd {

using GradcheckFn = std::function<Tensor(const std::vector<Tensor>&)>;

// For every input that requires grad, compares the analytic gradient of sum(fn(inputs) * w), w
// fixed random weights, with the central difference (f(x + eps) - f(x - eps)) / 2eps, in float.
// Passes when |analytic - numerical| <= atol + rtol * |numerical| everywhere and returns true;
// otherwise throws xg::Error naming the worst element: input, index, both values. (PyTorch's
// gradcheck also raises by default.) The inputs' values are restored and their grads cleared.
bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, float eps = 1e-3f, float atol = 1e-3f,
               float rtol = 1e-2f);

// The same check one order up (PyTorch's gradgradcheck): the gradients of fn, taken with
// create_graph, are reduced by fixed random weights to a number, and that number's recorded
// gradient (a second derivative of fn) is compared with central differences of the first-order
// gradients. Throws naming the worst element, like gradcheck.
bool gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, float eps = 1e-3f, float atol = 1e-3f,
                   float rtol = 1e-2f);

}  // namespace xg::autograd
