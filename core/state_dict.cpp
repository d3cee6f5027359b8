#include "core/state_dict.hpp"

#include "core/safetensors.hpp"

namespace xg {

const Tensor* StateDict::find(const std::string& name) const {
    for (const auto& [key, tensor] : tensors)
        if (key == name) return &tensor;
    return nullptr;
}

const Tensor& StateDict::at(const std::string& name) const {
    if (const Tensor* t = find(name)) return *t;
    throw Error("state dict: no tensor named '" + name + "'");
}

const std::string& StateDict::meta(const std::string& name) const {
    auto it = metadata.find(name);
    if (it == metadata.end()) throw Error("state dict: no metadata entry '" + name + "'");
    return it->second;
}

void StateDict::add(std::string name, Tensor tensor) {
    if (contains(name)) throw Error("state dict: the name '" + name + "' is already used");
    tensors.emplace_back(std::move(name), std::move(tensor));
}

void StateDict::insert(const std::string& prefix, const StateDict& part) {
    for (const auto& [key, tensor] : part.tensors) add(prefix + "." + key, tensor);
    for (const auto& [key, dtype] : part.dtypes) dtypes[prefix + "." + key] = dtype;
    for (const auto& [key, value] : part.metadata) {
        if (!metadata.emplace(prefix + "." + key, value).second)
            throw Error("state dict: the metadata key '" + prefix + "." + key + "' is already used");
    }
}

StateDict StateDict::sub(const std::string& prefix) const {
    const std::string head = prefix + ".";
    StateDict out;
    for (const auto& [key, tensor] : tensors)
        if (key.starts_with(head)) out.tensors.emplace_back(key.substr(head.size()), tensor);
    for (const auto& [key, dtype] : dtypes)
        if (key.starts_with(head)) out.dtypes.emplace(key.substr(head.size()), dtype);
    for (const auto& [key, value] : metadata)
        if (key.starts_with(head)) out.metadata.emplace(key.substr(head.size()), value);
    return out;
}

Dtype StateDict::dtype(const std::string& name) const {
    if (auto it = dtypes.find(name); it != dtypes.end()) return it->second;
    return name == "num_batches_tracked" || name.ends_with(".num_batches_tracked") ? Dtype::I64 : Dtype::F32;
}

StateDict StateDict::clone() const {
    StateDict out{{}, metadata, dtypes};
    for (const auto& [key, tensor] : tensors)
        out.tensors.emplace_back(key, tensor.defined() ? Tensor(tensor.data()) : Tensor());
    return out;
}

void save(const StateDict& dict, const std::string& path) {
    safetensors::File file;
    for (const auto& [key, tensor] : dict.tensors) {
        file.tensors.emplace_back(key, tensor.data());
        file.dtypes[key] = dict.dtype(key);
    }
    file.metadata = dict.metadata;
    safetensors::save(file, path);
}

StateDict load(const std::string& path) {
    safetensors::File file = safetensors::load(path);
    StateDict dict;
    for (auto& [key, values] : file.tensors) dict.tensors.emplace_back(key, Tensor(std::move(values)));
    dict.metadata = std::move(file.metadata);
    dict.dtypes = std::move(file.dtypes);
    return dict;
}

}  // namespace xg
