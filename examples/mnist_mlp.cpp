// Trains an MLP on MNIST or Fashion-MNIST; examples/pytorch/mnist_mlp.py is the same script in
// PyTorch, line for line: Flatten, then Linear and ReLU per --hidden size, then Linear(·, 10),
// Adam and cross_entropy, evaluated after each epoch under model.eval() and no_grad.
// The default data is Debian's Fashion-MNIST (package dataset-fashion-mnist).
// On several processes, as PyTorch's DistributedDataParallel scripts (when xgrad::distributed is
// built): `mpirun -np 2 mnist_mlp --batch-size 32` trains on 2 ranks, each on its share of the
// data (DistributedSampler) at 32 images per step, 64 per step in all; rank 0 prints and saves.
#include <CLI/CLI.hpp>

#include "common.hpp"
#if XGRAD_HAS_DISTRIBUTED
#include "distributed/data_parallel.hpp"
#endif

using namespace xg;
using namespace examples;

int main(int argc, char** argv) {
    TrainingArgs args;
    std::vector<std::size_t> hidden = {256, 128};
    CLI::App app{"Train an MLP classifier on MNIST or Fashion-MNIST and report its test accuracy."};
    add_training_flags(app, args);
    app.add_option("--hidden", hidden, "hidden layer sizes, e.g. --hidden 256 128 (each followed by ReLU)")
        ->capture_default_str()
        ->expected(1, -1)
        ->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);

    try {
#if XGRAD_HAS_DISTRIBUTED
        distributed::init_process_group();  // one rank of one without mpirun
        const int rank = distributed::get_rank(), world = distributed::get_world_size();
#else
        const int rank = 0, world = 1;
#endif
        if (rank != 0) args.quiet = true;
        manual_seed(args.seed);
        set_num_threads(args.threads);

        if (!data_folder_exists(args, "mnist_mlp")) return 2;
        auto t0 = Clock::now();
        data::MNIST train_set(args.data, true), test_set(args.data, false);
        data::DataLoader train_loader(limited(train_set, args), {.batch_size = args.batch_size, .shuffle = true});
        // Each rank a disjoint share of every epoch's permutation (the same on all ranks).
        data::DistributedSampler sampler(
            limited(train_set, args),
            {.num_replicas = std::size_t(world), .rank = std::size_t(rank), .seed = args.seed});
        if (world > 1)
            train_loader = data::DataLoader(limited(train_set, args), sampler, {.batch_size = args.batch_size});
        data::DataLoader test_loader(limited(test_set, args), {.batch_size = 1000});
        if (rank == 0)
            std::printf("data: %s: %zu training and %zu test images, loaded in %.2f s\n", args.data.c_str(),
                        train_set.size(), test_set.size(), seconds_since(t0));
        if (rank == 0 && world > 1)
            std::printf(
                "distributed: %d ranks x batch %zu = global batch %zu; progress, samples/s and results are "
                "rank 0's\n",
                world, args.batch_size, args.batch_size * std::size_t(world));

        nn::Sequential model;
        model.push_back(nn::Flatten());
        std::size_t width = train_set.rows() * train_set.cols();
        for (std::size_t h : hidden) {
            model.push_back(nn::Linear(width, h));
            model.push_back(nn::ReLU());
            width = h;
        }
        model.push_back(nn::Linear(width, 10));
        if (!args.load.empty()) nn::load(model, args.load);
        if (!args.quiet)
            std::cout << nn::summary(model, {args.batch_size, 1, train_set.rows(), train_set.cols()}) << "\n";

#if XGRAD_HAS_DISTRIBUTED
        nn::parallel::DistributedDataParallel ddp(model);  // rank 0's weights; gradients averaged
        nn::Module& net = ddp;
#else
        nn::Module& net = model;
#endif
        auto optimizer = make_optimizer(args, net.parameters());  // --optimizer adam|sgd
        optim::Optimizer& opt = *optimizer;

        Evaluation result;
        EpochLog log(train_loader.size(), args.quiet);  // running loss, progress line, time, curves
        const int epochs = args.eval_only ? 0 : args.epochs;
        for (int epoch = 1; epoch <= epochs; ++epoch) {
            net.train();
            sampler.set_epoch(std::uint64_t(epoch));
            log.start_epoch(epoch);
            for (auto& [x, y] : train_loader) {
                opt.zero_grad();
                Tensor loss = nn::functional::cross_entropy(net(x), y);
                loss.backward();
                opt.step();
                log.step(loss, y.numel());
            }
            if (rank == 0) {  // the ranks' weights are identical: rank 0 evaluates them
                result = evaluate(model, test_loader);
                log.end_epoch(result);
            }
        }
        if (epochs == 0 && rank == 0) result = evaluate(model, test_loader);
        if (rank == 0) finish_training(args, model, result, log, "MLP on " + args.data);
#if XGRAD_HAS_DISTRIBUTED
        distributed::destroy_process_group();
#endif
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mnist_mlp: %s\n", e.what());
        return 1;
    }
    return 0;
}
