// nn::summary: a model's calls as a table (like torchinfo's summary, or Keras' model.summary()):
// one row per module call, in the order the calls start, nested calls indented, with the call's
// output shape(s) and the module's parameter count, then the totals.
#pragma once

#include <functional>
#include <string>
#include <type_traits>

#include "nn/module.hpp"

namespace xg::nn {

// Runs one forward pass on zeros of `input_shape` under NoGradGuard and in evaluation mode (as
// torchinfo's default; each module's training flag is restored after), so it changes no running
// statistic and draws no random number: nn::summary(model, {64, 1, 28, 28}).
std::string summary(Module& model, const Shape& input_shape);

}  // namespace xg::nn

namespace xg::detail {
// nn::summary's table for one run() of `model` (under NoGradGuard), read by a pre-hook and a hook on every
// module of the tree, removed afterwards. `inputs` are the tensors model was given.
std::string summary_of(nn::Module& model, const std::function<void()>& run, const std::vector<Tensor>& inputs);
}  // namespace xg::detail

namespace xg::nn {

// For a model with any forward: runs model(inputs...) once under NoGradGuard and lists each
// module call in order, as torchinfo does: nn::summary(unet, x) or nn::summary(block, x, skip).
// A module called twice has a row per call, its parameters counted at the first ("(recursive)"
// after, as torchinfo); a module the forward never calls has no row (its parameters are in the
// totals). Runs in evaluation mode, each module's training flag restored after, as above.
template <class M, class... Inputs>
requires(std::is_base_of_v<Module, M> && sizeof...(Inputs) > 0 &&
         !(sizeof...(Inputs) == 1 && (std::is_same_v<Inputs, Shape> && ...))) std::string
    summary(M& model, const Inputs&... inputs) {
    return detail::summary_of(
        model, [&] { model(inputs...); }, detail::tensors_of(inputs...));
}

}  // namespace xg::nn
