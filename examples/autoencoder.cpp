// An autoencoder on (Fashion-)MNIST: a Sequential encoder 784 -> 128 -> 32 and decoder
// 32 -> 128 -> 784 (Sigmoid), trained to reproduce its input. Mirrors the PyTorch script:
//
//   encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32))
//   decoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid(),
//                           nn.Unflatten(1, (1, 28, 28)))
//   model = nn.Sequential(encoder, decoder)
//   loss = F.mse_loss(model(x), x)        # or F.binary_cross_entropy with --loss bce
//
// Reports the reconstruction loss per epoch and writes a PNG grid: rows of test images, each
// followed by a row of their reconstructions.
#include <CLI/CLI.hpp>

#include "common.hpp"

using namespace xg;
using namespace examples;

int main(int argc, char** argv) {
    TrainingArgs args;
    args.batch_size = 128;
    std::string loss_name = "mse", png = "autoencoder.png";
    std::size_t code = 32, images = 40;
    CLI::App app{"Train an autoencoder on MNIST or Fashion-MNIST and write a PNG of reconstructions."};
    add_training_flags(app, args);
    app.add_option("--loss", loss_name, "reconstruction loss: mse or bce")->capture_default_str()->check(CLI::IsMember({"mse", "bce"}));
    app.add_option("--code", code, "size of the code between encoder and decoder")->capture_default_str()->check(CLI::PositiveNumber);
    app.add_option("--png", png, "where to write the grid of test images and reconstructions")->capture_default_str();
    app.add_option("--images", images, "test images in the grid (10 per row)")->capture_default_str()->check(CLI::Range(1, 200));
    CLI11_PARSE(app, argc, argv);

    try {
        manual_seed(args.seed);
        set_num_threads(args.threads);
        if (!data_folder_exists(args, "autoencoder")) return 2;
        data::MNIST train_set(args.data, true), test_set(args.data, false);
        data::DataLoader train_loader(train_set, {.batch_size = args.batch_size, .shuffle = true});
        data::DataLoader test_loader(test_set, {.batch_size = 1000});
        const std::size_t side = train_set.rows(), pixels = side * train_set.cols();

        auto encoder = nn::Sequential(nn::Flatten(), nn::Linear(pixels, 128), nn::ReLU(), nn::Linear(128, code));
        auto decoder = nn::Sequential(nn::Linear(code, 128), nn::ReLU(), nn::Linear(128, pixels), nn::Sigmoid(),
                                      nn::Unflatten(1, {1, static_cast<std::int64_t>(side), static_cast<std::int64_t>(train_set.cols())}));
        nn::Sequential model;
        model.push_back("encoder", encoder);
        model.push_back("decoder", decoder);
        if (!args.load.empty()) nn::load(model, args.load);
        if (!args.quiet) std::cout << nn::summary(model, {args.batch_size, 1, side, train_set.cols()}) << "\n";
        auto reconstruction_loss = [&](const Tensor& out, const Tensor& x) {
            return loss_name == "mse" ? nn::functional::mse_loss(out, x) : nn::functional::binary_cross_entropy(out, x);
        };
        std::unique_ptr<optim::Optimizer> opt = make_optimizer(args, model.parameters());

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
                Tensor loss = reconstruction_loss(model(x), x);  // the target is the input itself
                loss.backward();
                opt->step();
                loss_sum += loss.item() * static_cast<double>(x.shape()[0]);
                samples += x.shape()[0];
                progress.update(++done, samples, loss_sum / static_cast<double>(samples));
            }
            model.eval();
            NoGradGuard no_grad;
            double test_sum = 0.0;
            for (auto& [x, y] : test_loader) test_sum += reconstruction_loss(model(x), x).item() * static_cast<double>(x.shape()[0]);
            std::printf("epoch %d: train %s %.5f, test %s %.5f, %.1f s\n", epoch, loss_name.c_str(),
                        loss_sum / static_cast<double>(samples), loss_name.c_str(), test_sum / static_cast<double>(test_set.size()),
                        seconds_since(start));
            std::fflush(stdout);
            log.log(epoch, "train " + loss_name, loss_sum / static_cast<double>(samples));
            log.log(epoch, "test " + loss_name, test_sum / static_cast<double>(test_set.size()));
        }

        // The grid: 10 images per row, each row of originals followed by their reconstructions.
        model.eval();
        NoGradGuard no_grad;
        std::vector<std::size_t> picked(images);
        for (std::size_t i = 0; i < images; ++i) picked[i] = i;
        data::Batch batch = test_set.get_batch(picked);
        Tensor recon = model(batch.x);
        const std::size_t per_row = 10, rows = (images + per_row - 1) / per_row, w = per_row * side, h = rows * 2 * side;
        std::vector<std::uint8_t> grid(w * h, 0);
        auto paste = [&](const float* img, std::size_t gx, std::size_t gy) {
            for (std::size_t r = 0; r < side; ++r)
                for (std::size_t c = 0; c < side; ++c)
                    grid[(gy * side + r) * w + gx * side + c] = static_cast<std::uint8_t>(std::clamp(img[r * side + c], 0.0f, 1.0f) * 255.0f + 0.5f);
        };
        for (std::size_t i = 0; i < images; ++i) {
            paste(batch.x.data().data() + i * pixels, i % per_row, 2 * (i / per_row));
            paste(recon.data().data() + i * pixels, i % per_row, 2 * (i / per_row) + 1);
        }
        viz::write_png_gray(png, w, h, grid);
        std::printf("\nwrote %s: %zu test images (odd rows) and their reconstructions (even rows)\n", png.c_str(), images);
        if (!args.metrics.empty()) log.write_csv(args.metrics);
        if (!args.plot.empty()) log.write_svg(args.plot, "Autoencoder on " + args.data);
        if (!args.save.empty()) nn::save(model, args.save);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "autoencoder: %s\n", e.what());
        return 1;
    }
    return 0;
}
