// nn::summary: the rows, output shapes, parameter counts and totals of a model.
#include "helpers.hpp"

#include <sstream>
#include <tuple>

using namespace xg;

namespace {
nn::Sequential mlp() {
    return nn::Sequential(nn::Flatten(), nn::Linear(784, 256), nn::ReLU(), nn::Linear(256, 128), nn::ReLU(),
                          nn::Linear(128, 10));
}
bool has_line(const std::string& text, const std::string& start, const std::string& shape, const std::string& count) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.find(start) == 0 && line.find(shape) != std::string::npos && line.size() >= count.size() &&
            line.compare(line.size() - count.size(), count.size(), count) == 0) {
            return true;
        }
    }
    return false;
}
}  // namespace

TEST_CASE("summary: an MLP's rows, output shapes, parameter counts and totals", "[nn][summary]") {
    auto model = mlp();
    const std::string s = nn::summary(model, {64, 1, 28, 28});
    INFO(s);
    CHECK(has_line(s, "Sequential", "[64, 10]", "235,146"));
    CHECK(has_line(s, "  (0) Flatten", "[64, 784]", "0"));
    CHECK(has_line(s, "  (1) Linear", "[64, 256]", "200,960"));  // 784·256 + 256
    CHECK(has_line(s, "  (3) Linear", "[64, 128]", "32,896"));
    CHECK(has_line(s, "  (5) Linear", "[64, 10]", "1,290"));
    CHECK(s.find("Total params: 235,146") != std::string::npos);
    CHECK(s.find("Trainable params: 235,146") != std::string::npos);
    CHECK(s.find("Params size (MB): 0.90") != std::string::npos);
    CHECK(model.is_training());          // left as it was
    CHECK(autograd::live_nodes() == 0);  // ran under NoGradGuard
}

TEST_CASE("summary: runs in eval mode so running statistics and the generator stay as they were", "[nn][summary]") {
    manual_seed(0);
    nn::Sequential model(nn::Conv2d(1, 2, 3), nn::BatchNorm2d(2), nn::Dropout(0.5f));
    model[2].eval();  // a mixed tree: each module's own flag comes back
    const StateDict before = model.state_dict().clone();
    const std::string rng = get_rng_state();
    nn::summary(model, {2, 1, 5, 5});
    CHECK(get_rng_state() == rng);  // no dropout mask was drawn
    for (const auto& [name, t] : before.tensors) CHECK(test::all_close(model.state_dict().at(name), t, 0.0f));
    CHECK(model.state_dict().at("1.num_batches_tracked").item() == 0.0f);
    CHECK(model.is_training());
    CHECK(model[1].is_training());
    CHECK_FALSE(model[2].is_training());
}

TEST_CASE("summary: nested Sequentials are indented, with subtree totals and frozen parameters", "[nn][summary]") {
    nn::Sequential encoder(nn::Linear(8, 4), nn::Tanh());
    nn::Sequential model;
    model.push_back("encoder", encoder);
    model.push_back("head", nn::Linear(4, 2));
    encoder.at<nn::Linear>(0).weight.requires_grad_(false);
    const std::string s = nn::summary(model, {3, 8});
    INFO(s);
    CHECK(has_line(s, "  (encoder) Sequential", "[3, 4]", "36"));
    CHECK(has_line(s, "    (0) Linear", "[3, 4]", "36"));
    CHECK(has_line(s, "    (1) Tanh", "[3, 4]", "0"));
    CHECK(has_line(s, "  (head) Linear", "[3, 2]", "10"));
    CHECK(s.find("Total params: 46") != std::string::npos);
    CHECK(s.find("Trainable params: 14") != std::string::npos);
    CHECK(s.find("Non-trainable params: 32") != std::string::npos);
}

namespace {
// A U-Net-like skip: enc -> act -> dec, the encoder's output added back, one layer used twice.
struct Skip : nn::ModuleBase<Skip> {
    nn::Linear enc{6, 4}, dec{4, 6};
    nn::ReLU act;
    Skip() {
        register_module("enc", enc);
        register_module("act", act);
        register_module("dec", dec);
    }
    std::tuple<Tensor, Tensor> forward(const Tensor& x, const Tensor& noise) {
        Tensor h = act(enc(x + noise));
        Tensor h2 = act(h);  // the same layer again
        return {dec(h2) + x, h};
    }
};
}  // namespace

TEST_CASE("summary: a custom module with two inputs and two outputs, calls in order", "[modules][summary]") {
    Skip model;
    const Tensor x = Tensor::ones({3, 6}), noise = Tensor::zeros({3, 6});
    const std::string s = nn::summary(model, x, noise);
    INFO(s);
    CHECK(s.rfind("Input shapes: [3, 6], [3, 6]\n", 0) == 0);
    CHECK(has_line(s, "Skip", "[3, 6], [3, 4]", "58"));  // 6·4 + 4 + 4·6 + 6
    CHECK(has_line(s, "  (enc) Linear", "[3, 4]", "28"));
    CHECK(has_line(s, "  (act) ReLU", "[3, 4]", "0"));
    CHECK(has_line(s, "  (act) ReLU", "[3, 4]", "(recursive)"));  // its second call
    CHECK(has_line(s, "  (dec) Linear", "[3, 6]", "30"));
    // in the order the calls ran: enc, act, act, dec
    const auto at = [&](const std::string& what) { return s.find(what); };
    CHECK(at("(enc)") < at("(act)"));
    CHECK(at("(act)") < at("(dec)"));
    CHECK(s.find("(act)", at("(act)") + 1) < at("(dec)"));
    CHECK(s.find("Total params: 58") != std::string::npos);
    CHECK(autograd::live_nodes() == 0);  // ran under NoGradGuard
    CHECK(model.is_training());
    // The hooks are gone: a later call runs none.
    std::size_t rows = 0;
    model.enc.register_forward_pre_hook([&](nn::Module&, const std::vector<Tensor>&) { ++rows; });
    model(x, noise);
    CHECK(rows == 1);

    // A Sequential through the same entry, with a tensor instead of a shape.
    auto seq = nn::Sequential(nn::Linear(6, 2), nn::Tanh());
    const std::string t = nn::summary(seq, x);
    CHECK(has_line(t, "  (0) Linear", "[3, 2]", "14"));
    CHECK(t.rfind("Input shape: [3, 6]\n", 0) == 0);
}
