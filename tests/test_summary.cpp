// nn::summary: the rows, output shapes, parameter counts and totals of a model.
#include "helpers.hpp"

#include <sstream>

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
