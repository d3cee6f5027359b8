// The shared generator (core/random): manual_seed reproducibility, and draws from several threads
// at once ([threads], also run under ThreadSanitizer by scripts/test.sh).
#include "helpers.hpp"

#include <algorithm>
#include <atomic>
#include <thread>

using namespace xg;

TEST_CASE("random: the same seed gives the same draws", "[random]") {
    std::vector<float> a(100), b(100);
    manual_seed(3);
    random::fill_normal(a.data(), a.size(), 0.0f, 1.0f);
    manual_seed(3);
    random::fill_normal(b.data(), b.size(), 0.0f, 1.0f);
    CHECK(a == b);
}

TEST_CASE("random: threads drawing at once each get one unbroken run of the seeded sequence", "[random][threads]") {
    constexpr std::size_t threads = 4, n = 5000;
    // Serially: the sequence the seed gives, cut into one run per thread.
    manual_seed(11);
    std::vector<std::vector<float>> runs(threads, std::vector<float>(n));
    for (auto& run : runs) random::fill_uniform(run.data(), n, 0.0f, 1.0f);
    // In parallel: every fill holds the generator for its whole run, so each thread's draws are
    // one of the serial runs, whole, in whichever order the threads took the lock.
    manual_seed(11);
    std::vector<std::vector<float>> got(threads, std::vector<float>(n));
    std::vector<std::thread> pool;
    for (auto& g : got) pool.emplace_back([&g] { random::fill_uniform(g.data(), n, 0.0f, 1.0f); });
    for (auto& t : pool) t.join();
    std::sort(runs.begin(), runs.end());
    std::sort(got.begin(), got.end());
    CHECK(got == runs);
}

TEST_CASE("random: manual_seed, shuffling and fills may race without tearing the generator", "[random][threads]") {
    std::atomic<int> broken{0};  // counted here, checked after the join: Catch2's CHECK isn't thread-safe
    std::vector<std::thread> pool;
    for (int t = 0; t < 3; ++t) {
        pool.emplace_back([t, &broken] {
            std::vector<float> v(256);
            std::vector<std::size_t> perm(64);
            for (int i = 0; i < 200; ++i) {
                if (t == 0) manual_seed(static_cast<std::uint64_t>(i));
                random::fill_bernoulli(v.data(), v.size(), 0.5f);
                random::permutation(perm.data(), perm.size());
                std::vector<std::size_t> sorted = perm;
                std::sort(sorted.begin(), sorted.end());
                for (std::size_t k = 0; k < sorted.size(); ++k) broken += sorted[k] != k;
                for (float x : v) broken += x != 0.0f && x != 1.0f;
            }
        });
    }
    for (auto& t : pool) t.join();
    CHECK(broken == 0);
}
