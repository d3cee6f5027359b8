// nn::ModuleList and nn::ModuleDict: modules held by index or by name, as PyTorch's
// torch/nn/modules/container.py. They register what they hold (so parameters are named
// "0.weight", "blocks.0.conv.weight", "heads.cls.bias", and saved, cloned, moved to eval with the
// parent) and run nothing themselves: calling one is an Error, as in PyTorch, because how the
// modules are combined is what your forward says:
//   struct Net : nn::ModuleBase<Net> {
//       nn::ModuleList blocks;
//       Net() { for (int i = 0; i < 3; ++i) blocks.push_back(nn::Linear(4, 4)); register_module("blocks", blocks); }
//       Tensor forward(const Tensor& x) { Tensor h = x; for (nn::Module& b : blocks) h = relu(b(h)) + h; return h; }
//   };
// Their modules are called through Module& (one tensor); a module with another forward is
// called as itself: blocks.at<Block>(0)(x, skip).
#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "nn/module.hpp"

namespace xg::nn {

class ModuleList : public Module {
public:
    ModuleList() = default;
    // ModuleList(a, b, c) holds a, b, c (one ModuleList argument alone is a copy, a handle).
    template <class... Ms>
    requires(sizeof...(Ms) > 0 && (std::is_base_of_v<Module, std::decay_t<Ms>> && ...) &&
             !(sizeof...(Ms) == 1 &&
               (std::is_same_v<std::decay_t<Ms>, ModuleList> && ...))) explicit ModuleList(Ms&&... modules) {
        (push_back(std::forward<Ms>(modules)), ...);
    }

    template <class M>
    void push_back(M&& module) {
        add_child(std::to_string(size()), handle_of(std::forward<M>(module)), true);
    }
    // Appends every module of `other` (handles: they are shared), as PyTorch's extend.
    void extend(const ModuleList& other);
    // Puts `module` before index `index` (size() appends; negative counts from the end); later ones are renumbered.
    template <class M>
    void insert(std::int64_t index, M&& module) {
        insert_at(index, handle_of(std::forward<M>(module)));
    }

    std::size_t size() const { return child_list().size(); }
    bool empty() const { return size() == 0; }
    Module& operator[](std::int64_t index) const { return *ptr(index); }  // negative counts from the end
    ModulePtr ptr(std::int64_t index) const;
    // The module as its concrete type; throws naming both types if it is another.
    template <class M>
    M& at(std::int64_t index) const {
        auto* m = dynamic_cast<M*>(ptr(index).get());
        if (!m) wrong_type(index, type_name(typeid(M)));
        return *m;
    }

    // for (Module& block : blocks)
    using iterator = ChildIterator;
    iterator begin() const { return iterator(child_list().begin()); }
    iterator end() const { return iterator(child_list().end()); }

    // Throws: a ModuleList has no forward (PyTorch: 'Module [ModuleList] is missing the required "forward" function').
    Tensor forward(const Tensor& input) override;
    Shape output_shape(const Shape& input_shape) override;  // throws, as forward
    std::string name() const override { return "ModuleList"; }
    ModuleList clone() const { return nn::clone(*this); }  // a deep copy (see nn::clone)

private:
    std::size_t position(std::int64_t index, std::size_t n, const char* what) const;
    void insert_at(std::int64_t index, ModulePtr m);
    [[noreturn]] void wrong_type(std::int64_t index, const std::string& wanted) const;
};

// Modules by name, in insertion order, as PyTorch's ModuleDict: parameters are named
// "<name>.weight". Names follow the registry's rule: non-empty, no '.'.
class ModuleDict : public Module {
public:
    ModuleDict() = default;

    // Adds `module` under `name`, or replaces the module already there, keeping its place (as
    // Python's d[name] = module).
    template <class M>
    void insert(const std::string& name, M&& module) {
        insert_ptr(name, handle_of(std::forward<M>(module)));
    }
    ModulePtr pop(const std::string& name);  // removes and returns it; an Error if absent

    bool contains(const std::string& name) const;
    std::size_t size() const { return child_list().size(); }
    bool empty() const { return size() == 0; }
    // The module named `name`; an Error listing the names if there is none (Python's KeyError).
    Module& operator[](const std::string& name) const { return *ptr(name); }
    ModulePtr ptr(const std::string& name) const;
    template <class M>
    M& at(const std::string& name) const {
        auto* m = dynamic_cast<M*>(ptr(name).get());
        if (!m) wrong_type(name, type_name(typeid(M)));
        return *m;
    }
    std::vector<std::string> keys() const;                        // in insertion order
    std::vector<ModulePtr> values() const { return children(); }  // in insertion order
    std::vector<std::pair<std::string, ModulePtr>> items() const { return named_children(); }

    // for (auto [name, module] : dict): name is a const std::string&, module a Module&.
    class iterator {
    public:
        using value_type = std::pair<const std::string&, Module&>;
        using difference_type = std::ptrdiff_t;
        iterator() = default;
        explicit iterator(std::vector<Child>::const_iterator it) : it_(it) {}
        value_type operator*() const { return {it_->name, *it_->module}; }
        iterator& operator++() {
            ++it_;
            return *this;
        }
        iterator operator++(int) {
            iterator old = *this;
            ++it_;
            return old;
        }
        bool operator==(const iterator& o) const { return it_ == o.it_; }

    private:
        std::vector<Child>::const_iterator it_;
    };
    iterator begin() const { return iterator(child_list().begin()); }
    iterator end() const { return iterator(child_list().end()); }

    // Throws: a ModuleDict has no forward, as in PyTorch.
    Tensor forward(const Tensor& input) override;
    Shape output_shape(const Shape& input_shape) override;  // throws, as forward
    std::string name() const override { return "ModuleDict"; }
    ModuleDict clone() const { return nn::clone(*this); }  // a deep copy (see nn::clone)

private:
    void insert_ptr(const std::string& name, ModulePtr m);
    [[noreturn]] void wrong_type(const std::string& name, const std::string& wanted) const;
};

}  // namespace xg::nn
