// Sequential: running the chain, and editing it while keeping parameter names meaningful.
#include "nn/sequential.hpp"

#include <algorithm>

namespace xg::nn {

std::string Sequential::layer_label(std::size_t i) const {
    const Child& c = child_list()[i];
    return "layer " + std::to_string(i) + (c.numbered ? "" : " '" + c.name + "'") + " (" + c.module->short_repr() + ")";
}

// Runs the layers in order; a layer's error is rethrown naming the layer. Keeps each output
// in `outputs` when given.
Tensor Sequential::run(const Tensor& input, std::vector<Tensor>* outputs) {
    Tensor x = input;
    const auto& layers = child_list();
    for (std::size_t i = 0; i < layers.size(); ++i) {
        try {
            x = (*layers[i].module)(x);
        } catch (const std::exception& e) {
            throw Error("Sequential " + layer_label(i) + ": " + e.what());
        }
        if (outputs) outputs->push_back(x);
    }
    return x;
}

Tensor Sequential::forward(const Tensor& input) { return run(input, nullptr); }

std::vector<Tensor> Sequential::forward_all(const Tensor& input) {
    std::vector<Tensor> outputs;
    run(input, &outputs);
    return outputs;
}

Sequential Sequential::slice(std::int64_t begin, std::int64_t end) const {
    const auto n = static_cast<std::int64_t>(size());
    auto clamp = [n](std::int64_t v) { return std::clamp(v < 0 ? v + n : v, std::int64_t{0}, n); };
    Sequential out;
    for (std::int64_t i = clamp(begin); i < clamp(end); ++i) {
        const Child& c = child_list()[static_cast<std::size_t>(i)];
        out.add_child(c.name, c.module, false);  // keeps the names, as PyTorch's slicing
    }
    out.train(is_training());
    return out;
}

Shape Sequential::output_shape(const Shape& input_shape) {
    Shape shape = input_shape;
    const auto& layers = child_list();
    for (std::size_t i = 0; i < layers.size(); ++i) {
        try {
            shape = layers[i].module->output_shape(shape);
        } catch (const std::exception& e) {
            std::string msg = "Sequential " + layer_label(i) + " can't take " + shape_str(shape) + ", which " +
                              (i == 0 ? "is the model's input" : "comes from " + layer_label(i - 1)) + ": " + e.what();
            const std::string fix = layers[i].module->fix_for(shape);
            if (!fix.empty()) msg += ". Likely fix: " + fix;
            throw Error(msg);
        }
    }
    return shape;
}

std::size_t Sequential::position(std::int64_t index, std::size_t n, const char* what) const {
    const auto size = static_cast<std::int64_t>(n);
    if (index < -size || index >= size) {
        throw Error(std::string("Sequential::") + what + ": index " + std::to_string(index) + " is out of range for " +
                    std::to_string(n) + " layers");
    }
    return static_cast<std::size_t>(index < 0 ? index + size : index);
}

ModulePtr Sequential::ptr(std::int64_t index) const { return child_list()[position(index, size(), "[]")].module; }

// A ModulePtr's class isn't known at compile time: a ModuleBase module says here whether its
// forward takes one tensor (a module of another class can only fail when called, naming itself).
void Sequential::check_one_tensor(const ModulePtr& m, std::size_t index) const {
    if (m && !m->takes_one_tensor()) {
        throw Error("Sequential: layer " + std::to_string(index) + " (" + m->short_repr() +
                    ") can't be called with one tensor: its forward takes other arguments or returns several "
                    "tensors; call it from your own module's forward");
    }
}

void Sequential::append(const std::string& name, ModulePtr m) {
    check_one_tensor(m, size());
    if (name.empty()) add_child(std::to_string(size()), std::move(m), true);
    else add_child(name, std::move(m), false);
}

void Sequential::insert_at(std::int64_t index, const std::string& name, ModulePtr m) {
    const std::size_t pos = index == static_cast<std::int64_t>(size()) ? size() : position(index, size() + 1, "insert");
    check_one_tensor(m, pos);
    // Add at the end (checks the name), then rotate into place and renumber.
    append(name.empty() ? std::string() : name, std::move(m));
    auto& list = child_list();
    std::rotate(list.begin() + static_cast<std::ptrdiff_t>(pos), list.end() - 1, list.end());
    renumber();
}

void Sequential::replace_at(std::int64_t index, ModulePtr m) {
    if (!m) throw Error("Sequential::replace: the module is null");
    const std::size_t pos = position(index, size(), "replace");
    check_one_tensor(m, pos);
    child_list()[pos].module = std::move(m);
}

void Sequential::erase(std::int64_t index) {
    auto& list = child_list();
    list.erase(list.begin() + static_cast<std::ptrdiff_t>(position(index, size(), "erase")));
    renumber();
}

ModulePtr Sequential::pop() {
    if (empty()) throw Error("Sequential::pop: the Sequential is empty");
    ModulePtr last = child_list().back().module;
    child_list().pop_back();
    return last;
}

void Sequential::renumber() {
    auto& list = child_list();
    for (std::size_t i = 0; i < list.size(); ++i) {
        if (!list[i].numbered) continue;
        const std::string want = std::to_string(i);
        for (std::size_t j = 0; j < list.size(); ++j) {
            if (j != i && !list[j].numbered && list[j].name == want) {
                throw Error("Sequential: layer '" + want + "' is named like index " + want +
                            "; give index-named layers room or name them all");
            }
        }
        list[i].name = want;
    }
}

void Sequential::wrong_type(std::int64_t index, const std::string& wanted) const {
    throw Error("Sequential::at<" + wanted + ">(" + std::to_string(index) + "): layer " + std::to_string(index) +
                " is " + ptr(index)->short_repr() + ", not " + wanted);
}

}  // namespace xg::nn
