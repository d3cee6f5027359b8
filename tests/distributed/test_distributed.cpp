// xg::distributed and DistributedDataParallel. CTest runs the [2ranks] cases under `mpirun -np 2`
// (tests/distributed/mpirun_check.sh): every rank runs every case, in the same order, so the
// collectives inside them pair up. The [1rank] cases run without mpirun: a world of one process.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>

#include "distributed/data_parallel.hpp"
#include "distributed/distributed.hpp"
#include "xgrad.hpp"

using namespace xg;
namespace dist = xg::distributed;
using nn::parallel::DistributedDataParallel;

namespace {

int rank() { return dist::get_rank(); }

// 20 -> 32 -> 5, the same initial weights on every rank for a given seed.
nn::Sequential make_mlp(std::uint64_t seed, std::size_t hidden = 32) {
    manual_seed(seed);
    return nn::Sequential(nn::Linear(20, hidden), nn::ReLU(), nn::Linear(hidden, 5));
}

struct Batches {
    std::vector<Tensor> x, y;  // 64 rows each
};
Batches make_batches(int steps) {
    manual_seed(123);
    Batches b;
    for (int s = 0; s < steps; ++s) {
        b.x.push_back(Tensor::randn({64, 20}));
        b.y.push_back(Tensor::rand({64}));
        for (float& v : b.y.back().data()) v = std::floor(v * 5.0f);  // classes 0..4
    }
    return b;
}

// Largest |a - b| relative to the largest |b| of each parameter, over all of them.
double max_relative_difference(const nn::Module& a, const nn::Module& b) {
    double worst = 0;
    const auto pa = a.parameters(), pb = b.parameters();
    for (std::size_t i = 0; i < pa.size(); ++i) {
        double diff = 0, scale = 0;
        for (std::size_t k = 0; k < pa[i].numel(); ++k) {
            diff = std::max(diff, double(std::abs(pa[i].data().data()[k] - pb[i].data().data()[k])));
            scale = std::max(scale, double(std::abs(pb[i].data().data()[k])));
        }
        worst = std::max(worst, diff / scale);
    }
    return worst;
}

// True when every rank's values of every parameter are bitwise the same.
bool identical_on_every_rank(const nn::Module& m) {
    for (const Tensor& p : m.parameters()) {
        const auto all = dist::all_gather(p);
        for (const Tensor& t : all)
            if (std::memcmp(t.data().data(), all[0].data().data(), p.numel() * sizeof(float)) != 0) return false;
    }
    return true;
}

// 50 steps: the reference on all 64 rows in this process, DDP on this rank's 32.
template <class Optimizer, class Options>
void check_two_ranks_equal_one(Options options) {
    REQUIRE(dist::get_world_size() == 2);
    const int steps = 50;
    const Batches data = make_batches(steps);
    nn::Sequential reference = make_mlp(1);
    // Rank 1 starts from other weights: DDP must replace them with rank 0's.
    nn::Sequential local = rank() == 0 ? nn::clone(reference) : make_mlp(2);
    DistributedDataParallel model(local);
    Optimizer ref_opt(reference.parameters(), options), opt(model.parameters(), options);
    for (int s = 0; s < steps; ++s) {
        ref_opt.zero_grad();
        nn::functional::cross_entropy(reference(data.x[s]), data.y[s]).backward();
        ref_opt.step();

        const auto r = static_cast<std::int64_t>(rank());
        opt.zero_grad();
        Tensor loss = nn::functional::cross_entropy(model(data.x[s].slice(0, 32 * r, 32 * r + 32)),
                                                    data.y[s].slice(0, 32 * r, 32 * r + 32));
        loss.backward();
        opt.step();
    }
    const double rel = max_relative_difference(model.module(), reference);
    INFO("max relative difference from one process on the whole batch: " << rel);
    CHECK(rel < 1e-5);
    CHECK(rel > 0.0);  // the sums round differently: equal bits would mean the test compared a model with itself
    CHECK(identical_on_every_rank(model.module()));
}

}  // namespace

TEST_CASE("distributed: rank and world size under mpirun -np 2", "[distributed][2ranks]") {
    CHECK(dist::is_initialized());
    CHECK(dist::get_world_size() == 2);
    CHECK(rank() >= 0);
    CHECK(rank() < 2);
}

TEST_CASE("distributed: all_reduce sum mean max min", "[distributed][2ranks]") {
    const float r = float(rank());
    Tensor t = Tensor::from({1.0f + r, -r, 10.0f * r});
    dist::all_reduce(t);
    CHECK((t.data() == Tensor::from({3.0f, -1.0f, 10.0f}).data()));
    const std::vector<std::pair<dist::ReduceOp, float>> cases = {
        {dist::ReduceOp::mean, 1.5f}, {dist::ReduceOp::max, 2.0f}, {dist::ReduceOp::min, 1.0f}};
    for (auto [op, expected] : cases) {
        Tensor u = Tensor::full({2, 2}, 1.0f + r);
        dist::all_reduce(u, op);
        for (float v : u.data()) CHECK(v == expected);
    }
}

TEST_CASE("distributed: broadcast all_gather barrier", "[distributed][2ranks]") {
    Tensor t = Tensor::full({3}, float(rank() + 7));
    dist::broadcast(t, 1);
    for (float v : t.data()) CHECK(v == 8.0f);
    const auto all = dist::all_gather(Tensor::full({2, 1}, float(rank())));
    REQUIRE(all.size() == 2);
    CHECK(all[0].shape() == Shape{2, 1});
    CHECK(all[1].data()(1, 0) == 1.0f);
    CHECK(all[0].data()(0, 0) == 0.0f);
    dist::barrier();
    CHECK_THROWS_WITH(dist::broadcast(t, 2), Catch::Contains("src 2 is not a rank"));
}

TEST_CASE("distributed: mismatched shapes ops and collectives throw on every rank", "[distributed][2ranks]") {
    // No rank may go on to a transfer with the wrong size: each one throws, naming itself.
    Tensor t = Tensor::zeros({rank() == 0 ? 4u : 5u});
    CHECK_THROWS_WITH(dist::all_reduce(t), Catch::Contains("on rank " + std::to_string(rank())) &&
                                               Catch::Contains("between 4 and 5") && Catch::Contains("same shape"));
    Tensor u = Tensor::zeros({3});
    CHECK_THROWS_WITH(dist::all_reduce(u, rank() == 0 ? dist::ReduceOp::sum : dist::ReduceOp::max),
                      Catch::Contains("same op"));
    if (rank() == 0) CHECK_THROWS_WITH(dist::all_reduce(u), Catch::Contains("another rank called broadcast"));
    else CHECK_THROWS_WITH(dist::broadcast(u, 0), Catch::Contains("another rank called all_reduce"));
    dist::all_reduce(u);  // and the group still works
    CHECK((u.data() == Tensor::zeros({3}).data()));
}

TEST_CASE("DistributedDataParallel: 2 ranks x batch 32 equal 1 rank x batch 64 after 50 SGD steps",
          "[distributed][2ranks]") {
    check_two_ranks_equal_one<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
}

TEST_CASE("DistributedDataParallel: 2 ranks x batch 32 equal 1 rank x batch 64 after 50 Adam steps",
          "[distributed][2ranks]") {
    check_two_ranks_equal_one<optim::Adam>(optim::AdamOptions{.lr = 1e-2});
}

TEST_CASE("DistributedDataParallel: a parameter shape that differs names the rank and the parameter",
          "[distributed][2ranks]") {
    nn::Sequential local = make_mlp(1, rank() == 1 ? 33 : 32);
    CHECK_THROWS_WITH(DistributedDataParallel(local),
                      Catch::Contains("rank 1 has parameter '0.weight' [33, 20] where rank 0 has parameter "
                                      "'0.weight' [32, 20]"));
    nn::Sequential extra =
        rank() == 1 ? nn::Sequential(nn::Linear(2, 2), nn::Linear(2, 2)) : nn::Sequential(nn::Linear(2, 2));
    CHECK_THROWS_WITH(DistributedDataParallel(extra),
                      Catch::Contains("rank 1 has parameter '1.weight' [2, 2], which rank 0 doesn't have"));
}

TEST_CASE("DistributedDataParallel: no_sync keeps gradients local; the next backward averages the sum",
          "[distributed][2ranks]") {
    nn::Sequential local = make_mlp(1);
    DistributedDataParallel model(local);
    nn::Sequential plain = nn::clone(local);  // the same weights, no averaging
    const Tensor x1 = Tensor::full({4, 20}, 0.1f * float(rank() + 1)), x2 = Tensor::full({4, 20}, -0.3f);
    const Tensor y = Tensor::zeros({4});
    {
        auto guard = model.no_sync();
        nn::functional::cross_entropy(model(x1), y).backward();
    }
    nn::functional::cross_entropy(plain(x1), y).backward();
    const Tensor w = model.module().parameters()[0], w_plain = plain.parameters()[0];
    CHECK((w.grad().data() == w_plain.grad().data()));  // local only: the ranks' inputs differ
    const auto after_no_sync = dist::all_gather(w.grad());
    CHECK((after_no_sync[0].data() != after_no_sync[1].data()));

    nn::functional::cross_entropy(model(x2), y).backward();
    nn::functional::cross_entropy(plain(x2), y).backward();
    Tensor expected = w_plain.grad().clone().detach();
    dist::all_reduce(expected, dist::ReduceOp::mean);
    CHECK((w.grad().data() == expected.data()));
}

TEST_CASE("DistributedDataParallel: buffers are rank 0's at construction and before each forward",
          "[distributed][2ranks]") {
    manual_seed(3);
    nn::Sequential local(nn::Linear(3, 4), nn::BatchNorm1d(4));
    Tensor running_mean = local.named_buffers()[0].second;
    REQUIRE(local.named_buffers()[0].first == "1.running_mean");
    running_mean.data().fill(float(rank() + 1));
    DistributedDataParallel model(local);
    for (float v : running_mean.data()) CHECK(v == 1.0f);
    // What the wrapped module sees when its forward starts, on a rank whose buffers drifted.
    std::vector<float> seen;
    auto handle = local.register_forward_pre_hook([&](nn::Module&, const std::vector<Tensor>&) {
        seen.assign(running_mean.data().begin(), running_mean.data().end());
    });
    running_mean.data().fill(float(10 * rank() + 5));
    (void)model(Tensor::randn({6, 3}));
    CHECK(seen == std::vector<float>(4, 5.0f));
    handle.remove();
    {
        NoGradGuard no_grad;  // no sync owed, no buffers broadcast (a rank may evaluate alone)
        running_mean.data().fill(float(rank()));
        model.eval();
        (void)model(Tensor::randn({6, 3}));
        for (float v : running_mean.data()) CHECK(v == float(rank()));
    }
}

TEST_CASE("DistributedDataParallel: a backward without a DDP forward averages nothing", "[distributed][2ranks]") {
    nn::Sequential local = make_mlp(1);
    DistributedDataParallel model(local);
    Tensor x = Tensor::full({2, 20}, float(rank() + 1));
    nn::functional::cross_entropy(local(x), Tensor::zeros({2})).backward();  // the inner module, called directly
    const auto grads = dist::all_gather(local.parameters()[0].grad());
    CHECK((grads[0].data() != grads[1].data()));
}

TEST_CASE("DistributedDataParallel: another graph's backward in between leaves the average to the model's own",
          "[distributed][2ranks]") {
    nn::Sequential local = make_mlp(1);
    DistributedDataParallel model(local);
    nn::Sequential plain = nn::clone(local), other = make_mlp(2);
    const Tensor x = Tensor::full({4, 20}, 0.2f * float(rank() + 1)), y = Tensor::zeros({4});
    Tensor out = model(x);
    nn::functional::cross_entropy(other(x), y).backward();  // another model: nothing averaged yet
    nn::functional::cross_entropy(out, y).backward();       // the model's own: averaged now
    nn::functional::cross_entropy(plain(x), y).backward();
    Tensor expected = plain.parameters()[0].grad().clone().detach();
    dist::all_reduce(expected, dist::ReduceOp::mean);
    CHECK((model.module().parameters()[0].grad().data() == expected.data()));
    // Two losses of one forward, the first retaining the tape: one average of their sum.
    model.zero_grad();
    plain.zero_grad();
    Tensor out2 = model(x);
    nn::functional::cross_entropy(out2, y).backward({.retain_graph = true});
    (out2 * out2).mean().backward();
    Tensor p2 = plain(x);
    nn::functional::cross_entropy(p2, y).backward({.retain_graph = true});
    (p2 * p2).mean().backward();
    Tensor expected2 = plain.parameters()[0].grad().clone().detach();
    dist::all_reduce(expected2, dist::ReduceOp::mean);
    CHECK(abs(model.module().parameters()[0].grad() - expected2).max().item() < 1e-6f);
}

TEST_CASE("distributed: without mpirun, one rank; before init, rank 0 of 1 and collectives refuse",
          "[distributed][1rank]") {
    REQUIRE(dist::get_world_size() == 1);
    dist::destroy_process_group();
    CHECK(!dist::is_initialized());
    CHECK(dist::get_rank() == 0);
    CHECK(dist::get_world_size() == 1);
    Tensor t = Tensor::from({1.0f, 2.0f});
    CHECK_THROWS_WITH(dist::all_reduce(t), Catch::Contains("call distributed::init_process_group() first"));
    nn::Sequential local = make_mlp(1);
    CHECK_THROWS_WITH(DistributedDataParallel(local),
                      Catch::Contains("DistributedDataParallel: the process group is not initialized"));
    dist::init_process_group({.timeout = std::chrono::seconds(5)});
    CHECK_THROWS_WITH(dist::init_process_group(), Catch::Contains("already initialized"));
    CHECK(dist::is_initialized());
    for (auto op : {dist::ReduceOp::sum, dist::ReduceOp::mean, dist::ReduceOp::max, dist::ReduceOp::min}) {
        dist::all_reduce(t, op);
        CHECK((t.data() == Tensor::from({1.0f, 2.0f}).data()));
    }
    dist::broadcast(t, 0);
    CHECK_THROWS_WITH(dist::broadcast(t, 1), Catch::Contains("src 1 is not a rank (world size 1)"));
    const auto all = dist::all_gather(t);
    REQUIRE(all.size() == 1);
    CHECK((all[0].data() == t.data()));
    dist::barrier();
}

TEST_CASE("DistributedDataParallel: on one rank, training is bitwise training without it", "[distributed][1rank]") {
    const Batches data = make_batches(5);
    nn::Sequential plain = make_mlp(1), local = make_mlp(1);
    DistributedDataParallel model(local);
    optim::Adam opt_plain(plain.parameters(), {.lr = 1e-2}), opt(model.parameters(), {.lr = 1e-2});
    for (int s = 0; s < 5; ++s) {
        opt_plain.zero_grad();
        nn::functional::cross_entropy(plain(data.x[s]), data.y[s]).backward();
        opt_plain.step();
        opt.zero_grad();
        nn::functional::cross_entropy(model(data.x[s]), data.y[s]).backward();
        opt.step();
    }
    CHECK(max_relative_difference(model.module(), plain) == 0.0);
    CHECK(model.named_parameters()[0].first == "module.0.weight");  // PyTorch's names under DDP
}

// Each rank runs the cases; the job fails if any rank failed (the exit codes are combined).
int main(int argc, char** argv) {
    dist::init_process_group({.timeout = std::chrono::seconds(60)});
    int failed = Catch::Session().run(argc, argv);
    Tensor worst = Tensor::full({1}, float(failed));
    dist::all_reduce(worst, dist::ReduceOp::max);
    dist::destroy_process_group();
    return worst.item() > 0 ? 1 : 0;
}
