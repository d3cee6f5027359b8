// The element types a safetensors file may hold (PyTorch's dtypes, by safetensors' names) and the
// exact conversions between them and float32, the one type xgrad computes in. The rounding rules
// are PyTorch's (c10/util/Half.h, BFloat16.h), so a tensor written here reads back in PyTorch
// with the bits PyTorch's own .half() / .bfloat16() would give.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace xg {

enum class Dtype : std::uint8_t { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

const char* dtype_name(Dtype dtype);                          // "F32", as in a safetensors header
std::optional<Dtype> dtype_from_name(std::string_view name);  // nullopt for a name not listed above
std::size_t dtype_size(Dtype dtype);                          // bytes per element
bool is_integer(Dtype dtype);                                 // I64 ... U8 and BOOL

// IEEE half (1 sign, 5 exponent, 10 mantissa bits). Every half is a float exactly: subnormals,
// ±0, ±inf and NaN (payload kept) included.
float half_to_float(std::uint16_t bits);
// Round to nearest, ties to even; >= 65520 in magnitude becomes inf, below 2^-25 becomes ±0;
// NaN becomes the quiet NaN 0x7E00 with its sign, as c10::Half.
std::uint16_t float_to_half(float value);
// bfloat16 is a float's top 16 bits: widening is exact.
float bfloat16_to_float(std::uint16_t bits);
// Round to nearest, ties to even (overflow gives inf); NaN becomes 0x7FC0, as c10::BFloat16.
std::uint16_t float_to_bfloat16(float value);
// Round to nearest, ties to even; beyond float's range, ±inf (never undefined behaviour).
float double_to_float(double value);

}  // namespace xg
