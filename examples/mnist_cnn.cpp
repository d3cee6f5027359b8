// Trains a LeNet-style CNN, all in one nn::Sequential, on MNIST or Fashion-MNIST, mirroring the
// PyTorch script:
//
//   model = nn.Sequential(
//       nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),   # [N, 16, 14, 14]
//       nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),  # [N, 32, 7, 7]
//       nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10))
//   opt = torch.optim.Adam(model.parameters(), lr=args.lr)
//   scheduler = StepLR(opt, step_size=1, gamma=args.gamma)   # as PyTorch's examples/mnist
//   for epoch in ...: for x, y in train_loader: zero_grad, cross_entropy, backward, step
//                     scheduler.step()
//
// Same flags and output as mnist_mlp; --channels and --hidden size the network.
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
    app.add_option("--hidden", hidden, "units of the hidden fully connected layer")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--gamma", gamma, "learning-rate decay per epoch (StepLR)")->capture_default_str()->check(CLI::Range(0.0, 1.0));
    CLI11_PARSE(app, argc, argv);

    try {
        manual_seed(args.seed);
        set_num_threads(args.threads);

        if (!data_folder_exists(args, "mnist_cnn")) return 2;
        auto t0 = Clock::now();
        data::MNIST train_set(args.data, true), test_set(args.data, false);
        data::DataLoader train_loader(train_set, {.batch_size = args.batch_size, .shuffle = true});
        data::DataLoader test_loader(test_set, {.batch_size = 1000});
        std::printf("data: %s: %zu training and %zu test images, loaded in %.2f s\n", args.data.c_str(), train_set.size(),
                    test_set.size(), seconds_since(t0));

        const std::size_t side = train_set.rows() / 4;  // two 2x2 poolings: 28 -> 14 -> 7
        auto model = nn::Sequential(
            nn::Conv2d(1, channels[0], 5, 1, 2), nn::ReLU(), nn::MaxPool2d(2),
            nn::Conv2d(channels[0], channels[1], 5, 1, 2), nn::ReLU(), nn::MaxPool2d(2),
            nn::Flatten(), nn::Linear(channels[1] * side * side, hidden), nn::ReLU(), nn::Linear(hidden, 10));
        if (!args.load.empty()) nn::load(model, args.load);
        if (!args.quiet) std::cout << nn::summary(model, {args.batch_size, 1, train_set.rows(), train_set.cols()}) << "\n";

        std::unique_ptr<optim::Optimizer> opt = make_optimizer(args, model.parameters());
        optim::StepLR scheduler(*opt, 1, gamma);

        Evaluation result;
        viz::MetricsLog log("epoch");
        const int epochs = args.eval_only ? 0 : args.epochs;
        for (int epoch = 1; epoch <= epochs; ++epoch) {
            model.train();
            const auto start = Clock::now();
            Progress progress(epoch, train_loader.size(), args.quiet);
            double loss_sum = 0.0;
            std::size_t done = 0, samples = 0;
            for (auto& [x, y] : train_loader) {
                opt->zero_grad();
                Tensor loss = nn::functional::cross_entropy(model(x), y);
                loss.backward();
                opt->step();
                loss_sum += loss.item() * static_cast<double>(y.numel());
                samples += y.numel();
                progress.update(++done, samples, loss_sum / static_cast<double>(samples));
            }
            const double train_time = seconds_since(start);
            result = evaluate(model, test_loader);
            report_epoch(epoch, loss_sum / static_cast<double>(samples), samples, train_time, result, log);
            scheduler.step();
        }
        if (epochs == 0) result = evaluate(model, test_loader);
        finish_training(args, model, result, log, "CNN on " + args.data);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mnist_cnn: %s\n", e.what());
        return 1;
    }
    return 0;
}
