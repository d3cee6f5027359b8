// PyTorch's tutorials "Build the Neural Network" and "Optimizing Model Parameters", ported line
// for line: examples/pytorch/tutorial_fashion.py is the tutorials' script. A 784-512-512-10 MLP
// written as a module with its own forward learns Fashion-MNIST with SGD; after each epoch the
// test loop prints accuracy and average loss as the tutorial does.
#include <CLI/CLI.hpp>

#include <cstdio>

#include <xgrad.hpp>

using namespace xg;

class NeuralNetwork : public nn::Module {
public:
    NeuralNetwork() {
        register_module("flatten", flatten);
        register_module("linear_relu_stack", linear_relu_stack);
    }
    Tensor forward(const Tensor& x) override {
        Tensor h = flatten(x);
        Tensor logits = linear_relu_stack(h);
        return logits;
    }

private:
    nn::Flatten flatten;
    nn::Sequential linear_relu_stack{nn::Linear(28 * 28, 512), nn::ReLU(), nn::Linear(512, 512), nn::ReLU(),
                                     nn::Linear(512, 10)};
};

void train_loop(const data::DataLoader& dataloader, NeuralNetwork& model, nn::CrossEntropyLoss& loss_fn,
                optim::Optimizer& optimizer, std::size_t batch_size) {
    std::size_t size = dataloader.dataset().size();
    // Set the model to training mode - important for batch normalization and dropout layers.
    model.train();
    std::size_t batch = 0;
    for (auto& [X, y] : dataloader) {
        // Compute prediction and loss
        Tensor pred = model(X);
        Tensor loss = loss_fn(pred, y);

        // Backpropagation
        loss.backward();
        optimizer.step();
        optimizer.zero_grad();

        if (batch % 100 == 0) {
            std::size_t current = batch * batch_size + X.size(0);
            std::printf("loss: %7f  [%5zu/%5zu]\n", loss.item(), current, size);
        }
        ++batch;
    }
}

void test_loop(const data::DataLoader& dataloader, NeuralNetwork& model, nn::CrossEntropyLoss& loss_fn) {
    // Set the model to evaluation mode - important for batch normalization and dropout layers.
    model.eval();
    std::size_t size = dataloader.dataset().size();
    std::size_t num_batches = dataloader.size();
    double test_loss = 0, correct = 0;

    // Evaluating the model with NoGradGuard ensures that no gradients are computed during test mode.
    NoGradGuard no_grad;
    for (auto& [X, y] : dataloader) {
        Tensor pred = model(X);
        test_loss += loss_fn(pred, y).item();
        correct += (pred.argmax(1) == y).sum().item();
    }
    test_loss /= static_cast<double>(num_batches);
    correct /= static_cast<double>(size);
    std::printf("Test Error: \n Accuracy: %0.1f%%, Avg loss: %8f \n\n", 100 * correct, test_loss);
}

int main(int argc, char** argv) {
    std::string root = "/usr/share/datasets/fashion-mnist";
    int epochs = 10;
    std::uint64_t seed = 0;
    CLI::App app{"Fashion-MNIST with a 784-512-512-10 MLP and SGD (PyTorch's quickstart tutorials)."};
    app.add_option("--data", root, "folder with the four Fashion-MNIST IDX files")->capture_default_str();
    app.add_option("--epochs", epochs, "passes over the training set")->capture_default_str();
    app.add_option("--seed", seed, "manual_seed for the initial weights and shuffling")->capture_default_str();
    CLI11_PARSE(app, argc, argv);
    manual_seed(seed);

    auto training_data = data::MNIST(root, /*train=*/true);
    auto test_data = data::MNIST(root, /*train=*/false);
    double learning_rate = 1e-3;
    std::size_t batch_size = 64;
    auto train_dataloader = data::DataLoader(training_data, {.batch_size = batch_size, .shuffle = true});
    auto test_dataloader = data::DataLoader(test_data, {.batch_size = batch_size});

    auto model = NeuralNetwork();
    std::cout << model << "\n";

    // Initialize the loss function
    auto loss_fn = nn::CrossEntropyLoss();
    auto optimizer = optim::SGD(model.parameters(), learning_rate);

    for (int t = 0; t < epochs; ++t) {
        std::printf("Epoch %d\n-------------------------------\n", t + 1);
        train_loop(train_dataloader, model, loss_fn, optimizer, batch_size);
        test_loop(test_dataloader, model, loss_fn);
    }
    std::printf("Done!\n");
}
