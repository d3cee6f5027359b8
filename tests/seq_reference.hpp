// The check the sequence-layer tests share: a layer holding a PyTorch state dict
// (tests/reference/torch_*.safetensors) against PyTorch's forward values and gradients, from
// tests/reference/seq_reference.txt (made by make_seq_reference.py, which says what each kind is).
#pragma once

#include "helpers.hpp"

namespace xg::test {

// PyTorch's numbers for `kind` of `name` in seq_reference.txt.
inline const std::vector<float>& seq_reference(const std::string& name, const std::string& kind) {
    const auto& table = reference_table("seq_reference.txt", "make_seq_reference.py");
    auto it = table.find(name + "\t" + kind);
    if (it == table.end()) {
        throw Error("tests: no PyTorch reference '" + kind + "' for '" + name +
                    "': add it to tests/reference/make_seq_reference.py and run it");
    }
    return it->second;
}

// Inputs of `shapes` drawn from `name` (random_like, as the script's inputs()), requiring grad.
inline std::vector<Tensor> seq_inputs(const std::string& name, const std::vector<Shape>& shapes) {
    Stream s(name);
    std::vector<Tensor> xs;
    for (const Shape& shape : shapes) xs.push_back(random_like(s, shape).requires_grad_(true));
    return xs;
}

// out against "forward"; then backward of sum(out * w) (w drawn from name#w) and every input's
// and parameter's gradient against "grad.input.K" and "grad.<parameter name>".
inline void check_layer(const std::string& name, nn::Module& layer, const Tensor& out, const std::vector<Tensor>& xs,
                        float atol = 2e-5f, float rtol = 1e-4f) {
    check_against(name + ": forward", out, seq_reference(name, "forward"), atol, rtol);
    Stream ws(name + "#w");
    layer.zero_grad();
    sum(out * random_like(ws, out.shape())).backward();
    for (std::size_t k = 0; k < xs.size(); ++k) {
        const std::string kind = "grad.input." + std::to_string(k);
        check_against(name + ": " + kind, xs[k].grad(), seq_reference(name, kind), atol, rtol);
    }
    for (const auto& [param, p] : layer.named_parameters()) {
        REQUIRE(p.grad().defined());
        check_against(name + ": grad." + param, p.grad(), seq_reference(name, "grad." + param), atol, rtol);
    }
}

}  // namespace xg::test
