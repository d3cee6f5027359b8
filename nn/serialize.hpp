// nn::save / nn::load: a module's parameters and buffers by name, in the safetensors format,
// so that a state dict moves between xgrad and PyTorch (safetensors.torch.load_file/save_file).
#pragma once

#include <string>

#include "nn/module.hpp"

namespace xg::nn {

void save(const Module& module, const std::string& path);

// Every name in the module must be in the file with the same shape, and the file may hold
// nothing else (PyTorch's load_state_dict(strict=True)); the first mismatch is named and
// nothing is changed. Values are copied into the existing tensors, so optimizers holding
// them keep working.
void load(Module& module, const std::string& path);

}  // namespace xg::nn
