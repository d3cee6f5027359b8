// The one random generator behind every draw (init, randn, dropout, shuffling): manual_seed
// makes a run reproducible. Draws are serialised by a lock, so threads may share it safely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>

namespace xg {

// Re-seeds the generator, as torch.manual_seed does.
void manual_seed(std::uint64_t seed);

// The generator's whole state, as torch.get_rng_state(): the std::mt19937_64 engine's text form
// (312 words and a position, decimal, space-separated; about 6.5 KB), which fits a StateDict's
// metadata. set_rng_state puts it back, so the draws that follow are those that followed the
// get; it throws an xg::Error, changing nothing, for text that isn't such a state.
std::string get_rng_state();
void set_rng_state(const std::string& state);

namespace random {
void fill_uniform(float* out, std::size_t n, float low, float high);    // U[low, high)
void fill_normal(float* out, std::size_t n, float mean, float stddev);  // N(mean, stddev²)
void fill_bernoulli(float* out, std::size_t n, float p);                // 1 with probability p, else 0
// A random permutation of 0 .. n-1 (DataLoader shuffling).
void permutation(std::size_t* out, std::size_t n);
}  // namespace random

}  // namespace xg
