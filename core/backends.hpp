// The optional libraries xgrad's ops can run on, and the switch for each, as torch.backends.
//
// oneDNN (Debian's libdnnl-dev, the library PyTorch's own CPU convolutions run on): when xgrad was
// built with it (CMake option XGRAD_ONEDNN, on when CMake finds it), conv2d and its gradients run
// on oneDNN's convolutions, which use the CPU's widest vector instructions (AVX-512 here, where
// Debian's OpenBLAS runs 256-bit kernels); bench/README.md has the measurements. Switched off, or
// built without it, conv2d runs xgrad's own im2col + sgemm (core/conv_kernels.cpp), the code to
// read to learn how a convolution is computed. The two agree to float rounding
// (tests/test_conv_kernels.cpp); each gives the same bits run after run at a fixed thread setting.
#pragma once

namespace xg::backends::onednn {

// Whether this xgrad was built with oneDNN (torch.backends.mkldnn.is_available()).
bool is_available();
// Whether conv2d runs on oneDNN: is_available() and not switched off (torch.backends.mkldnn.enabled).
bool enabled();
// Switches oneDNN on or off for the whole process; on is a no-op when it is not available.
void set_enabled(bool on);

}  // namespace xg::backends::onednn
