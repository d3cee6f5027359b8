// Higher-order helpers built on autograd::grad, as torch.autograd.functional: the API of
// gradients of gradients shown at work.
#pragma once

#include <functional>
#include <utility>
#include <vector>

#include "core/tensor.hpp"

namespace xg::autograd::functional {

using Function = std::function<Tensor(const std::vector<Tensor>&)>;

// Hessian-vector product of a scalar function: (fn(inputs), H·v) without forming H, by two
// backward passes: g = ∇fn (recorded), then ∇(g·v). As torch.autograd.functional.hvp. The inputs
// need not require grad (copies that do are differentiated); v has one tensor per input.
std::pair<Tensor, std::vector<Tensor>> hvp(const Function& fn, const std::vector<Tensor>& inputs,
                                           const std::vector<Tensor>& v);

}  // namespace xg::autograd::functional
