// An autoencoder on (Fashion-)MNIST; examples/pytorch/autoencoder.py is the same script in
// PyTorch, line for line. A Sequential encoder 784 -> 128 -> 32 and decoder 32 -> 128 -> 784
// (Sigmoid, Unflatten back to [N, 1, 28, 28]) learn to reproduce their input (--loss mse|bce).
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
    app.add_option("--loss", loss_name, "reconstruction loss: mse or bce")
        ->capture_default_str()
        ->check(CLI::IsMember({"mse", "bce"}));
    app.add_option("--code", code, "size of the code between encoder and decoder")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--png", png, "where to write the grid of test images and reconstructions")->capture_default_str();
    app.add_option("--images", images, "test images in the grid (10 per row)")
        ->capture_default_str()
        ->check(CLI::Range(1, 200));
    CLI11_PARSE(app, argc, argv);

    try {
        manual_seed(args.seed);
        set_num_threads(args.threads);
        if (!data_folder_exists(args, "autoencoder")) return 2;
        data::MNIST train_set(args.data, true), test_set(args.data, false);
        data::DataLoader train_loader(limited(train_set, args), {.batch_size = args.batch_size, .shuffle = true});
        data::DataLoader test_loader(limited(test_set, args), {.batch_size = 1000});
        const std::size_t side = train_set.rows(), pixels = side * train_set.cols();

        auto encoder = nn::Sequential(nn::Flatten(), nn::Linear(pixels, 128), nn::ReLU(), nn::Linear(128, code));
        auto decoder = nn::Sequential(
            nn::Linear(code, 128), nn::ReLU(), nn::Linear(128, pixels), nn::Sigmoid(),
            nn::Unflatten(1, {1, static_cast<std::int64_t>(side), static_cast<std::int64_t>(train_set.cols())}));
        nn::Sequential model;
        model.push_back("encoder", encoder);
        model.push_back("decoder", decoder);
        if (!args.load.empty()) nn::load(model, args.load);
        if (!args.quiet) std::cout << nn::summary(model, {args.batch_size, 1, side, train_set.cols()}) << "\n";
        auto reconstruction_loss = [&](const Tensor& out, const Tensor& x) {
            return loss_name == "mse" ? nn::functional::mse_loss(out, x) : nn::functional::binary_cross_entropy(out, x);
        };
        auto optimizer = make_optimizer(args, model.parameters());  // --optimizer adam|sgd
        optim::Optimizer& opt = *optimizer;

        EpochLog log(train_loader.size(), args.quiet);  // running loss, progress line, time, curves
        const int epochs = args.eval_only ? 0 : args.epochs;
        for (int epoch = 1; epoch <= epochs; ++epoch) {
            model.train();
            log.start_epoch(epoch);
            for (auto& [x, y] : train_loader) {
                opt.zero_grad();
                Tensor loss = reconstruction_loss(model(x), x);  // the target is the input itself
                loss.backward();
                opt.step();
                log.step(loss, x.shape()[0]);
            }
            model.eval();
            NoGradGuard no_grad;
            double test_sum = 0.0;
            for (auto& [x, y] : test_loader)
                test_sum += reconstruction_loss(model(x), x).item() * static_cast<double>(x.shape()[0]);
            log.end_epoch(loss_name, test_sum / static_cast<double>(test_loader.dataset().size()));
        }

        // The grid: 10 images per row, each row of originals followed by their reconstructions.
        model.eval();
        NoGradGuard no_grad;
        std::vector<std::size_t> picked(images);
        for (std::size_t i = 0; i < images; ++i) picked[i] = i;
        data::Batch batch = test_set.get_batch(picked);
        Tensor recon = model(batch.x);
        const std::size_t per_row = 10, rows = (images + per_row - 1) / per_row, w = per_row * side,
                          h = rows * 2 * side;
        std::vector<std::uint8_t> grid(w * h, 0);
        auto paste = [&](const float* img, std::size_t gx, std::size_t gy) {
            for (std::size_t r = 0; r < side; ++r)
                for (std::size_t c = 0; c < side; ++c)
                    grid[(gy * side + r) * w + gx * side + c] =
                        static_cast<std::uint8_t>(std::clamp(img[r * side + c], 0.0f, 1.0f) * 255.0f + 0.5f);
        };
        for (std::size_t i = 0; i < images; ++i) {
            paste(batch.x.data().data() + i * pixels, i % per_row, 2 * (i / per_row));
            paste(recon.data().data() + i * pixels, i % per_row, 2 * (i / per_row) + 1);
        }
        viz::write_png_gray(png, w, h, grid);
        std::printf("\nwrote %s: %zu test images (odd rows) and their reconstructions (even rows)\n", png.c_str(),
                    images);
        log.write_curves(args, "Autoencoder on " + args.data);
        if (!args.save.empty()) nn::save(model, args.save);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "autoencoder: %s\n", e.what());
        return 1;
    }
    return 0;
}
