// RNN, LSTM, GRU and their cells: PyTorch's outputs and gradients for PyTorch's weights
// (tests/reference/make_rnn_reference.py), numerical gradient checks of every layer and cell,
// dropout between layers, the module machinery (names, printing, hooks, clone, summary) and errors.
#include "helpers.hpp"

#include <sstream>

using namespace xg;

namespace {

// What a layer or cell returned; undefined where it has no such result (a cell's output, GRU's c_n).
struct Result {
    Tensor output, h_n, c_n;
};
using Runner = std::function<Result(const Tensor& x, const Tensor& h0, const Tensor& c0)>;

// Calls the module as a user would: without a state when h0 is undefined.
template <class M>
Runner runner(M& m) {
    return [&m](const Tensor& x, const Tensor& h0, const Tensor& c0) -> Result {
        if constexpr (std::is_same_v<M, nn::LSTM>) {
            auto [output, state] = h0.defined() ? m(x, {h0, c0}) : m(x);
            return {output, state.h, state.c};
        } else if constexpr (std::is_same_v<M, nn::LSTMCell>) {
            auto [h, c] = h0.defined() ? m(x, {h0, c0}) : m(x);
            return {Tensor(), h, c};
        } else if constexpr (std::is_same_v<M, nn::RNNCell> || std::is_same_v<M, nn::GRUCell>) {
            return {Tensor(), h0.defined() ? m(x, h0) : m(x), Tensor()};
        } else {
            auto [output, h_n] = h0.defined() ? m(x, h0) : m(x);
            return {output, h_n, Tensor()};
        }
    };
}

const StateDict& torch_reference() {
    static const StateDict d = load(test::source_path("tests/reference/torch_rnn.safetensors"));
    return d;
}

std::vector<float> values(const Tensor& t) { return {t.data().begin(), t.data().end()}; }

// Loads PyTorch's weights for `name` into m (strictly), runs PyTorch's input and state through it
// and compares the results, and the gradients of sum(output·gout) + sum(h_n·gh) + sum(c_n·gc)
// with respect to the input, the state and every parameter, with PyTorch's.
template <class M>
void check_torch_case(const std::string& name, M m) {
    INFO(name);
    const StateDict ref = torch_reference().sub(name);
    const nn::IncompatibleKeys keys = m.load_state_dict(ref.sub("model"));  // strict: names and shapes match
    CHECK(keys.missing_keys.empty());
    const Tensor x = ref.at("input").detach().requires_grad_();
    Tensor h0, c0;
    if (ref.contains("h0")) h0 = ref.at("h0").detach().requires_grad_();
    if (ref.contains("c0")) c0 = ref.at("c0").detach().requires_grad_();
    const Result r = runner(m)(x, h0, c0);
    Tensor loss = Tensor::zeros({});
    const std::vector<std::pair<std::string, Tensor>> results{{"output", r.output}, {"h_n", r.h_n}, {"c_n", r.c_n}};
    const char* weights[] = {"gout", "gh", "gc"};
    for (std::size_t i = 0; i < 3; ++i) {
        const auto& [key, got] = results[i];
        REQUIRE(got.defined() == ref.contains(key));
        if (!got.defined()) continue;
        CHECK(got.shape() == ref.at(key).shape());
        test::check_against(key, got, values(ref.at(key)), 1e-5f, 1e-4f);
        loss = loss + sum(got * ref.at(weights[i]));
    }
    loss.backward();
    test::check_against("grad.input", x.grad(), values(ref.at("grad.input")), 1e-5f, 1e-4f);
    if (h0.defined()) test::check_against("grad.h0", h0.grad(), values(ref.at("grad.h0")), 1e-5f, 1e-4f);
    if (c0.defined()) test::check_against("grad.c0", c0.grad(), values(ref.at("grad.c0")), 1e-5f, 1e-4f);
    for (const auto& [pname, p] : m.named_parameters()) {
        REQUIRE(p.grad().defined());
        test::check_against("grad." + pname, p.grad(), values(ref.at("grad." + pname)), 1e-5f, 1e-4f);
    }
}

}  // namespace

TEST_CASE("RNN: PyTorch's weights give PyTorch's outputs and gradients", "[rnn]") {
    check_torch_case("rnn_tanh", nn::RNN(3, 4, {.num_layers = 2, .batch_first = true}));
    check_torch_case("rnn_relu", nn::RNN(3, 4, {.nonlinearity = "relu"}));
}

TEST_CASE("LSTM: PyTorch's weights give PyTorch's outputs and gradients", "[rnn]") {
    check_torch_case("lstm", nn::LSTM(3, 4, 2));
    check_torch_case("lstm_nobias_bi",
                     nn::LSTM(3, 4, {.num_layers = 2, .bias = false, .batch_first = true, .bidirectional = true}));
}

TEST_CASE("GRU: PyTorch's weights give PyTorch's outputs and gradients", "[rnn]") {
    check_torch_case("gru", nn::GRU(3, 4, 2));
    check_torch_case("gru_bi_unbatched", nn::GRU(3, 4, {.bidirectional = true}));
}

TEST_CASE("RNNCell LSTMCell GRUCell: PyTorch's weights give PyTorch's outputs and gradients", "[rnn]") {
    check_torch_case("rnn_cell", nn::RNNCell(3, 4));
    check_torch_case("lstm_cell", nn::LSTMCell(3, 4));
    check_torch_case("gru_cell", nn::GRUCell(3, 4));
}
