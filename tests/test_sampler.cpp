// data::DistributedSampler and a DataLoader with a sampler: PyTorch's semantics, checked in one
// process by building every rank's sampler side by side (no MPI needed).
#include "helpers.hpp"

#include <map>
#include <set>

using namespace xg;

namespace {

// Every rank's indices for one epoch.
std::vector<std::vector<std::size_t>> all_ranks(std::size_t n, std::size_t replicas, bool shuffle, bool drop_last,
                                                std::uint64_t epoch = 0, std::uint64_t seed = 0) {
    std::vector<std::vector<std::size_t>> out;
    for (std::size_t r = 0; r < replicas; ++r) {
        data::DistributedSampler s(
            n, {.num_replicas = replicas, .rank = r, .shuffle = shuffle, .seed = seed, .drop_last = drop_last});
        s.set_epoch(epoch);
        out.push_back(s.indices());
        CHECK(out.back().size() == s.size());
    }
    return out;
}

std::map<std::size_t, int> counts(const std::vector<std::vector<std::size_t>>& ranks) {
    std::map<std::size_t, int> c;
    for (const auto& r : ranks)
        for (std::size_t i : r) ++c[i];
    return c;
}

}  // namespace

TEST_CASE("DistributedSampler: every index exactly once per epoch when replicas divide the size", "[sampler]") {
    for (bool shuffle : {false, true}) {
        for (bool drop_last : {false, true}) {
            const auto ranks = all_ranks(12, 3, shuffle, drop_last);
            const auto c = counts(ranks);
            CHECK(c.size() == 12);
            for (const auto& [i, k] : c) CHECK(k == 1);
        }
    }
}

TEST_CASE("DistributedSampler: padding repeats the first indices of the epoch's order", "[sampler]") {
    // 10 over 4 ranks: 3 each, 12 in all; PyTorch pads with the order's first 2 indices.
    const auto ranks = all_ranks(10, 4, false, false);
    CHECK(ranks[0] == std::vector<std::size_t>{0, 4, 8});
    CHECK(ranks[1] == std::vector<std::size_t>{1, 5, 9});
    CHECK(ranks[2] == std::vector<std::size_t>{2, 6, 0});
    CHECK(ranks[3] == std::vector<std::size_t>{3, 7, 1});
    // Shuffled: every index at least once, exactly two of them twice.
    const auto c = counts(all_ranks(10, 4, true, false, 3));
    CHECK(c.size() == 10);
    int twice = 0;
    for (const auto& [i, k] : c) twice += k == 2;
    CHECK(twice == 2);
    // Fewer indices than ranks: repeated as often as needed, as PyTorch's (indices * k)[:padding].
    const auto tiny = all_ranks(2, 5, false, false);
    for (std::size_t r = 0; r < 5; ++r) CHECK(tiny[r] == std::vector<std::size_t>{r % 2});
}

TEST_CASE("DistributedSampler: drop_last drops the tail so no index repeats", "[sampler]") {
    const auto ranks = all_ranks(10, 4, true, true, 1);
    const auto c = counts(ranks);
    CHECK(c.size() == 8);  // 2 per rank
    for (const auto& [i, k] : c) CHECK(k == 1);
    CHECK(all_ranks(10, 4, false, true)[3] == std::vector<std::size_t>{3, 7});
}

TEST_CASE("DistributedSampler: the same permutation on every rank and a new one after set_epoch", "[sampler]") {
    // Rank r's share is positions r, r + R, ... of one permutation: interleaving them rebuilds it.
    auto permutation = [](std::uint64_t epoch, std::uint64_t seed) {
        const auto ranks = all_ranks(20, 2, true, false, epoch, seed);
        std::vector<std::size_t> p;
        for (std::size_t i = 0; i < ranks[0].size(); ++i) p.insert(p.end(), {ranks[0][i], ranks[1][i]});
        return p;
    };
    const auto e0 = permutation(0, 0);
    CHECK(std::set<std::size_t>(e0.begin(), e0.end()).size() == 20);
    CHECK(e0 == permutation(0, 0));  // deterministic: every rank's generator draws the same
    CHECK(e0 != permutation(1, 0));
    CHECK(e0 != permutation(0, 7));
    std::vector<std::size_t> sorted(20);
    std::iota(sorted.begin(), sorted.end(), std::size_t{0});
    CHECK(e0 != sorted);
    // The global generator is neither used nor disturbed.
    manual_seed(1);
    const float before = Tensor::rand({1}).item();
    manual_seed(1);
    (void)all_ranks(20, 2, true, false);
    CHECK(Tensor::rand({1}).item() == before);
}

TEST_CASE("DistributedSampler: a DataLoader's copy sees set_epoch", "[sampler]") {
    Tensor x = Tensor::arange(8.0f).reshape({8, 1});
    data::DistributedSampler sampler(8, {.num_replicas = 2, .rank = 1, .shuffle = true, .seed = 5});
    data::DataLoader loader(data::TensorDataset(x, x), sampler, {.batch_size = 3});
    CHECK(loader.size() == 2);  // 4 indices on this rank: batches of 3 and 1
    auto epoch_values = [&] {
        std::vector<float> v;
        for (auto& [bx, by] : loader)
            for (float f : bx.data()) v.push_back(f);
        return v;
    };
    const auto first = epoch_values();
    const auto expected = sampler.indices();
    REQUIRE(first.size() == expected.size());
    for (std::size_t i = 0; i < first.size(); ++i) CHECK(first[i] == float(expected[i]));
    CHECK(epoch_values() == first);  // same epoch, same order
    bool changed = false;
    for (std::uint64_t e = 1; e < 5 && !changed; ++e) {
        sampler.set_epoch(e);
        changed = epoch_values() != first;
    }
    CHECK(changed);
}

TEST_CASE("DistributedSampler: errors name the bad option", "[sampler]") {
    CHECK_THROWS_WITH(data::DistributedSampler(10, {.num_replicas = 2, .rank = 2}),
                      Catch::Contains("invalid rank 2") && Catch::Contains("[0, 1]"));
    CHECK_THROWS_WITH(data::DistributedSampler(10, {.num_replicas = 0, .rank = 0}),
                      Catch::Contains("num_replicas must be at least 1"));
    CHECK_THROWS_WITH(data::DistributedSampler(10, {}), Catch::Contains("pass .num_replicas and .rank"));
    Tensor x = Tensor::zeros({4, 1});
    data::DistributedSampler s(4, {.num_replicas = 1, .rank = 0});
    CHECK_THROWS_WITH(data::DataLoader(data::TensorDataset(x, x), s, {.batch_size = 2, .shuffle = true}),
                      Catch::Contains("shuffle = true with a sampler"));
}
