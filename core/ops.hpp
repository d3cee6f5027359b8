// Every differentiable op on Tensors, as free functions, each followed by the Tensor method of
// the same name where there is one (x.exp() is exp(x)): adding an op touches this file, its
// ops_X.cpp, and tensor.hpp only to declare a method.
// Grouped by the file that implements each: "where is relu?" -> ops_activation.cpp.
// Binary ops broadcast like NumPy/PyTorch; a broadcast input's gradient is summed back to its shape.
// Every op here is differentiable to any order (backward is built from these same ops), except
// the fused kernels marked "first-order": conv2d, conv_transpose2d, the pools, batch_norm and layer_norm
// (and, in nn/functional, cross_entropy and binary_cross_entropy), and the comparisons and argmax,
// which are never recorded. In-place ops are Tensor methods (tensor.hpp, ops_inplace.cpp).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace xg {

// ---- ops_elementwise.cpp ----
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor neg(const Tensor& a);
Tensor add(const Tensor& a, float s);
Tensor mul(const Tensor& a, float s);
Tensor rsub(float s, const Tensor& a);  // s - a
Tensor rdiv(float s, const Tensor& a);  // s / a
Tensor exp(const Tensor& a);
Tensor log(const Tensor& a);
Tensor sqrt(const Tensor& a);
Tensor pow(const Tensor& a, float exponent);
Tensor pow(const Tensor& a, const Tensor& exponent);  // a > 0 where exponent needs a gradient
Tensor abs(const Tensor& a);
Tensor sin(const Tensor& a);
Tensor cos(const Tensor& a);
Tensor erf(const Tensor& a);
inline Tensor Tensor::exp() const { return xg::exp(*this); }
inline Tensor Tensor::log() const { return xg::log(*this); }
inline Tensor Tensor::sqrt() const { return xg::sqrt(*this); }
inline Tensor Tensor::pow(float e) const { return xg::pow(*this, e); }
inline Tensor Tensor::pow(const Tensor& e) const { return xg::pow(*this, e); }
inline Tensor Tensor::abs() const { return xg::abs(*this); }
inline Tensor Tensor::sin() const { return xg::sin(*this); }
inline Tensor Tensor::cos() const { return xg::cos(*this); }

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a);
Tensor operator+(const Tensor& a, float s);
Tensor operator+(float s, const Tensor& a);
Tensor operator-(const Tensor& a, float s);
Tensor operator-(float s, const Tensor& a);
Tensor operator*(const Tensor& a, float s);
Tensor operator*(float s, const Tensor& a);
Tensor operator/(const Tensor& a, float s);
Tensor operator/(float s, const Tensor& a);

// ---- ops_compare.cpp ----
// Comparisons give 1 where the relation holds and 0 elsewhere, as float tensors that are never
// recorded (requires_grad false): (logits.argmax(1) == y).sum().item() counts the hits. Tensor
// operands broadcast; a NaN compares as IEEE says (only != holds), as in PyTorch.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, float s);
Tensor ne(const Tensor& a, float s);
Tensor lt(const Tensor& a, float s);
Tensor le(const Tensor& a, float s);
Tensor gt(const Tensor& a, float s);
Tensor ge(const Tensor& a, float s);
Tensor operator==(const Tensor& a, const Tensor& b);
Tensor operator!=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator==(const Tensor& a, float s);
Tensor operator!=(const Tensor& a, float s);
Tensor operator<(const Tensor& a, float s);
Tensor operator<=(const Tensor& a, float s);
Tensor operator>(const Tensor& a, float s);
Tensor operator>=(const Tensor& a, float s);
Tensor operator==(float s, const Tensor& a);
Tensor operator!=(float s, const Tensor& a);
Tensor operator<(float s, const Tensor& a);
Tensor operator<=(float s, const Tensor& a);
Tensor operator>(float s, const Tensor& a);
Tensor operator>=(float s, const Tensor& a);
inline Tensor Tensor::eq(const Tensor& o) const { return xg::eq(*this, o); }
inline Tensor Tensor::ne(const Tensor& o) const { return xg::ne(*this, o); }
inline Tensor Tensor::lt(const Tensor& o) const { return xg::lt(*this, o); }
inline Tensor Tensor::le(const Tensor& o) const { return xg::le(*this, o); }
inline Tensor Tensor::gt(const Tensor& o) const { return xg::gt(*this, o); }
inline Tensor Tensor::ge(const Tensor& o) const { return xg::ge(*this, o); }
inline Tensor Tensor::eq(float s) const { return xg::eq(*this, s); }
inline Tensor Tensor::ne(float s) const { return xg::ne(*this, s); }
inline Tensor Tensor::lt(float s) const { return xg::lt(*this, s); }
inline Tensor Tensor::le(float s) const { return xg::le(*this, s); }
inline Tensor Tensor::gt(float s) const { return xg::gt(*this, s); }
inline Tensor Tensor::ge(float s) const { return xg::ge(*this, s); }
// cond ? a : b elementwise, cond, a and b broadcast together, as torch.where. cond is a 0/1
// tensor (any nonzero counts as true; a comparison's result) and gets no gradient. The gradient
// goes to a where cond holds and to b elsewhere. A float operand acts as a 0-d tensor.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& cond, const Tensor& a, float b);
Tensor where(const Tensor& cond, float a, const Tensor& b);
Tensor where(const Tensor& cond, float a, float b);
// Elementwise max/min of a and b, broadcasting, as torch.maximum/minimum. A NaN in either gives
// NaN. The gradient goes to the input picked; on a tie each gets half, as in PyTorch.
Tensor maximum(const Tensor& a, const Tensor& b);
Tensor minimum(const Tensor& a, const Tensor& b);
// a limited to [min, max] (either bound may be absent, not both), as torch.clamp; min > max gives
// max everywhere. A NaN in a stays NaN. The gradient is g where min <= a <= max, 0 elsewhere.
Tensor clamp(const Tensor& a, std::optional<float> min, std::optional<float> max = std::nullopt);
Tensor clamp_min(const Tensor& a, float min);
Tensor clamp_max(const Tensor& a, float max);
inline Tensor Tensor::where(const Tensor& cond, const Tensor& o) const { return xg::where(cond, *this, o); }
inline Tensor Tensor::where(const Tensor& cond, float o) const { return xg::where(cond, *this, o); }
inline Tensor Tensor::maximum(const Tensor& o) const { return xg::maximum(*this, o); }
inline Tensor Tensor::minimum(const Tensor& o) const { return xg::minimum(*this, o); }
inline Tensor Tensor::clamp(std::optional<float> lo, std::optional<float> hi) const { return xg::clamp(*this, lo, hi); }
inline Tensor Tensor::clamp_min(float lo) const { return xg::clamp_min(*this, lo); }
inline Tensor Tensor::clamp_max(float hi) const { return xg::clamp_max(*this, hi); }

// ---- ops_reduce.cpp ----
Tensor sum(const Tensor& a);  // 0-d result
Tensor sum(const Tensor& a, std::int64_t dim, bool keepdim = false);
Tensor mean(const Tensor& a);
Tensor mean(const Tensor& a, std::int64_t dim, bool keepdim = false);
// Full max: the gradient is shared evenly between tied maxima, as torch.max() does.
Tensor max(const Tensor& a);
// Max along a dim (the values of PyTorch's (values, indices) pair); the gradient goes to the
// element picked, the first one on ties. argmax gives the indices, as floats, not differentiable.
Tensor max(const Tensor& a, std::int64_t dim, bool keepdim = false);
Tensor argmax(const Tensor& a, std::int64_t dim, bool keepdim = false);
inline Tensor Tensor::sum() const { return xg::sum(*this); }
inline Tensor Tensor::sum(std::int64_t d, bool k) const { return xg::sum(*this, d, k); }
inline Tensor Tensor::mean() const { return xg::mean(*this); }
inline Tensor Tensor::mean(std::int64_t d, bool k) const { return xg::mean(*this, d, k); }
inline Tensor Tensor::max() const { return xg::max(*this); }
inline Tensor Tensor::max(std::int64_t d, bool k) const { return xg::max(*this, d, k); }
inline Tensor Tensor::argmax(std::int64_t d, bool k) const { return xg::argmax(*this, d, k); }

// ---- ops_matmul.cpp ----
// 1-D, 2-D and batched operands as torch.matmul: the dims before the last two are batch dims and
// broadcast (a 2-D side is shared by every batch entry); a 1-D side gains and loses a dim.
Tensor matmul(const Tensor& a, const Tensor& b);
// x [*, in] · weightᵀ [in, out] + bias [out] -> [*, out], as torch.nn.functional.linear (any
// leading dims). One sgemm with a transpose flag; no transposed copy of the weight is made.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());
// linear's output shape, x [*, in] and weight [out, in] -> [*, out], or an Error naming `who`
// (the op, or the layer calling it) and both shapes. nn::Linear's output_shape is this.
Shape linear_shape(const Shape& x, const Shape& weight, const std::string& who = "linear");
inline Tensor Tensor::matmul(const Tensor& o) const { return xg::matmul(*this, o); }

// ---- ops_conv.cpp ----  (NCHW: [batch, channels, height, width]; first-order: fused kernels)
// x [N, C, H, W] * weight [O, C, kh, kw] (+ bias [O]) -> [N, O, Ho, Wo], as torch.nn.functional.conv2d;
// Ho = (H + 2·padding - kh) / stride + 1.
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), std::size_t stride = 1,
              std::size_t padding = 0);
// conv2d's output shape [N, O, Ho, Wo], or an Error naming `who` and the shapes. Any padding is
// allowed, as in PyTorch (windows over padding alone see zeros). nn::Conv2d's output_shape is this.
Shape conv2d_shape(const Shape& x, const Shape& weight, std::size_t stride, std::size_t padding,
                   const std::string& who = "conv2d");
// stride 0 means stride = kernel_size, PyTorch's default. Square windows.
Tensor max_pool2d(const Tensor& x, std::size_t kernel_size, std::size_t stride = 0, std::size_t padding = 0);
Tensor avg_pool2d(const Tensor& x, std::size_t kernel_size, std::size_t stride = 0, std::size_t padding = 0);
// The pooling ops' output shape [N, C, Ho, Wo] (stride 0 = kernel_size), or an Error naming `who`.
// PyTorch's pooling rule: padding at most kernel_size / 2, so no window lies in padding alone.
Shape pool2d_shape(const Shape& x, std::size_t kernel_size, std::size_t stride, std::size_t padding,
                   const std::string& who);
// The adjoint of conv2d (a "deconvolution"), as torch.nn.functional.conv_transpose2d with groups 1
// and dilation 1: x [N, C_in, H, W], weight [C_in, C_out, kh, kw] (PyTorch's layout), bias [C_out]
// -> [N, C_out, Ho, Wo], Ho = (H - 1)·stride - 2·padding + kh + output_padding, output_padding <
// stride. Each input pixel paints weight[c] scaled by its value onto a kh x kw patch of the output.
Tensor conv_transpose2d(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor(), std::size_t stride = 1,
                        std::size_t padding = 0, std::size_t output_padding = 0);
// conv_transpose2d's output shape, or an Error naming `who` and the shapes.
Shape conv_transpose2d_shape(const Shape& x, const Shape& weight, std::size_t stride, std::size_t padding,
                             std::size_t output_padding, const std::string& who = "conv_transpose2d");

// ---- ops_resample.cpp ----  (linear maps of each image plane: differentiable to any order)
// The mean over PyTorch's adaptive windows, as torch.nn.functional.adaptive_avg_pool2d:
// output row i averages input rows floor(i·H/Ho) ... ceil((i+1)·H/Ho) - 1 (columns alike), so the
// windows cover the input and may overlap. x [N, C, H, W] -> [N, C, Ho, Wo]; output_size 1 is the
// global average pool. Sizes are {Ho, Wo}, or one number for both.
Tensor adaptive_avg_pool2d(const Tensor& x, std::vector<std::size_t> output_size);
inline Tensor adaptive_avg_pool2d(const Tensor& x, std::size_t output_size) {
    return adaptive_avg_pool2d(x, std::vector<std::size_t>{output_size});
}
Shape adaptive_avg_pool2d_shape(const Shape& x, const std::vector<std::size_t>& output_size,
                                const std::string& who = "adaptive_avg_pool2d");
// The resampling kernels behind nn::functional::interpolate (which works out the size and the
// scales, as PyTorch does). x [N, C, H, W] -> [N, C, size[0], size[1]]; scale_h/scale_w are the
// user's scale factors (0 when a size was given), used as PyTorch uses them for source indices.
// nearest: source row = min(floor(dst · s), H - 1), s = 1/scale_h if given, else H/Ho (PyTorch's
// 'nearest', not 'nearest-exact'). bilinear: align_corners maps corner pixel centres onto each
// other, s = (H - 1)/(Ho - 1); otherwise src = s·(dst + 0.5) - 0.5 clamped at 0.
Tensor upsample_nearest2d(const Tensor& x, std::vector<std::size_t> size, double scale_h = 0, double scale_w = 0);
Tensor upsample_bilinear2d(const Tensor& x, std::vector<std::size_t> size, bool align_corners, double scale_h = 0,
                           double scale_w = 0);

// ---- ops_norm.cpp ----  (first-order: a fused kernel)
// Batch normalisation over dim 1 of x [N, C] or [N, C, H, W], as torch.nn.functional.batch_norm.
// Training: normalises with the batch's mean and (biased) variance and updates the running
// statistics in place: r = (1 - momentum)·r + momentum·batch (the variance unbiased). Eval: uses
// the running statistics. weight and bias ([C]) may be undefined.
Tensor batch_norm(const Tensor& x, Tensor running_mean, Tensor running_var, const Tensor& weight, const Tensor& bias,
                  bool training, float momentum = 0.1f, float eps = 1e-5f);
// batch_norm's output shape (x's), or an Error naming `who`: x is [N, C, ...], each defined
// per-channel tensor is [C], training sees more than one value per channel.
Shape batch_norm_shape(const Shape& x, const Tensor& running_mean, const Tensor& running_var, const Tensor& weight,
                       const Tensor& bias, bool training, const std::string& who = "batch_norm");

// ---- ops_layer_norm.cpp ----  (first-order: a fused kernel)
// Normalises over the last normalized_shape.size() dims of x, whose sizes must equal
// normalized_shape, as torch.nn.functional.layer_norm: y = (x - mean) / √(var + eps)·weight + bias
// with the biased variance of each slice. weight and bias have normalized_shape, or are undefined.
Tensor layer_norm(const Tensor& x, const Shape& normalized_shape, const Tensor& weight = Tensor(),
                  const Tensor& bias = Tensor(), float eps = 1e-5f);
// layer_norm's output shape (x's), or an Error naming `who` and the shapes.
Shape layer_norm_shape(const Shape& x, const Shape& normalized_shape, const Tensor& weight, const Tensor& bias,
                       const std::string& who = "layer_norm");

// ---- ops_activation.cpp ----
Tensor relu(const Tensor& a);
Tensor leaky_relu(const Tensor& a, float negative_slope = 0.01f);
Tensor sigmoid(const Tensor& a);
Tensor tanh(const Tensor& a);
Tensor gelu(const Tensor& a, const std::string& approximate = "none");  // "none" (erf) or "tanh"
Tensor softmax(const Tensor& a, std::int64_t dim);
Tensor log_softmax(const Tensor& a, std::int64_t dim);
inline Tensor Tensor::relu() const { return xg::relu(*this); }
inline Tensor Tensor::sigmoid() const { return xg::sigmoid(*this); }
inline Tensor Tensor::tanh() const { return xg::tanh(*this); }
inline Tensor Tensor::softmax(std::int64_t d) const { return xg::softmax(*this, d); }
inline Tensor Tensor::log_softmax(std::int64_t d) const { return xg::log_softmax(*this, d); }

// ---- ops_shape.cpp ----  (results are copies: a tensor's values are never aliased by a view)
Tensor reshape(const Tensor& a, const std::vector<std::int64_t>& shape);  // one -1 allowed
Tensor view(const Tensor& a, const std::vector<std::int64_t>& shape);     // same as reshape
Tensor flatten(const Tensor& a, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
// The shapes reshape and flatten give an input of shape `a`, or an Error naming the op.
Shape reshape_shape(const Shape& a, const std::vector<std::int64_t>& shape);
Shape flatten_shape(const Shape& a, std::int64_t start_dim = 0, std::int64_t end_dim = -1);
Tensor transpose(const Tensor& a, std::int64_t dim0, std::int64_t dim1);
Tensor t(const Tensor& a);  // 2-D (or fewer) transpose
Tensor permute(const Tensor& a, const std::vector<std::int64_t>& dims);
Tensor squeeze(const Tensor& a);
Tensor squeeze(const Tensor& a, std::int64_t dim);
Tensor unsqueeze(const Tensor& a, std::int64_t dim);
Tensor cat(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
Tensor stack(const std::vector<Tensor>& tensors, std::int64_t dim = 0);
// a[..., start:end:step, ...] along dim (Python slice rules for negative and out-of-range ends).
Tensor slice(const Tensor& a, std::int64_t dim, std::int64_t start, std::int64_t end, std::int64_t step = 1);
// a[..., index, ...]: removes dim.
Tensor select(const Tensor& a, std::int64_t dim, std::int64_t index);
// The entries at `index` along dim (repeats allowed), as torch.index_select(a, dim, index).
Tensor index_select(const Tensor& a, std::int64_t dim, const std::vector<std::size_t>& index);
// Pieces of a along dim, as torch.split: each split_size long (the last one shorter if dim's size
// isn't a multiple), or one piece per entry of `sizes` (which must add up to dim's size). Each
// piece is a slice: its gradient lands in its part of a's.
std::vector<Tensor> split(const Tensor& a, std::int64_t split_size, std::int64_t dim = 0);
std::vector<Tensor> split(const Tensor& a, const std::vector<std::int64_t>& sizes, std::int64_t dim = 0);
// `chunks` pieces as torch.chunk: split with split_size = ceil(size / chunks), so there may be
// fewer pieces than asked (chunk(6 rows, 4) gives sizes 2, 2, 2).
std::vector<Tensor> chunk(const Tensor& a, std::int64_t chunks, std::int64_t dim = 0);
inline Tensor Tensor::reshape(const std::vector<std::int64_t>& s) const { return xg::reshape(*this, s); }
inline Tensor Tensor::view(const std::vector<std::int64_t>& s) const { return xg::view(*this, s); }
inline Tensor Tensor::flatten(std::int64_t s, std::int64_t e) const { return xg::flatten(*this, s, e); }
inline Tensor Tensor::transpose(std::int64_t a, std::int64_t b) const { return xg::transpose(*this, a, b); }
inline Tensor Tensor::t() const { return xg::t(*this); }
inline Tensor Tensor::permute(const std::vector<std::int64_t>& d) const { return xg::permute(*this, d); }
inline Tensor Tensor::squeeze() const { return xg::squeeze(*this); }
inline Tensor Tensor::squeeze(std::int64_t d) const { return xg::squeeze(*this, d); }
inline Tensor Tensor::unsqueeze(std::int64_t d) const { return xg::unsqueeze(*this, d); }
inline Tensor Tensor::slice(std::int64_t d, std::int64_t s, std::int64_t e, std::int64_t st) const {
    return xg::slice(*this, d, s, e, st);
}
inline Tensor Tensor::select(std::int64_t d, std::int64_t i) const { return xg::select(*this, d, i); }
inline std::vector<Tensor> Tensor::split(std::int64_t s, std::int64_t d) const { return xg::split(*this, s, d); }
inline std::vector<Tensor> Tensor::split(const std::vector<std::int64_t>& s, std::int64_t d) const {
    return xg::split(*this, s, d);
}
inline std::vector<Tensor> Tensor::chunk(std::int64_t c, std::int64_t d) const { return xg::chunk(*this, c, d); }

// ---- ops_index.cpp ----  (index tensors are floats holding whole numbers, checked at entry)
// a with `value` where mask (0/1, PyTorch's bool mask) is 1; a and mask broadcast together, as
// torch.masked_fill. No gradient where the mask is 1.
Tensor masked_fill(const Tensor& a, const Tensor& mask, float value);
// The lower / upper triangle of the last two dims (entries with column - row <= diagonal, or >=),
// the rest zeroed, as torch.tril / torch.triu; any leading dims.
Tensor tril(const Tensor& a, std::int64_t diagonal = 0);
Tensor triu(const Tensor& a, std::int64_t diagonal = 0);
// out[i][j] = a[index[i][j]][j] (dim 0) or a[i][index[i][j]] (dim 1), ..., as torch.gather: index
// has a's number of dims and no larger size except in dim. Repeated indices add their gradients.
Tensor gather(const Tensor& a, std::int64_t dim, const Tensor& index);
// weight [num, dim] rows at indices [*] -> [*, dim], as torch.nn.functional.embedding (whose
// argument order this keeps). The padding_idx row (negative counts from the end) gets no gradient.
Tensor embedding(const Tensor& indices, const Tensor& weight, std::optional<std::int64_t> padding_idx = std::nullopt);
inline Tensor Tensor::masked_fill(const Tensor& mask, float value) const { return xg::masked_fill(*this, mask, value); }
inline Tensor Tensor::tril(std::int64_t diagonal) const { return xg::tril(*this, diagonal); }
inline Tensor Tensor::triu(std::int64_t diagonal) const { return xg::triu(*this, diagonal); }
inline Tensor Tensor::gather(std::int64_t dim, const Tensor& index) const { return xg::gather(*this, dim, index); }

}  // namespace xg
