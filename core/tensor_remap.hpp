// The map behind detail::tensor_remap: while nn::clone copies a module, every copy of a Tensor
// handle is redirected to the clone of the tensor it names, if it has one. This is what makes a
// deep copy of a module work through C++ copy constructors, with no per-class code: a layer's
// Tensor members are copied by its (implicit) copy constructor after the Module base has cloned
// the registry, and land on the clones. Only registered tensors (parameters and buffers) have
// clones: a Tensor member that was never registered stays shared between the module and its copy,
// so register state you want copied as a buffer. Thread-local: other threads' copies are untouched.
#pragma once

#include <unordered_map>

#include "core/tensor.hpp"

namespace xg::detail {

struct TensorRemap {
    std::unordered_map<const TensorImpl*, Tensor> clones;  // original's impl -> its clone
};

// Makes `remap` the active map on this thread for the guard's lifetime (nested guards keep the outer one).
class TensorRemapGuard {
public:
    explicit TensorRemapGuard(const TensorRemap& remap);
    ~TensorRemapGuard();
    TensorRemapGuard(const TensorRemapGuard&) = delete;
    TensorRemapGuard& operator=(const TensorRemapGuard&) = delete;

private:
    const TensorRemap* previous_;
};

}  // namespace xg::detail
