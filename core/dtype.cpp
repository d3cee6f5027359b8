// Bit-level conversions between float32 and the narrower float formats, written with integers
// so that each rounding step is visible (and independent of the FPU's flags).
#include "core/dtype.hpp"

#include <bit>
#include <cmath>
#include <limits>

namespace xg {

namespace {
constexpr const char* names[] = {"F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"};
constexpr std::size_t sizes[] = {4, 2, 2, 8, 8, 4, 2, 1, 1, 1};

// q = m / 2^shift rounded to nearest, ties to even (shift >= 1).
std::uint32_t shift_round_even(std::uint32_t m, unsigned shift) {
    const std::uint32_t q = m >> shift, rest = m & ((1u << shift) - 1), half = 1u << (shift - 1);
    return rest > half || (rest == half && (q & 1u)) ? q + 1 : q;
}
}  // namespace

const char* dtype_name(Dtype dtype) { return names[static_cast<int>(dtype)]; }

std::optional<Dtype> dtype_from_name(std::string_view name) {
    for (int i = 0; i < static_cast<int>(std::size(names)); ++i)
        if (name == names[i]) return static_cast<Dtype>(i);
    return std::nullopt;
}

std::size_t dtype_size(Dtype dtype) { return sizes[static_cast<int>(dtype)]; }

bool is_integer(Dtype dtype) {
    return dtype != Dtype::F32 && dtype != Dtype::F16 && dtype != Dtype::BF16 && dtype != Dtype::F64;
}

float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exponent = (h >> 10) & 0x1fu, mantissa = h & 0x3ffu;
    if (exponent == 0x1f) return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));  // inf, NaN
    if (exponent == 0) {
        if (mantissa == 0) return std::bit_cast<float>(sign);  // ±0
        // A subnormal half, mantissa · 2^-24: normalise it (float has the range to hold it as a normal).
        exponent = 127 - 14;
        while (!(mantissa & 0x400u)) {
            mantissa <<= 1;
            --exponent;
        }
        return std::bit_cast<float>(sign | (exponent << 23) | ((mantissa & 0x3ffu) << 13));
    }
    return std::bit_cast<float>(sign | ((exponent + 127 - 15) << 23) | (mantissa << 13));
}

std::uint16_t float_to_half(float value) {
    const std::uint32_t x = std::bit_cast<std::uint32_t>(value), a = x & 0x7fffffffu;
    const auto sign = static_cast<std::uint16_t>((x >> 16) & 0x8000u);
    if (a > 0x7f800000u) return sign | 0x7e00u;                   // NaN
    if (a >= 0x477ff000u) return sign | 0x7c00u;                  // >= 65520 (halfway past the max 65504, odd): inf
    if (a >= 0x38800000u) {                                       // >= 2^-14: a normal half
        const std::uint32_t rebiased = a - ((127u - 15u) << 23);  // exponent rebiased, 23 mantissa bits
        return static_cast<std::uint16_t>(sign | shift_round_even(rebiased, 13));  // a carry bumps the exponent: right
    }
    if (a <= 0x33000000u) return sign;  // <= 2^-25, half the smallest subnormal (a tie goes to the even 0)
    // A subnormal half: the value in units of 2^-24. a = 2^(e-127) · 1.m = m24 · 2^(e-150).
    const std::uint32_t e = a >> 23, m24 = (a & 0x7fffffu) | 0x800000u;
    return static_cast<std::uint16_t>(sign | shift_round_even(m24, 126 - e));
}

float bfloat16_to_float(std::uint16_t bits) { return std::bit_cast<float>(static_cast<std::uint32_t>(bits) << 16); }

std::uint16_t float_to_bfloat16(float value) {
    if (std::isnan(value)) return 0x7fc0u;
    return static_cast<std::uint16_t>(shift_round_even(std::bit_cast<std::uint32_t>(value) & 0x7fffffffu, 16) |
                                      ((std::bit_cast<std::uint32_t>(value) >> 16) & 0x8000u));
}

float double_to_float(double value) {
    // FLT_MAX plus half its last unit: from there on (a tie with FLT_MAX's odd mantissa) the value rounds to inf.
    constexpr double overflow = 0x1.ffffffp127;
    if (std::isfinite(value) && std::fabs(value) >= overflow)
        return std::copysign(std::numeric_limits<float>::infinity(), static_cast<float>(std::signbit(value) ? -1 : 1));
    return static_cast<float>(value);
}

}  // namespace xg
