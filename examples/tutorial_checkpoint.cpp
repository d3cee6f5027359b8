// What a PyTorch training script does past the basics, ported line for line from
// examples/pytorch/tutorial_checkpoint.py: a module with its own forward, a layer kept frozen for
// the first epoch, no weight decay on biases (parameter groups), gradient accumulation, a linear
// warm-up, keeping the best model so far (a deep copy), and one checkpoint file holding model,
// optimizer, scheduler, epoch and random state, from which --resume continues exactly.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>

#include <xgrad.hpp>

using namespace xg;

class Classifier : public nn::Module {
public:
    Classifier() {
        register_module("features", features);
        register_module("head", head);
    }
    Tensor forward(const Tensor& x) override { return head(features(x)); }

    nn::Sequential features{nn::Flatten(), nn::Linear(28 * 28, 256), nn::ReLU(), nn::Dropout(0.2f)};
    nn::Linear head{256, 10};
};

double accuracy(Classifier& model, const data::DataLoader& loader) {
    model.eval();
    NoGradGuard no_grad;
    double correct = 0;
    for (auto& [x, y] : loader) correct += (model(x).argmax(1) == y).sum().item();
    return correct / static_cast<double>(loader.dataset().size());
}

int main(int argc, char** argv) {
    std::string root = "/usr/share/datasets/fashion-mnist", checkpoint = "checkpoint.safetensors", save;
    int epochs = 3, accumulate = 4, warmup = 200;
    std::size_t micro_batch = 16;
    std::uint64_t seed = 0;
    bool resume = false;
    CLI::App app{"Frozen layer, parameter groups, gradient accumulation, warm-up, best model and exact resume."};
    app.add_option("--data", root, "folder with the four Fashion-MNIST IDX files")->capture_default_str();
    app.add_option("--epochs", epochs, "train until this many epochs are done")->capture_default_str();
    app.add_option("--micro-batch", micro_batch, "examples per backward pass")->capture_default_str();
    app.add_option("--accumulate", accumulate, "backward passes per optimizer step")->capture_default_str();
    app.add_option("--warmup", warmup, "optimizer steps of linear warm-up")->capture_default_str();
    app.add_option("--seed", seed, "manual_seed for the initial weights, dropout and shuffling")->capture_default_str();
    app.add_option("--checkpoint", checkpoint, "the run's checkpoint, written after every epoch")
        ->capture_default_str();
    app.add_flag("--resume", resume, "continue the run saved in --checkpoint");
    app.add_option("--save", save, "write the best model's weights to FILE (safetensors)");
    CLI11_PARSE(app, argc, argv);
    manual_seed(seed);

    auto train_loader = data::DataLoader(data::MNIST(root, true), {.batch_size = micro_batch, .shuffle = true});
    auto test_loader = data::DataLoader(data::MNIST(root, false), {.batch_size = 1000});
    auto model = Classifier();
    auto loss_fn = nn::CrossEntropyLoss();

    // No weight decay on biases: two parameter groups.
    std::vector<Tensor> decay, no_decay;
    for (auto& [name, p] : model.named_parameters()) (name.ends_with("bias") ? no_decay : decay).push_back(p);
    auto optimizer = optim::AdamW({{decay}, {no_decay, {.weight_decay = 0.0}}}, {.lr = 1e-3, .weight_decay = 0.05});
    // Warm-up: the lr climbs from a tenth to its full value over the first `warmup` steps.
    auto scheduler = optim::LinearLR(optimizer, {.start_factor = 0.1, .total_iters = warmup});

    int start_epoch = 0;
    double best_accuracy = 0;
    if (resume) {
        StateDict ckpt = load(checkpoint);
        model.load_state_dict(ckpt.sub("model"));
        optimizer.load_state_dict(ckpt.sub("optimizer"));
        scheduler.load_state_dict(ckpt.sub("scheduler"));
        start_epoch = std::stoi(ckpt.meta("epoch"));
        best_accuracy = std::stod(ckpt.meta("best_accuracy"));
        set_rng_state(ckpt.meta("rng_state"));
        std::printf("resumed from %s after epoch %d\n", checkpoint.c_str(), start_epoch);
    }
    // The best weights so far: a snapshot (state_dict() shares the model's values; clone() copies them).
    StateDict best_state = resume ? load(checkpoint).sub("best") : model.state_dict().clone();

    for (int epoch = start_epoch; epoch < epochs; ++epoch) {
        // The first Linear stays as initialised for one epoch while the head settles.
        model.features.requires_grad_(epoch >= 1);
        model.train();
        double total = 0;
        int micro_step = 0;
        for (auto& [x, y] : train_loader) {
            Tensor loss = loss_fn(model(x), y) / static_cast<float>(accumulate);
            loss.backward();  // gradients add up over `accumulate` micro-batches
            total += loss.item();
            if (++micro_step % accumulate == 0) {
                optimizer.step();
                optimizer.zero_grad();
                scheduler.step();
            }
        }
        optimizer.zero_grad();  // a last partial accumulation is dropped, as in the Python
        double acc = accuracy(model, test_loader);
        std::printf("epoch %d  train loss %.4f  test accuracy %.2f%%  lr %.6f\n", epoch + 1,
                    total * accumulate / micro_step, 100 * acc, scheduler.get_last_lr()[0]);
        if (acc > best_accuracy) {
            best_accuracy = acc;
            best_state = model.state_dict().clone();
        }
        StateDict ckpt;
        ckpt.insert("model", model.state_dict());
        ckpt.insert("optimizer", optimizer.state_dict());
        ckpt.insert("scheduler", scheduler.state_dict());
        ckpt.insert("best", best_state);
        ckpt.metadata["epoch"] = std::to_string(epoch + 1);
        ckpt.metadata["best_accuracy"] = format_number(best_accuracy);
        ckpt.metadata["rng_state"] = get_rng_state();
        xg::save(ckpt, checkpoint);
    }
    auto best = nn::clone(model);  // a deep copy with its own parameters, not a second handle
    best.load_state_dict(best_state);
    std::printf("best test accuracy %.2f%% (the best model scores %.2f%%)\n", 100 * best_accuracy,
                100 * accuracy(best, test_loader));
    if (!save.empty()) nn::save(best, save);
}
