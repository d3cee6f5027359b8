// StateDict: what state_dict() returns and load_state_dict() takes, for modules, optimizers and
// schedulers, as torch's state dicts flattened to one level: named tensors in order plus text
// metadata (hyperparameters, step counts, JSON). insert() namespaces one under a prefix, so one
// file can hold a whole run (model, optimizer, scheduler, epoch, random state), as a dict given
// to torch.save; xg::save / xg::load write and read it in the safetensors format.
//
// A module's state_dict() holds its tensors' values shared, not copied (detached, as PyTorch's):
// training changes them. To keep a snapshot ("the best model so far"), clone() it.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/dtype.hpp"
#include "core/tensor.hpp"

namespace xg {

struct StateDict {
    std::vector<std::pair<std::string, Tensor>> tensors;  // in order (a module's: registration order)
    std::map<std::string, std::string> metadata;
    // The dtype a tensor is saved as, and the one it was loaded from. A tensor not listed is F32,
    // except one named *num_batches_tracked, which is I64 as PyTorch writes it.
    std::map<std::string, Dtype> dtypes = {};

    bool contains(const std::string& name) const { return find(name) != nullptr; }
    const Tensor* find(const std::string& name) const;  // null when absent
    // The tensor or metadata value `name`, or an Error naming the missing key.
    const Tensor& at(const std::string& name) const;
    const std::string& meta(const std::string& name) const;
    void add(std::string name, Tensor tensor);  // an Error if `name` is already there
    // Every tensor, dtype and metadata key of `part`, as "prefix.key".
    void insert(const std::string& prefix, const StateDict& part);
    // The keys under "prefix.", with the prefix taken off: insert's inverse.
    StateDict sub(const std::string& prefix) const;
    // The dtype `name` is saved as (see dtypes).
    Dtype dtype(const std::string& name) const;
    // A deep copy: the same names, dtypes and metadata, each tensor's values copied (detached).
    StateDict clone() const;
};

// torch.save / torch.load of a state dict, as safetensors: tensors by name (each in its dtype,
// see StateDict::dtypes) and the metadata. load reads every dtype PyTorch writes, as float32.
void save(const StateDict& dict, const std::string& path);
StateDict load(const std::string& path);

}  // namespace xg
