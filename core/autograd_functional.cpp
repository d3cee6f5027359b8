// hvp: two passes of autograd::grad, the first recorded.
#include "core/autograd_functional.hpp"

#include "core/autograd.hpp"
#include "core/ops.hpp"

namespace xg::autograd::functional {

std::pair<Tensor, std::vector<Tensor>> hvp(const Function& fn, const std::vector<Tensor>& inputs,
                                           const std::vector<Tensor>& v) {
    if (v.size() != inputs.size()) {
        throw Error("hvp: " + std::to_string(v.size()) + " vectors for " + std::to_string(inputs.size()) + " inputs");
    }
    std::vector<Tensor> x;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        if (v[i].shape() != inputs[i].shape()) {
            throw Error("hvp: v[" + std::to_string(i) + "] " + shape_str(v[i].shape()) + " doesn't match input " +
                        shape_str(inputs[i].shape()));
        }
        x.push_back(inputs[i].detach().requires_grad_());
    }
    AutoGradMode on(true);
    Tensor value = fn(x);
    if (value.numel() != 1) throw Error("hvp: the function must return one number, got " + shape_str(value.shape()));
    std::vector<Tensor> g = grad({value}, x, {.create_graph = true, .allow_unused = true});
    Tensor gv = Tensor::zeros({});
    for (std::size_t i = 0; i < g.size(); ++i)
        if (g[i].defined()) gv = gv + sum(g[i] * v[i]);
    std::vector<Tensor> hv(x.size());
    if (gv.requires_grad()) hv = grad({gv}, x, {.allow_unused = true});
    for (std::size_t i = 0; i < hv.size(); ++i)
        if (!hv[i].defined()) hv[i] = Tensor::zeros(x[i].shape());  // the function is linear in it
    return {value.detach(), hv};
}

}  // namespace xg::autograd::functional
