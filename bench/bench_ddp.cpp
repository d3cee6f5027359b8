// Data-parallel training throughput: an MLP (784-256-128-10, cross-entropy, SGD) under
// DistributedDataParallel at a per-rank batch, on synthetic data, one OpenBLAS thread per rank.
//   bench_ddp --batch 64                          one process (a world of one: nothing averaged)
//   mpirun -np 2 bench_ddp --batch 64             two ranks; rank 0 prints
// RESULT lines: samples_per_s (every rank's samples: the job's throughput), ms_per_step, the
// same step under no_sync() (no averaging), the share of the step spent averaging gradients
// ((synced - no_sync) / synced, waiting for the slower rank included), and the median time of one
// all_reduce of all the model's gradients (235,146 floats for the default model).
#include <CLI/CLI.hpp>

#include <sstream>

#include <xgrad.hpp>

#include "bench_util.hpp"
#include "distributed/data_parallel.hpp"

using namespace xg;
namespace dist = xg::distributed;
using bench::Clock;
using bench::seconds_since;

namespace {

nn::Sequential make_mlp(const std::string& arch) {
    std::vector<std::size_t> sizes;
    std::stringstream s(arch);
    for (std::string part; std::getline(s, part, '-');) sizes.push_back(std::stoul(part));
    if (sizes.size() < 2) throw Error("bench_ddp: --arch needs at least two sizes, e.g. 784-128-10");
    nn::Sequential model;
    for (std::size_t i = 0; i + 1 < sizes.size(); ++i) {
        model.push_back(nn::Linear(sizes[i], sizes[i + 1]));
        if (i + 2 < sizes.size()) model.push_back(nn::ReLU());
    }
    return model;
}

// Median seconds per step over `repeats` runs of `steps` steps, every rank starting together.
template <class Step>
double seconds_per_step(int steps, int repeats, Step&& step) {
    std::vector<double> per_step;
    for (int r = 0; r < repeats; ++r) {
        dist::barrier();
        const auto t = Clock::now();
        for (int s = 0; s < steps; ++s) step();
        dist::barrier();
        per_step.push_back(seconds_since(t) / steps);
    }
    return bench::median(per_step);
}

}  // namespace

int main(int argc, char** argv) {
    std::size_t batch = 64;
    int steps = 100, repeats = 5;
    std::string arch = "784-256-128-10";
    CLI::App app{"DistributedDataParallel throughput of an MLP; run under mpirun -np N"};
    app.add_option("--batch", batch, "examples per step on each rank")->capture_default_str();
    app.add_option("--steps", steps, "steps per timed repeat")->capture_default_str();
    app.add_option("--repeats", repeats, "timed repeats (the median is reported)")->capture_default_str();
    app.add_option("--arch", arch, "layer sizes")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    try {
        dist::init_process_group();
        set_num_threads(1);
        const int rank = dist::get_rank(), world = dist::get_world_size();
        manual_seed(0);
        nn::Sequential local = make_mlp(arch);
        nn::parallel::DistributedDataParallel model(local);
        optim::SGD opt(model.parameters(), {.lr = 0.01});
        manual_seed(100 + std::uint64_t(rank));  // each rank its own data
        const Tensor x = Tensor::randn({batch, local.parameters()[0].size(1)});
        Tensor y = Tensor::zeros({batch});
        for (std::size_t i = 0; i < batch; ++i) y.data()(i) = float(i % 10);
        auto step = [&] {
            opt.zero_grad();
            nn::functional::cross_entropy(model(x), y).backward();
            opt.step();
        };
        for (int s = 0; s < 20; ++s) step();  // warm-up
        const double synced = seconds_per_step(steps, repeats, step);
        double local_only = 0;
        {
            auto guard = model.no_sync();
            local_only = seconds_per_step(steps, repeats, step);
        }
        std::size_t count = 0;
        for (const Tensor& p : local.parameters()) count += p.numel();
        Tensor grads = Tensor::ones({count});
        std::vector<double> allreduce;
        for (int r = 0; r < 50; ++r) {
            dist::barrier();
            const auto t = Clock::now();
            dist::all_reduce(grads, dist::ReduceOp::mean);
            allreduce.push_back(seconds_since(t));
        }
        if (rank == 0) {
            bench::result("ranks", world);
            bench::result("batch_per_rank", double(batch));
            bench::result("samples_per_s", double(batch) * world / synced);
            bench::result("ms_per_step", 1e3 * synced);
            bench::result("ms_per_step_no_sync", 1e3 * local_only);
            bench::result("averaging_share", world > 1 ? (synced - local_only) / synced : 0.0);
            bench::result("allreduce_floats", double(count));
            bench::result("allreduce_ms", 1e3 * bench::median(allreduce));
        }
        dist::destroy_process_group();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_ddp: %s\n", e.what());
        return 1;
    }
    return 0;
}
