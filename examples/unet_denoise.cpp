// A small U-Net that removes Gaussian noise from Fashion-MNIST; examples/pytorch/unet_denoise.py is
// the same script in PyTorch, line for line. Two levels down (max pooling, 28 -> 14 -> 7), two up
// (ConvTranspose2d, 7 -> 14 -> 28), each way up concatenating the skip from the same level: the
// Up block is a module with two inputs, called as up(x, skip). Trained with MSE on clean + sigma·N(0, 1);
// reports the PSNR of the noisy and of the denoised test images and writes a PNG grid of
// noisy / denoised / clean rows. The parameter names are the twin's, so --save/--load move weights
// both ways.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdint>

#include "common.hpp"
#include "splitmix64.hpp"

using namespace xg;
using namespace examples;

// conv 3x3 -> ReLU -> conv 3x3 -> ReLU; padding 1 keeps the size: [N, in, H, W] -> [N, out, H, W].
struct DoubleConv : nn::Module {
    nn::Conv2d conv1, conv2;
    DoubleConv(std::size_t in, std::size_t out) : conv1(in, out, 3, 1, 1), conv2(out, out, 3, 1, 1) {
        register_module("conv1", conv1);
        register_module("conv2", conv2);
    }
    Tensor forward(const Tensor& x) override { return relu(conv2(relu(conv1(x)))); }
};

// One level down: 2x2 max pooling halves the size, then a DoubleConv: [N, in, H, W] -> [N, out, H/2, W/2].
struct Down : nn::Module {
    nn::MaxPool2d pool{2};
    DoubleConv conv;
    Down(std::size_t in, std::size_t out) : conv(in, out) {
        register_module("pool", pool);
        register_module("conv", conv);
    }
    Tensor forward(const Tensor& x) override { return conv(pool(x)); }
};

// One level up: a 2x2 ConvTranspose2d of stride 2 doubles the size and halves the channels
// (x [N, in, H, W] -> [N, in/2, 2H, 2W]), the skip from the way down (same size, in/2 channels) is
// concatenated in front, and a DoubleConv mixes the two: -> [N, out, 2H, 2W]. Two inputs, so a
// ModuleBase (nn/module.hpp): called as up(x, skip).
struct Up : nn::ModuleBase<Up> {
    nn::ConvTranspose2d up;
    DoubleConv conv;
    Up(std::size_t in, std::size_t out) : up(in, in / 2, 2, {.stride = 2}), conv(in, out) {
        register_module("up", up);
        register_module("conv", conv);
    }
    Tensor forward(const Tensor& x, const Tensor& skip) { return conv(cat({skip, up(x)}, 1)); }
};

// c = --channels: 1 -> c (28x28) -> 2c (14x14) -> 4c (7x7) -> 2c (14x14) -> c (28x28) -> 1.
// The output is the denoised image itself, no activation (MSE regression to the clean pixels).
struct UNet : nn::Module {
    DoubleConv inc;
    Down down1, down2;
    Up up1, up2;
    nn::Conv2d outc;
    explicit UNet(std::size_t c)
        : inc(1, c), down1(c, 2 * c), down2(2 * c, 4 * c), up1(4 * c, 2 * c), up2(2 * c, c), outc(c, 1, 1) {
        register_module("inc", inc);
        register_module("down1", down1);
        register_module("down2", down2);
        register_module("up1", up1);
        register_module("up2", up2);
        register_module("outc", outc);
    }
    Tensor forward(const Tensor& x) override {
        Tensor x1 = inc(x);       // [N, c, 28, 28]
        Tensor x2 = down1(x1);    // [N, 2c, 14, 14]
        Tensor x3 = down2(x2);    // [N, 4c, 7, 7]
        Tensor y = up1(x3, x2);   // [N, 2c, 14, 14]
        return outc(up2(y, x1));  // [N, c, 28, 28] -> [N, 1, 28, 28]
    }
};

// The test images' noise must be the same in both twins, or their PSNRs aren't comparable, and
// xgrad's generator (std::mt19937_64) and torch's differ. So it comes from a generator small
// enough to write in both: draw k of splitmix64 (examples/splitmix64.hpp) seeded with `key` is
// mix(key + (k + 1)·γ), a pure function of k that numpy computes for all k at once; pairs of draws become two N(0, 1)
// numbers by Box-Muller in double. numpy's log, cos and sin differ from libm's in the last bit
// of a double for about half of the draws; rounded to float, all 7.84 million of the test set
// agree (checked), so the noise is kept as float and each noisy pixel is computed from floats
// in double, which rounds the same everywhere. The key is fixed (not --seed), so every run sees
// the same noisy test set.

// n standard normal numbers, as floats: for pair j, u1 in (0, 1] and u2 in [0, 1) from draws 2j and 2j+1
// (their top 53 bits), r = √(-2 ln u1), numbers 2j and 2j+1 are r·cos(2πu2) and r·sin(2πu2).
std::vector<float> test_noise(std::size_t n, std::uint64_t key = 12) {
    std::vector<float> out(n);
    const double two_pi = 6.283185307179586, to_unit = 1.0 / 9007199254740992.0;  // 2^-53
    for (std::size_t j = 0; 2 * j < n; ++j) {
        const double u1 = static_cast<double>((examples::splitmix64(key, 2 * j) >> 11) + 1) * to_unit;
        const double u2 = examples::uniform(key, 2 * j + 1);
        const double r = std::sqrt(-2.0 * std::log(u1));
        out[2 * j] = static_cast<float>(r * std::cos(two_pi * u2));
        if (2 * j + 1 < n) out[2 * j + 1] = static_cast<float>(r * std::sin(two_pi * u2));
    }
    return out;
}

// clean + sigma·noise, not clamped to [0, 1]: the noise stays the zero-mean Gaussian it is said to
// be, so the noisy images' PSNR is -20·log10(sigma) (10.46 dB at 0.3) up to sampling; clamping
// would remove most of the noise on the black background and hide how much there is. Computed in
// double, rounded to float once, as the twin does.
Tensor add_test_noise(const Tensor& clean, double sigma) {
    const std::vector<float> noise = test_noise(clean.numel());
    std::vector<float> noisy(clean.numel());
    const float* c = clean.data().data();
    for (std::size_t i = 0; i < noisy.size(); ++i)
        noisy[i] = static_cast<float>(static_cast<double>(c[i]) + sigma * static_cast<double>(noise[i]));
    return Tensor::from_values(clean.shape(), noisy.data());
}

// The sum over the images of a batch of each one's PSNR against `clean` (dB, peak 1):
// -10·log10(mean over its pixels of (a - clean)²), in double. Reported as the mean over the test
// set of the per-image PSNR, as denoising papers average it (not the PSNR of the total MSE).
double psnr_sum(const Tensor& a, const Tensor& clean) {
    const std::size_t n = a.shape()[0], pixels = a.numel() / n;
    const float *pa = a.data().data(), *pc = clean.data().data();
    double total = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        double se = 0.0;
        for (std::size_t p = i * pixels; p < (i + 1) * pixels; ++p) {
            const double d = static_cast<double>(pa[p]) - static_cast<double>(pc[p]);
            se += d * d;
        }
        total += -10.0 * std::log10(se / static_cast<double>(pixels));
    }
    return total;
}

struct Psnr {
    double test_mse = 0.0, noisy = 0.0, denoised = 0.0;
};

// The denoised test images' MSE and the mean PSNR of the noisy and of the denoised ones.
Psnr evaluate_denoising(nn::Module& model, const data::DataLoader& test_loader) {
    model.eval();
    NoGradGuard no_grad;
    Psnr r;
    for (auto& [noisy, clean] : test_loader) {
        Tensor out = model(noisy);
        r.test_mse += nn::functional::mse_loss(out, clean).item() * static_cast<double>(clean.shape()[0]);
        r.noisy += psnr_sum(noisy, clean);
        r.denoised += psnr_sum(out, clean);
    }
    const auto n = static_cast<double>(test_loader.dataset().size());
    return {r.test_mse / n, r.noisy / n, r.denoised / n};
}

int main(int argc, char** argv) {
    TrainingArgs args;
    args.epochs = 2;
    args.batch_size = 64;
    args.threads = 2;
    double sigma = 0.3;
    std::size_t channels = 8, images = 20;
    std::string png = "unet_denoise.png";
    CLI::App app{"Train a small U-Net to remove Gaussian noise from Fashion-MNIST and report the PSNR."};
    add_training_flags(app, args);
    app.add_option("--sigma", sigma, "standard deviation of the Gaussian noise added to the images (pixels in [0, 1])")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--channels", channels, "channels at the top level (doubled at each level down)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app.add_option("--png", png, "where to write the grid of noisy, denoised and clean test images")
        ->capture_default_str();
    app.add_option("--images", images, "test images in the grid (10 per row)")
        ->capture_default_str()
        ->check(CLI::Range(1, 200));
    CLI11_PARSE(app, argc, argv);

    try {
        manual_seed(args.seed);
        set_num_threads(args.threads);
        if (!data_folder_exists(args, "unet_denoise")) return 2;
        data::MNIST train_set(args.data, true), test_set(args.data, false);
        data::DataLoader train_loader(limited(train_set, args), {.batch_size = args.batch_size, .shuffle = true});
        // The test set, noisy and clean, with the fixed noise of test_noise(): the twin's, bit for bit.
        const data::Subset test_subset = limited(test_set, args);
        Tensor test_clean = test_subset.get_batch(data::first_n(test_subset.size())).x;  // [N, 1, 28, 28]
        Tensor test_noisy = add_test_noise(test_clean, sigma);
        data::DataLoader test_loader(data::TensorDataset(test_noisy, test_clean), {.batch_size = 1000});
        const std::size_t side = train_set.rows();

        UNet model(channels);
        if (!args.load.empty()) nn::load(model, args.load);
        if (!args.quiet) std::cout << nn::summary(model, {args.batch_size, 1, side, train_set.cols()}) << "\n";
        auto optimizer = make_optimizer(args, model.parameters());  // --optimizer adam|sgd
        optim::Optimizer& opt = *optimizer;

        // Per epoch: train mse, test mse and the two PSNRs (EpochLog's curves know one loss only).
        viz::MetricsLog curves("epoch");
        EpochLog log(train_loader.size(), args.quiet);  // running loss, progress line, time
        const int epochs = args.eval_only ? 0 : args.epochs;
        for (int epoch = 1; epoch <= epochs; ++epoch) {
            model.train();
            log.start_epoch(epoch);
            for (auto& [x, y] : train_loader) {
                Tensor noisy = x + static_cast<float>(sigma) * Tensor::randn(x.shape());  // fresh noise each time
                opt.zero_grad();
                Tensor loss = nn::functional::mse_loss(model(noisy), x);  // the target is the clean image
                loss.backward();
                opt.step();
                log.step(loss, x.shape()[0]);
            }
            const Psnr r = evaluate_denoising(model, test_loader);
            std::printf("epoch %d: train mse %.5f, test mse %.5f, test PSNR noisy %.2f dB, denoised %.2f dB, %.1f s\n",
                        epoch, log.train_loss(), r.test_mse, r.noisy, r.denoised, log.train_seconds());
            std::fflush(stdout);
            curves.log(epoch, "train mse", log.train_loss());
            curves.log(epoch, "test mse", r.test_mse);
            curves.log(epoch, "test PSNR noisy (dB)", r.noisy);
            curves.log(epoch, "test PSNR denoised (dB)", r.denoised);
        }
        const Psnr final_result = evaluate_denoising(model, test_loader);

        // The grid: 10 images per row, in groups of three rows: noisy, denoised, clean.
        NoGradGuard no_grad;
        const std::size_t shown = std::min(images, test_subset.size()), pixels = side * side;
        Tensor noisy = slice(test_noisy, 0, 0, static_cast<std::int64_t>(shown));
        Tensor clean = slice(test_clean, 0, 0, static_cast<std::int64_t>(shown));
        Tensor denoised = model(noisy);
        const std::size_t per_row = 10, groups = (shown + per_row - 1) / per_row, w = per_row * side,
                          h = groups * 3 * side;
        std::vector<std::uint8_t> grid(w * h, 0);
        auto paste = [&](const Tensor& batch, std::size_t i, std::size_t gx, std::size_t gy) {
            const float* img = batch.data().data() + i * pixels;
            for (std::size_t r = 0; r < side; ++r)
                for (std::size_t c = 0; c < side; ++c)
                    grid[(gy * side + r) * w + gx * side + c] =
                        static_cast<std::uint8_t>(std::clamp(img[r * side + c], 0.0f, 1.0f) * 255.0f + 0.5f);
        };
        for (std::size_t i = 0; i < shown; ++i) {
            paste(noisy, i, i % per_row, 3 * (i / per_row));
            paste(denoised, i, i % per_row, 3 * (i / per_row) + 1);
            paste(clean, i, i % per_row, 3 * (i / per_row) + 2);
        }
        viz::write_png_gray(png, w, h, grid);
        std::printf("\nwrote %s: %zu test images, rows of noisy, denoised and clean\n", png.c_str(), shown);
        if (!args.metrics.empty()) curves.write_csv(args.metrics);
        if (!args.plot.empty()) curves.write_svg(args.plot, "U-Net denoising on " + args.data);
        std::printf("test PSNR (mean over %zu images, sigma %g): noisy %.3f dB, denoised %.3f dB\n", test_subset.size(),
                    sigma, final_result.noisy, final_result.denoised);
        if (!args.save.empty()) {
            nn::save(model, args.save);
            std::printf("saved the weights to %s\n", args.save.c_str());
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "unet_denoise: %s\n", e.what());
        return 1;
    }
    return 0;
}
