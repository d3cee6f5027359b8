// Trains a small ResNet (examples/resnet_model.hpp) on MNIST or Fashion-MNIST;
// examples/pytorch/resnet.py is the same script in PyTorch, line for line. BasicBlocks with two 3x3
// convolutions, BatchNorm and a skip connection, in three stages, then global average pooling; Adam
// with the learning rate annealed to 0 along a cosine (CosineAnnealingLR stepped per batch).
// Same flags and output as mnist_mlp; --channels and --blocks size the network.
#include <CLI/CLI.hpp>

#include "common.hpp"
#include "resnet_model.hpp"

using namespace xg;
using namespace examples;

int main(int argc, char** argv) {
    TrainingArgs args;
    std::vector<std::size_t> channels = {16, 32, 64}, blocks = {1, 1, 1};
    args.epochs = 3;
    args.batch_size = 128;
    args.threads = 2;
    CLI::App app{"Train a small ResNet on MNIST or Fashion-MNIST and report its test accuracy."};
    add_training_flags(app, args);
    app.add_option("--channels", channels, "channels of the three stages")
        ->capture_default_str()
        ->expected(3)
        ->check(CLI::PositiveNumber);
    app.add_option("--blocks", blocks, "BasicBlocks in each stage")
        ->capture_default_str()
        ->expected(3)
        ->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);

    try {
        manual_seed(args.seed);
        set_num_threads(args.threads);

        if (!data_folder_exists(args, "resnet")) return 2;
        auto t0 = Clock::now();
        data::MNIST train_set(args.data, true), test_set(args.data, false);
        data::DataLoader train_loader(limited(train_set, args), {.batch_size = args.batch_size, .shuffle = true});
        data::DataLoader test_loader(limited(test_set, args), {.batch_size = 1000});
        std::printf("data: %s: %zu training and %zu test images, loaded in %.2f s\n", args.data.c_str(),
                    train_set.size(), test_set.size(), seconds_since(t0));

        ResNet model(channels, blocks);
        if (!args.load.empty()) nn::load(model, args.load);
        if (!args.quiet) {
            // summary runs one forward; in eval mode the BatchNorms' running statistics stay as they are.
            model.eval();
            std::cout << nn::summary(model, Tensor::zeros({args.batch_size, 1, train_set.rows(), train_set.cols()}))
                      << "\n";
        }

        auto optimizer = make_optimizer(args, model.parameters());  // --optimizer adam|sgd
        optim::Optimizer& opt = *optimizer;
        // The learning rate falls from --lr to 0 along a cosine over the whole run, a step per batch.
        const int epochs = args.eval_only ? 0 : args.epochs;
        optim::CosineAnnealingLR scheduler(opt, std::max<std::int64_t>(1, epochs * std::int64_t(train_loader.size())));

        Evaluation result;
        EpochLog log(train_loader.size(), args.quiet);  // running loss, progress line, time, curves
        for (int epoch = 1; epoch <= epochs; ++epoch) {
            model.train();
            log.start_epoch(epoch);
            for (auto& [x, y] : train_loader) {
                opt.zero_grad();
                Tensor loss = nn::functional::cross_entropy(model(x), y);
                loss.backward();
                opt.step();
                scheduler.step();
                log.step(loss, y.numel());
            }
            result = evaluate(model, test_loader);
            log.end_epoch(result);
        }
        if (epochs == 0) result = evaluate(model, test_loader);
        finish_training(args, model, result, log, "ResNet on " + args.data);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "resnet: %s\n", e.what());
        return 1;
    }
    return 0;
}
