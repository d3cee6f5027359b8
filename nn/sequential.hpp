// nn::Sequential: modules run in order, model(x) = layer_n(...layer_1(x)).
//
// Layers are named by their index ("0", "1", ...), as in PyTorch, unless given a name with
// push_back(name, module) / insert(i, name, module). After insert or erase, index-named layers
// are renumbered, while named ones keep their names: so naming layers keeps a checkpoint's
// parameter names valid when the list is edited. Like every Module, a Sequential is a handle.
//
// Every layer is called with one tensor, model(x). A module whose forward takes other arguments
// (nn::ModuleBase with forward(x, skip)) or returns several tensors is refused: at compile time
// (a static_assert saying so) when pushed as itself, with an Error naming it when pushed as a
// ModulePtr.
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>

#include "nn/module.hpp"

namespace xg::nn {

class Sequential : public Module {
public:
    Sequential() = default;
    // Sequential(a, b, c) holds a, b, c. One Sequential argument alone is a copy (a handle to
    // the same layers), as for any Module; to nest a single Sequential, push_back it.
    template <class... Ms>
    requires(sizeof...(Ms) > 0 && (std::is_base_of_v<Module, std::decay_t<Ms>> && ...) &&
             !(sizeof...(Ms) == 1 &&
               (std::is_same_v<std::decay_t<Ms>, Sequential> && ...))) explicit Sequential(Ms&&... modules) {
        (push_back(std::forward<Ms>(modules)), ...);
    }

    // An empty Sequential returns its input. A layer's error is rethrown naming the layer.
    Tensor forward(const Tensor& input) override;
    // Every layer's output, in order (what forward computes, kept): [layer 0's, ..., the last's].
    std::vector<Tensor> forward_all(const Tensor& input);
    // Layers [begin, end) as a new Sequential that shares them (and their parameters) under the
    // same names, as PyTorch's model[begin:end]; model.slice(0, 2)(x) is a hidden representation.
    Sequential slice(std::int64_t begin, std::int64_t end) const;
    // Pushes the shape through layer after layer; a layer that can't take its input's shape is
    // named with both shapes, the layer that produced the input, and the likely fix.
    Shape output_shape(const Shape& input_shape) override;

    template <class M>
    void push_back(M&& module) {
        append(std::string(), make(std::forward<M>(module)));
    }
    template <class M>
    void push_back(const std::string& name, M&& module) {
        append(name, make(std::forward<M>(module)));
    }
    template <class M>
    void insert(std::int64_t index, M&& module) {
        insert_at(index, std::string(), make(std::forward<M>(module)));
    }
    template <class M>
    void insert(std::int64_t index, const std::string& name, M&& module) {
        insert_at(index, name, make(std::forward<M>(module)));
    }
    // Puts `module` in place of layer `index`, under the same name.
    template <class M>
    void replace(std::int64_t index, M&& module) {
        replace_at(index, make(std::forward<M>(module)));
    }
    void erase(std::int64_t index);
    ModulePtr pop();  // removes and returns the last layer

    std::size_t size() const { return child_list().size(); }
    bool empty() const { return size() == 0; }
    Module& operator[](std::int64_t index) const { return *ptr(index); }  // negative counts from the end
    ModulePtr ptr(std::int64_t index) const;
    // The layer as its concrete type; throws naming both types if it is another.
    template <class M>
    M& at(std::int64_t index) const {
        auto* m = dynamic_cast<M*>(ptr(index).get());
        if (!m) wrong_type(index, type_name(typeid(M)));
        return *m;
    }

    // for (Module& layer : model)
    using iterator = ChildIterator;
    iterator begin() const { return iterator(child_list().begin()); }
    iterator end() const { return iterator(child_list().end()); }

    std::string name() const override { return "Sequential"; }
    // A deep copy: its own layers and parameters (see nn::clone). `auto best = model.clone();`
    Sequential clone() const { return nn::clone(*this); }

private:
    template <class M>
    static ModulePtr make(M&& module) {
        if constexpr (!std::is_same_v<std::decay_t<M>, ModulePtr>)
            static_assert(OneTensorModule<std::decay_t<M>>,
                          "Sequential holds modules called with one tensor, model(x), returning one tensor; this "
                          "module's forward takes or returns something else: call it from your own module's forward");
        return handle_of(std::forward<M>(module));
    }
    std::size_t position(std::int64_t index, std::size_t size, const char* what) const;
    std::string layer_label(std::size_t i) const;  // "layer 2 (Linear(...))", for messages
    Tensor run(const Tensor& input, std::vector<Tensor>* outputs);
    void check_one_tensor(const ModulePtr& m, std::size_t index) const;
    void append(const std::string& name, ModulePtr m);
    void insert_at(std::int64_t index, const std::string& name, ModulePtr m);
    void replace_at(std::int64_t index, ModulePtr m);
    void renumber();
    [[noreturn]] void wrong_type(std::int64_t index, const std::string& wanted) const;
};

}  // namespace xg::nn
