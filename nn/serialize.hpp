// nn::save / nn::load: a module's state_dict() in the safetensors format, so that weights move
// between xgrad and PyTorch (safetensors.torch.save_file(model.state_dict()) / load_file) both
// ways. Thin wrappers: xg::save(module.state_dict(), path), module.load_state_dict(xg::load(path)).
#pragma once

#include <string>

#include "nn/module.hpp"

namespace xg::nn {

// Tensors as float32, BatchNorm's num_batches_tracked as I64 (as PyTorch writes them).
void save(const Module& module, const std::string& path);

// Any dtype PyTorch writes is read (converted to float32). strict (the default): every name in
// the module must be in the file with the same shape, and the file may hold nothing else; an
// Error names every missing and unexpected key and each shape mismatch, and nothing is changed.
// Values are copied into the existing tensors, so optimizers holding them keep working.
IncompatibleKeys load(Module& module, const std::string& path, bool strict = true);

}  // namespace xg::nn
