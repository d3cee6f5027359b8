// detail::tensor_remap and the Tensor copy step that consults it.
#include "core/tensor_remap.hpp"

namespace xg {

namespace detail {
constinit thread_local const TensorRemap* tensor_remap = nullptr;

TensorRemapGuard::TensorRemapGuard(const TensorRemap& remap) : previous_(tensor_remap) {
    if (!previous_) tensor_remap = &remap;
}
TensorRemapGuard::~TensorRemapGuard() { tensor_remap = previous_; }
}  // namespace detail

void Tensor::remap() {
    const auto& clones = detail::tensor_remap->clones;
    if (auto it = clones.find(impl_.get()); it != clones.end()) impl_ = it->second.impl_;
}

}  // namespace xg
