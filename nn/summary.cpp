// nn::summary: the module tree, output shapes read by forward hooks, parameter counts.
#include "nn/summary.hpp"

#include <algorithm>
#include <sstream>

#include "core/autograd.hpp"

namespace xg::nn {

namespace {

struct Row {
    std::string label;
    std::size_t depth;
    Module* module;
    std::size_t params;  // own and descendants'
    std::string shape = "--";
};

void collect(Module& m, const std::string& label, std::size_t depth, std::vector<Row>& rows) {
    std::size_t params = 0;
    for (const Tensor& p : m.parameters()) params += p.numel();
    rows.push_back({label, depth, &m, params});
    for (auto& [name, child] : m.named_children()) collect(*child, "(" + name + ") " + child->name(), depth + 1, rows);
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
    std::vector<Row> rows;
    collect(model, model.name(), 0, rows);

    std::vector<HookHandle> handles;
    struct Remove {  // the hooks go even if the forward pass throws
        std::vector<HookHandle>& h;
        ~Remove() {
            for (HookHandle& x : h) x.remove();
        }
    } remove{handles};
    for (Row& row : rows) {
        handles.push_back(row.module->register_forward_hook(
            [&row](Module&, const Tensor&, const Tensor& out) { row.shape = shape_str(out.shape()); }));
    }
    {
        NoGradGuard no_grad;
        model(Tensor::zeros(input_shape));
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
        w2 = std::max(w2, with_commas(r.params).size());
    }
    std::ostringstream s;
    auto line = [&](char c) { s << std::string(w0 + w1 + w2 + 6, c) << '\n'; };
    auto pad = [](const std::string& text, std::size_t width) { return text + std::string(width - text.size(), ' '); };
    s << "Input shape: " << shape_str(input_shape) << '\n';
    line('=');
    s << pad("Layer (type)", w0) << "   " << pad("Output shape", w1) << "   " << std::string(w2 - 7, ' ')
      << "Param #\n";
    line('=');
    for (const Row& r : rows) {
        const std::string count = with_commas(r.params);
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

}  // namespace xg::nn
