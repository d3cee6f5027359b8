// ModuleList and ModuleDict: indexing, naming and renumbering over Module's child registry.
#include "nn/containers.hpp"

#include <algorithm>

namespace xg::nn {

namespace {
[[noreturn]] void not_callable(const std::string& container) {
    throw Error(container + " is not callable: it has no forward (as PyTorch's 'Module [" + container +
                "] is missing the required \"forward\" function'); call its modules from your module's forward");
}
}  // namespace

// ---- ModuleList ----

Tensor ModuleList::forward(const Tensor&) { not_callable("ModuleList"); }
Shape ModuleList::output_shape(const Shape&) { not_callable("ModuleList"); }

std::size_t ModuleList::position(std::int64_t index, std::size_t n, const char* what) const {
    const auto size = static_cast<std::int64_t>(n);
    if (index < -size || index >= size) {
        throw Error(std::string("ModuleList::") + what + ": index " + std::to_string(index) + " is out of range for " +
                    std::to_string(this->size()) + " modules");
    }
    return static_cast<std::size_t>(index < 0 ? index + size : index);
}

ModulePtr ModuleList::ptr(std::int64_t index) const { return child_list()[position(index, size(), "[]")].module; }

void ModuleList::extend(const ModuleList& other) {
    const auto modules = other.children();  // read first: `other` may be this list
    for (const ModulePtr& m : modules) add_child(std::to_string(size()), m, true);
}

void ModuleList::insert_at(std::int64_t index, ModulePtr m) {
    const std::size_t pos = index == static_cast<std::int64_t>(size()) ? size() : position(index, size() + 1, "insert");
    add_child(std::to_string(size()), std::move(m), true);  // at the end, then rotated into place
    auto& list = child_list();
    std::rotate(list.begin() + static_cast<std::ptrdiff_t>(pos), list.end() - 1, list.end());
    for (std::size_t i = 0; i < list.size(); ++i) list[i].name = std::to_string(i);
}

void ModuleList::wrong_type(std::int64_t index, const std::string& wanted) const {
    throw Error("ModuleList::at<" + wanted + ">(" + std::to_string(index) + "): module " + std::to_string(index) +
                " is " + ptr(index)->short_repr() + ", not " + wanted);
}

// ---- ModuleDict ----

Tensor ModuleDict::forward(const Tensor&) { not_callable("ModuleDict"); }
Shape ModuleDict::output_shape(const Shape&) { not_callable("ModuleDict"); }

bool ModuleDict::contains(const std::string& name) const {
    return std::any_of(child_list().begin(), child_list().end(), [&](const Child& c) { return c.name == name; });
}

std::vector<std::string> ModuleDict::keys() const {
    std::vector<std::string> out;
    for (const Child& c : child_list()) out.push_back(c.name);
    return out;
}

ModulePtr ModuleDict::ptr(const std::string& name) const {
    for (const Child& c : child_list())
        if (c.name == name) return c.module;
    std::string have;
    for (const Child& c : child_list()) have += (have.empty() ? "'" : ", '") + c.name + "'";
    throw Error("ModuleDict: no module named '" + name + "' (it has " + (have.empty() ? "none" : have) + ")");
}

void ModuleDict::insert_ptr(const std::string& name, ModulePtr m) {
    if (!m) throw Error("ModuleDict::insert: the module '" + name + "' is null");
    for (Child& c : child_list()) {
        if (c.name == name) {
            c.module = std::move(m);  // replaced in place, as Python's d[name] = module
            return;
        }
    }
    add_child(name, std::move(m));  // checks the name
}

ModulePtr ModuleDict::pop(const std::string& name) {
    ModulePtr m = ptr(name);  // throws if absent
    std::erase_if(child_list(), [&](const Child& c) { return c.name == name; });
    return m;
}

void ModuleDict::wrong_type(const std::string& name, const std::string& wanted) const {
    throw Error("ModuleDict::at<" + wanted + ">(\"" + name + "\"): module '" + name + "' is " +
                ptr(name)->short_repr() + ", not " + wanted);
}

}  // namespace xg::nn
