// Trains an MLP on MNIST or Fashion-MNIST; examples/pytorch/mnist_mlp.py is the same script in
// PyTorch, line for line: Flatten, then Linear and ReLU per --hidden size, then Linear(·, 10),
// Adam and cross_entropy, evaluated after each epoch under model.eval() and no_grad.
// The default data is Debian's Fashion-MNIST (package dataset-fashion-mnist).
// On several processes, as PyTorch's DistributedDataParallel scripts (when xgrad::distributed is
// built): `mpirun -np 2 mnist_mlp --batch-size 32` trains on 2 ranks, each on its share of the
// data (DistributedSampler) at 32 images per step, 64 per step in all; rank 0 prints and saves.
#include <CLI/CLI.hpp>

#include "common.hpp"

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
        Job job(args);  // rank 0 of 1, or one of several under mpirun
        manual_seed(args.seed);
        set_num_threads(args.threads);

        if (!data_folder_exists(args, "mnist_mlp")) return 2;
        auto t0 = Clock::now();
        data::MNIST train_set(args.data, true), test_set(args.data, false);
        data::DataLoader train_loader = job.training_loader(limited(train_set, args), args);
        data::DataLoader test_loader(limited(test_set, args), {.batch_size = 1000});
        if (job.rank == 0)
            std::printf("data: %s: %zu training and %zu test images, loaded in %.2f s\n", args.data.c_str(),
                        train_set.size(), test_set.size(), seconds_since(t0));
        job.say_batch(args.batch_size);

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

        nn::Module& net = job.parallel(model);  // the model, or under mpirun DistributedDataParallel(model)
        auto optimizer = make_optimizer(args, net.parameters());  // --optimizer adam|sgd
        optim::Optimizer& opt = *optimizer;

        Evaluation result;
        EpochLog log(train_loader.size(), args.quiet);  // running loss, progress line, time, curves
        const int epochs = args.eval_only ? 0 : args.epochs;
        for (int epoch = 1; epoch <= epochs; ++epoch) {
            net.train();
            job.start_epoch(epoch);
            log.start_epoch(epoch);
            for (auto& [x, y] : train_loader) {
                opt.zero_grad();
                Tensor loss = nn::functional::cross_entropy(net(x), y);
                loss.backward();
                opt.step();
                log.step(loss, y.numel());
            }
            if (job.rank == 0) {  // the ranks' weights are identical: rank 0 evaluates them
                result = evaluate(model, test_loader);
                log.end_epoch(result);
            }
        }
        if (epochs == 0 && job.rank == 0) result = evaluate(model, test_loader);
        if (job.rank == 0) finish_training(args, model, result, log, "MLP on " + args.data);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mnist_mlp: %s\n", e.what());
        return 1;
    }
    return 0;
}
