// my_ddp_trainer.cpp: an outside project's data-parallel program, linked against xgrad::distributed
// (built by check.sh when xgrad has it). Alone it is rank 0 of 1; under `mpirun -np 2` each rank
// trains main.cpp's network on its own 32 examples, DistributedDataParallel averages the
// gradients, and at the end every rank must hold the same weights, bit for bit.
#include <xgrad.hpp>
#include <distributed/data_parallel.hpp>

#include <algorithm>
#include <cstdio>

using namespace xg;
namespace dist = xg::distributed;

int main() {
    dist::init_process_group();
    const int rank = dist::get_rank(), world = dist::get_world_size();

    manual_seed(0);
    auto net = nn::Sequential(nn::Linear(10, 20), nn::ReLU(), nn::Linear(20, 1), nn::Sigmoid());
    nn::parallel::DistributedDataParallel model(net);  // every rank starts from rank 0's weights

    manual_seed(100 + std::uint64_t(rank));  // this rank's share of the data
    Tensor x = Tensor::randn({32, 10});
    Tensor target = sigmoid(x.sum(1, /*keepdim=*/true));

    optim::Adam opt(model.parameters(), {.lr = 1e-2});
    for (int step = 1; step <= 300; ++step) {
        Tensor loss = nn::functional::binary_cross_entropy(model(x), target);
        opt.zero_grad();
        loss.backward();  // ... then the gradients are averaged across ranks
        opt.step();
    }

    // Every rank took the same steps: its weights are rank 0's exactly.
    NoGradGuard no_grad;
    float differ = 0.0f;
    for (const Tensor& p : net.parameters())
        for (const Tensor& other : dist::all_gather(p.detach())) differ = std::max(differ, max(abs(other - p)).item());
    const float error = mean(abs(net(x) - target)).item();  // on this rank's examples
    std::printf("rank %d of %d: mean |prediction - target| = %.4f, weights %s rank 0's\n", rank, world, error,
                differ == 0.0f ? "identical to" : "DIFFERENT from");
    dist::destroy_process_group();
    return differ == 0.0f && error < 0.05f ? 0 : 1;
}
