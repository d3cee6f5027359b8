// conv2d on oneDNN (not part of the public API; the switch is core/backends.hpp): the same
// arguments and results as conv2d_forward and conv2d_backward of core/conv_kernels.hpp.
#pragma once

#include <cstddef>

#include "core/conv_kernels.hpp"

namespace xg::detail {

// Whether xgrad's own kernels are the faster for this window, so oneDNN declines it (see the .cpp).
bool onednn_declines(const Window& g);

// Each returns false, having computed nothing, when oneDNN is not built in or is switched off,
// declines the window, or has no convolution for these shapes: the caller then runs xgrad's own
// kernels. oneDNN's other failures are an Error naming the shapes.
bool onednn_conv2d_forward(const float* x, const float* w, const float* b, std::size_t N, std::size_t O,
                           const Window& g, float* y);
bool onednn_conv2d_backward(const float* x, const float* w, const float* G, std::size_t N, std::size_t O,
                            const Window& g, float* gx, float* gw, float* gb);

}  // namespace xg::detail
