// nn::summary: the module tree, output shapes read by forward hooks, parameter counts.
#include "nn/summary.hpp"

#include <algorithm>
#include <sstream>

#include "core/autograd.hpp"

namespace xg::nn {

namespace {

struct Row {
    std::string label;
    std::size_t depth;  // how many calls enclose this one
    std::string params;
    std::string shape = "--";
};

// Every module of the tree once (a module registered twice, by its first name), with its row label.
void collect(Module& m, const std::string& label, std::vector<std::pair<std::string, Module*>>& out) {
    for (const auto& [_, seen] : out)
        if (seen->identity() == m.identity()) return;
    out.emplace_back(label, &m);
    for (auto& [name, child] : m.named_children()) collect(*child, "(" + name + ") " + child->name(), out);
}

std::string shapes_str(const std::vector<Tensor>& tensors) {
    std::string out;
    for (const Tensor& t : tensors) out += (out.empty() ? "" : ", ") + shape_str(t.shape());
    return out.empty() ? "--" : out;
}

std::string with_commas(std::size_t n) {  // 235146 -> "235,146"
    const std::string digits = std::to_string(n);
    std::string out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

}  // namespace

std::string summary(Module& model, const Shape& input_shape) {
    const Tensor input = Tensor::zeros(input_shape);
    return detail::summary_of(model, [&] { model(input); }, {input});
}

}  // namespace xg::nn

namespace xg::detail {
using namespace xg::nn;

std::string summary_of(Module& model, const std::function<void()>& run, const std::vector<Tensor>& inputs) {
    std::vector<std::pair<std::string, Module*>> modules;
    collect(model, model.name(), modules);

    std::vector<Row> rows;
    std::vector<std::size_t> open;  // rows of the calls running now, innermost last
    std::vector<HookHandle> handles;
    struct Remove {  // the hooks go even if the forward pass throws
        std::vector<HookHandle>& h;
        ~Remove() {
            for (HookHandle& x : h) x.remove();
        }
    } remove{handles};
    for (const auto& [label, module] : modules) {
        std::size_t count = 0;
        for (const Tensor& p : module->parameters()) count += p.numel();
        auto called = std::make_shared<bool>(false);
        handles.push_back(
            module->register_forward_pre_hook([&, label = label, count, called](Module&, const std::vector<Tensor>&) {
                open.push_back(rows.size());
                rows.push_back({label, open.size() - 1, *called ? "(recursive)" : with_commas(count)});
                *called = true;
            }));
        handles.push_back(module->register_forward_hook(
            AnyForwardHook([&](Module&, const std::vector<Tensor>&, const std::vector<Tensor>& out) {
                rows[open.back()].shape = shapes_str(out);
                open.pop_back();
            })));
    }
    {
        // In evaluation mode, as torchinfo's default: a training-mode forward would move every
        // BatchNorm's running statistics and draw dropout masks from the generator, so looking at
        // a model would change it. Each module's own flag comes back afterwards, even on a throw.
        struct RestoreModes {
            std::vector<std::pair<Module*, bool>> modes;  // parents before children: train() recurses
            ~RestoreModes() {
                for (auto& [m, on] : modes) m->train(on);
            }
        } restore;
        for (const auto& [_, module] : modules) restore.modes.emplace_back(module, module->is_training());
        model.eval();
        NoGradGuard no_grad;
        run();
    }

    std::size_t total = 0, trainable = 0;
    for (const Tensor& p : model.parameters()) {
        total += p.numel();
        if (p.requires_grad()) trainable += p.numel();
    }
    std::size_t w0 = std::string("Layer (type)").size(), w1 = std::string("Output shape").size(), w2 = 7;
    for (const Row& r : rows) {
        w0 = std::max(w0, 2 * r.depth + r.label.size());
        w1 = std::max(w1, r.shape.size());
        w2 = std::max(w2, r.params.size());
    }
    std::ostringstream s;
    auto line = [&](char c) { s << std::string(w0 + w1 + w2 + 6, c) << '\n'; };
    auto pad = [](const std::string& text, std::size_t width) { return text + std::string(width - text.size(), ' '); };
    s << (inputs.size() == 1 ? "Input shape: " : "Input shapes: ") << shapes_str(inputs) << '\n';
    line('=');
    s << pad("Layer (type)", w0) << "   " << pad("Output shape", w1) << "   " << std::string(w2 - 7, ' ')
      << "Param #\n";
    line('=');
    for (const Row& r : rows) {
        const std::string& count = r.params;
        s << pad(std::string(2 * r.depth, ' ') + r.label, w0) << "   " << pad(r.shape, w1) << "   "
          << std::string(w2 - count.size(), ' ') << count << '\n';
    }
    line('=');
    std::ostringstream mb;
    mb.precision(2);
    mb << std::fixed << static_cast<double>(total * sizeof(float)) / (1024.0 * 1024.0);
    s << "Total params: " << with_commas(total) << "\nTrainable params: " << with_commas(trainable)
      << "\nNon-trainable params: " << with_commas(total - trainable) << "\nParams size (MB): " << mb.str() << '\n';
    line('=');
    return s.str();
}

}  // namespace xg::detail
