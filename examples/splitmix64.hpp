// Draws that C++ and Python (numpy) compute alike, for the examples whose twins must see the same
// random numbers (unet_denoise's test noise, char_lm's word split and batches): xgrad's generator
// (std::mt19937_64) and torch's differ, and this one is small enough to write in both.
#pragma once

#include <cstdint>

namespace examples {

// Draw k of splitmix64 seeded with `key`: mix(key + (k + 1)·γ), a pure function of k, with the
// same 64-bit wrap-around in C++ and in numpy.
inline std::uint64_t splitmix64(std::uint64_t key, std::uint64_t k) {
    std::uint64_t z = key + (k + 1) * 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

// A double in [0, 1) from the top 53 bits of draw k.
inline double uniform(std::uint64_t key, std::uint64_t k) {
    return static_cast<double>(splitmix64(key, k) >> 11) * (1.0 / 9007199254740992.0);  // 2^-53
}

}  // namespace examples
