// Module state <-> safetensors files.
#include "nn/serialize.hpp"

#include <algorithm>

#include "core/safetensors.hpp"

namespace xg::nn {

namespace {
std::vector<NamedTensor> state(const Module& m) {
    std::vector<NamedTensor> all = m.named_parameters();
    for (auto& b : m.named_buffers()) all.push_back(b);
    return all;
}
}  // namespace

void save(const Module& module, const std::string& path) {
    safetensors::File file;
    for (const auto& [name, t] : state(module)) file.tensors.emplace_back(name, t.data());
    safetensors::save(file, path);
}

void load(Module& module, const std::string& path) {
    safetensors::File file = safetensors::load(path);
    auto find = [&](const std::string& name) -> const Array* {
        for (const auto& [n, a] : file.tensors)
            if (n == name) return &a;
        return nullptr;
    };
    std::vector<NamedTensor> expected = state(module);
    for (const auto& [name, t] : expected) {
        const Array* a = find(name);
        if (!a)
            throw Error("nn::load: " + path + ": '" + name + "' " + shape_str(t.shape()) + " is missing from the file");
        if (a->shape() != t.shape()) {
            throw Error("nn::load: " + path + ": '" + name + "' has shape " + shape_str(a->shape()) +
                        " in the file, the model expects " + shape_str(t.shape()));
        }
    }
    for (const auto& entry : file.tensors) {
        const std::string& n = entry.first;
        const bool known =
            std::any_of(expected.begin(), expected.end(), [&](const NamedTensor& e) { return e.first == n; });
        if (!known) throw Error("nn::load: " + path + ": the file has '" + n + "', which the model doesn't");
    }
    for (auto& [name, t] : expected) {
        Tensor target = t;
        std::copy(find(name)->begin(), find(name)->end(), target.data().begin());
    }
}

}  // namespace xg::nn
