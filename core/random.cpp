// The shared generator: std::mt19937_64 under a mutex; each fill takes the lock once.
#include "core/random.hpp"

#include <algorithm>
#include <mutex>
#include <numeric>

namespace xg {

namespace {
std::mutex generator_mutex;
std::mt19937_64& generator() {
    static std::mt19937_64 gen(5489u);
    return gen;
}
}  // namespace

void manual_seed(std::uint64_t seed) {
    std::lock_guard lock(generator_mutex);
    generator().seed(seed);
}

namespace random {

void fill_uniform(float* out, std::size_t n, float low, float high) {
    std::lock_guard lock(generator_mutex);
    std::uniform_real_distribution<float> dist(low, high);
    for (std::size_t i = 0; i < n; ++i) out[i] = dist(generator());
}

void fill_normal(float* out, std::size_t n, float mean, float stddev) {
    std::lock_guard lock(generator_mutex);
    std::normal_distribution<float> dist(mean, stddev);
    for (std::size_t i = 0; i < n; ++i) out[i] = dist(generator());
}

void fill_bernoulli(float* out, std::size_t n, float p) {
    std::lock_guard lock(generator_mutex);
    std::uniform_real_distribution<float> dist(0.0f, 1.0f);
    for (std::size_t i = 0; i < n; ++i) out[i] = dist(generator()) < p ? 1.0f : 0.0f;
}

void permutation(std::size_t* out, std::size_t n) {
    std::iota(out, out + n, std::size_t{0});
    std::lock_guard lock(generator_mutex);
    std::shuffle(out, out + n, generator());
}

}  // namespace random
}  // namespace xg
