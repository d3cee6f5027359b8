// The shared generator: std::mt19937_64 under a mutex; each fill takes the lock once.
#include "core/random.hpp"

#include <algorithm>
#include <mutex>
#include <charconv>
#include <numeric>
#include <sstream>

#include "core/error.hpp"

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

std::string get_rng_state() {
    std::ostringstream out;
    std::lock_guard lock(generator_mutex);
    out << generator();  // the standard's text form: the words, then the position, separated by spaces
    return out.str();
}

void set_rng_state(const std::string& state) {
    // Parsed here rather than by operator>>, which accepts a short or overlong text silently.
    constexpr std::size_t words = std::mt19937_64::state_size;
    std::vector<std::uint64_t> numbers;
    const char* p = state.data();
    const char* const end = p + state.size();
    while (p != end) {
        if (*p == ' ') {
            ++p;
            continue;
        }
        std::uint64_t v = 0;
        auto [next, ec] = std::from_chars(p, end, v);
        if (ec != std::errc() || (next != end && *next != ' ')) {
            throw Error("set_rng_state: byte " + std::to_string(p - state.data()) +
                        " of the state is not an unsigned 64-bit number; pass what get_rng_state() returned");
        }
        numbers.push_back(v);
        p = next;
    }
    if (numbers.size() != words + 1 || numbers.back() > words) {
        throw Error("set_rng_state: the state holds " + std::to_string(numbers.size()) + " numbers" +
                    (numbers.size() == words + 1 ? " and position " + std::to_string(numbers.back()) : "") +
                    ", expected " + std::to_string(words) + " words and a position <= " + std::to_string(words) +
                    "; pass what get_rng_state() returned");
    }
    // An all-zero state is a fixed point: the engine would return 0 forever (and normal draws
    // would loop forever). The low 31 bits of the word at the position don't enter the recurrence.
    bool all_zero = true;
    for (std::size_t i = 0; i < words && all_zero; ++i) {
        const std::uint64_t ignored = i == numbers.back() % words ? (std::uint64_t{1} << 31) - 1 : 0;
        all_zero = (numbers[i] & ~ignored) == 0;
    }
    if (all_zero) {
        throw Error(
            "set_rng_state: the state's words are all zero, a state the generator never leaves; "
            "pass what get_rng_state() returned");
    }
    std::istringstream in(state);
    std::mt19937_64 restored;
    in >> restored;
    std::lock_guard lock(generator_mutex);
    generator() = restored;
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
