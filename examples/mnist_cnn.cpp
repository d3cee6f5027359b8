// Trains a LeNet-style CNN, all in one nn::Sequential, on MNIST or Fashion-MNIST;
// examples/pytorch/mnist_cnn.py is the same script in PyTorch, line for line. Adam with
// StepLR(step_size 1, gamma 0.7) per epoch, as PyTorch's examples/mnist. Same flags and output
// as mnist_mlp; --channels and --hidden size the network.
// On several processes, as mnist_mlp (when xgrad::distributed is built):
// `mpirun -np 2 mnist_cnn --batch-size 32 --threads 1` trains on 2 ranks at 64 images per step in
// all, each rank on its share of the data; rank 0 prints and saves.
#include <CLI/CLI.hpp>

#include "common.hpp"

using namespace xg;
using namespace examples;

int main(int argc, char** argv) {
    TrainingArgs args;
    std::vector<std::size_t> channels = {16, 32};
    std::size_t hidden = 128;
    double gamma = 0.7;
    args.epochs = 5;
    args.threads = 2;
    CLI::App app{"Train a LeNet-style CNN on MNIST or Fashion-MNIST and report its test accuracy."};
    add_training_flags(app, args);
    app.add_option("--channels", channels, "channels of the two 5x5 convolutions")
        ->capture_default_str()
        ->expected(2)
        ->check(CLI::PositiveNumber);
    app.add_option("--hidden", hidden, "units of the hidden fully connected layer")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--gamma", gamma, "learning-rate decay per epoch (StepLR)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    CLI11_PARSE(app, argc, argv);

    try {
        Job job(args);  // rank 0 of 1, or one of several under mpirun
        manual_seed(args.seed);
        set_num_threads(args.threads);

        if (!data_folder_exists(args, "mnist_cnn")) return 2;
        auto t0 = Clock::now();
        data::MNIST train_set(args.data, true), test_set(args.data, false);
        data::DataLoader train_loader = job.training_loader(limited(train_set, args), args);
        data::DataLoader test_loader(limited(test_set, args), {.batch_size = 1000});
        if (job.rank == 0)
            std::printf("data: %s: %zu training and %zu test images, loaded in %.2f s\n", args.data.c_str(),
                        train_set.size(), test_set.size(), seconds_since(t0));
        job.say_batch(args.batch_size);

        const std::size_t side = train_set.rows() / 4;  // two 2x2 poolings: 28 -> 14 -> 7
        auto model = nn::Sequential(nn::Conv2d(1, channels[0], 5, /*stride=*/1, /*padding=*/2), nn::ReLU(),
                                    nn::MaxPool2d(2),  // [N, 16, 14, 14]
                                    nn::Conv2d(channels[0], channels[1], 5, /*stride=*/1, /*padding=*/2), nn::ReLU(),
                                    nn::MaxPool2d(2),  // [N, 32, 7, 7]
                                    nn::Flatten(), nn::Linear(channels[1] * side * side, hidden), nn::ReLU(),
                                    nn::Linear(hidden, 10));
        if (!args.load.empty()) nn::load(model, args.load);
        if (!args.quiet)
            std::cout << nn::summary(model, {args.batch_size, 1, train_set.rows(), train_set.cols()}) << "\n";

        nn::Module& net = job.parallel(model);  // the model, or under mpirun DistributedDataParallel(model)
        auto optimizer = make_optimizer(args, net.parameters());  // --optimizer adam|sgd
        optim::Optimizer& opt = *optimizer;
        optim::StepLR scheduler(opt, 1, gamma);

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
            scheduler.step();
        }
        if (epochs == 0 && job.rank == 0) result = evaluate(model, test_loader);
        if (job.rank == 0) finish_training(args, model, result, log, "CNN on " + args.data);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mnist_cnn: %s\n", e.what());
        return 1;
    }
    return 0;
}
