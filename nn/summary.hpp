// nn::summary: a model's layers as a table (like Keras' model.summary() or torchinfo): one row per
// module, nested ones indented, with its output shape for an input of the given shape and its
// parameter count, then the totals.
#pragma once

#include <string>

#include "nn/module.hpp"

namespace xg::nn {

// Runs one forward pass on zeros of `input_shape` under NoGradGuard, reading each module's
// output shape through a forward hook (removed afterwards). Training mode is left unchanged.
std::string summary(Module& model, const Shape& input_shape);

}  // namespace xg::nn
