// RNN, LSTM, GRU and their cells: PyTorch's outputs and gradients for PyTorch's weights
// (tests/reference/make_rnn_reference.py), numerical gradient checks of every layer and cell,
// dropout between layers, the module machinery (names, printing, hooks, clone, summary) and errors.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "helpers.hpp"

#include <sstream>

using namespace xg;

namespace {

// What f writes to stderr (file descriptor 2, where fprintf(stderr) goes).
template <class F>
std::string stderr_of(F f) {
    std::fflush(stderr);
    const int saved = dup(2);
    std::FILE* tmp = std::tmpfile();
    dup2(fileno(tmp), 2);
    f();
    std::fflush(stderr);
    dup2(saved, 2);
    close(saved);
    std::rewind(tmp);
    std::string out;
    for (int c; (c = std::fgetc(tmp)) != EOF;) out.push_back(static_cast<char>(c));
    std::fclose(tmp);
    return out;
}

}  // namespace

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

namespace {

// gradcheck (and, if asked, gradgradcheck) of everything m returns, over the input, the initial
// state (when state_shapes are given) and every parameter of m.
template <class M>
void check_grads(M m, const Shape& x_shape, const std::vector<Shape>& state_shapes, bool second_order = false) {
    std::vector<Tensor> inputs{Tensor::randn(x_shape, true)};
    for (const Shape& s : state_shapes) inputs.push_back(Tensor::randn(s, true));
    const std::size_t states = state_shapes.size();
    for (const Tensor& p : m.parameters()) inputs.push_back(p);  // the module's own: perturbed in place
    const Runner run = runner(m);
    auto fn = [&](const std::vector<Tensor>& in) {
        const Result r = run(in[0], states > 0 ? in[1] : Tensor(), states > 1 ? in[2] : Tensor());
        std::vector<Tensor> parts;
        for (const Tensor& t : {r.output, r.h_n, r.c_n})
            if (t.defined()) parts.push_back(flatten(t));
        return cat(parts, 0);
    };
    CHECK_NOTHROW(autograd::gradcheck(fn, inputs));
    if (second_order) CHECK_NOTHROW(autograd::gradgradcheck(fn, inputs));
}

}  // namespace

TEST_CASE("RNN: gradcheck over input h0 and weights (tanh 2 layers batch_first; relu bidirectional)", "[rnn][grad]") {
    manual_seed(11);
    check_grads(nn::RNN(2, 3, {.num_layers = 2, .batch_first = true}), {2, 3, 2}, {});
    check_grads(nn::RNN(2, 3, {.nonlinearity = "relu", .bidirectional = true}), {3, 2, 2}, {{2, 2, 3}});
}

TEST_CASE("LSTM: gradcheck over input h0 c0 and weights (2 layers; bidirectional unbatched without bias)",
          "[rnn][grad]") {
    manual_seed(12);
    check_grads(nn::LSTM(2, 3, 2), {3, 2, 2}, {{2, 2, 3}, {2, 2, 3}});
    check_grads(nn::LSTM(2, 3, {.bias = false, .bidirectional = true}), {3, 2}, {{2, 3}, {2, 3}});
}

TEST_CASE("GRU: gradcheck over input h0 and weights (2 layers bidirectional; batch_first)", "[rnn][grad]") {
    manual_seed(13);
    check_grads(nn::GRU(2, 3, {.num_layers = 2, .bidirectional = true}), {3, 2, 2}, {{4, 2, 3}});
    check_grads(nn::GRU(2, 3, {.batch_first = true}), {2, 3, 2}, {});
}

TEST_CASE("cells: gradcheck of RNNCell (tanh and relu) and gradgradcheck of LSTMCell and GRUCell", "[rnn][grad]") {
    manual_seed(14);
    check_grads(nn::RNNCell(2, 3), {2, 2}, {{2, 3}});
    check_grads(nn::RNNCell(2, 3, true, "relu"), {2}, {});
    check_grads(nn::LSTMCell(2, 3), {2, 2}, {{2, 3}, {2, 3}}, true);  // second order too
    check_grads(nn::GRUCell(2, 3), {2, 2}, {{2, 3}}, true);
    check_grads(nn::GRUCell(2, 3, false), {2}, {});
}

namespace {
// The parameters of layer `from` of a stacked layer, renamed as layer `to`'s ("_l1" -> "_l0"), or
// as a cell's (to = "": "weight_ih_l0" -> "weight_ih").
StateDict layer_weights(const nn::Module& m, const std::string& from, const std::string& to) {
    StateDict d;
    for (const auto& [name, t] : m.named_parameters()) {
        const auto at = name.find(from);
        if (at != std::string::npos && at + from.size() == name.size()) d.add(name.substr(0, at) + to, t);
    }
    return d;
}
}  // namespace

TEST_CASE("LSTM: dropout acts between layers in training only; dropout 0 in training equals eval", "[rnn]") {
    manual_seed(21);
    const Tensor x = Tensor::randn({5, 2, 3});
    nn::LSTM lstm(3, 4, {.num_layers = 3, .dropout = 0.5f});
    lstm.eval();
    const Tensor y_eval = lstm(x).output;
    CHECK(test::all_close(lstm(x).output, y_eval, 0.0f));  // no randomness in eval
    lstm.train();
    manual_seed(1);
    const Tensor y_train = lstm(x).output;
    manual_seed(1);
    CHECK(test::all_close(lstm(x).output, y_train, 0.0f));  // the same seed, the same masks
    CHECK_FALSE(test::all_close(y_train, y_eval, 1e-3f));

    nn::LSTM no_dropout(3, 4, {.num_layers = 3});
    no_dropout.load_state_dict(lstm.state_dict());
    no_dropout.train();
    CHECK(test::all_close(no_dropout(x).output, y_eval, 0.0f));
    // Nothing to drop between one layer's steps: PyTorch's warning, on stderr.
    const std::string warned = stderr_of([] { nn::LSTM(3, 4, {.dropout = 0.5f}); });
    CHECK_THAT(warned, Catch::Contains("dropout option adds dropout after all but last recurrent layer, so "
                                       "non-zero dropout expects num_layers greater than 1"));
    CHECK(stderr_of([] { nn::LSTM(3, 4, {.num_layers = 2, .dropout = 0.5f}); }).empty());
    nn::LSTM one_layer(3, 4, {.dropout = 0.5f});
    one_layer.train();
    const Tensor y1 = one_layer(x).output;
    one_layer.eval();
    CHECK(test::all_close(one_layer(x).output, y1, 0.0f));

    // dropout = 1: the second layer sees zeros, so its output is its weights' on a zero input.
    nn::GRU all(3, 4, {.num_layers = 2, .dropout = 1.0f});
    all.train();
    auto [y, h_n] = all(x);
    nn::GRU second(4, 4);
    second.load_state_dict(layer_weights(all, "_l1", "_l0"));
    CHECK(test::all_close(y, second(Tensor::zeros({5, 2, 4})).output));
}

TEST_CASE("LSTM: parameter names and shapes as PyTorch's; all_weights; init U(-1/sqrt(H) 1/sqrt(H))", "[rnn]") {
    manual_seed(22);
    nn::LSTM lstm(3, 4, {.num_layers = 2, .bidirectional = true});
    std::vector<std::string> names;
    for (const auto& [name, t] : lstm.named_parameters()) names.push_back(name);
    std::vector<std::string> want;
    for (const std::string layer : {"_l0", "_l1"})
        for (const std::string dir : {"", "_reverse"})
            for (const std::string w : {"weight_ih", "weight_hh", "bias_ih", "bias_hh"})
                want.push_back(w + layer + dir);
    CHECK(names == want);
    CHECK(lstm.named_parameters()[0].second.shape() == Shape{16, 3});
    CHECK(lstm.named_parameters()[1].second.shape() == Shape{16, 4});
    CHECK(lstm.named_parameters()[2].second.shape() == Shape{16});
    CHECK(lstm.named_parameters()[8].second.shape() == Shape{16, 8});  // weight_ih_l1 takes both directions
    REQUIRE(lstm.all_weights.size() == 4);
    CHECK(lstm.all_weights[1][0].impl() == lstm.named_parameters()[4].second.impl());  // weight_ih_l0_reverse
    float largest = 0.0f;
    for (const Tensor& p : lstm.parameters()) largest = std::max(largest, max(abs(p)).item());
    CHECK(largest <= 0.5f);  // 1/√4
    CHECK(largest > 0.45f);

    nn::GRUCell cell(3, 5, false);
    CHECK(cell.named_parameters().size() == 2);
    CHECK(cell.weight_ih.shape() == Shape{15, 3});
    CHECK(cell.weight_hh.shape() == Shape{15, 5});
    CHECK_FALSE(cell.bias_ih.defined());
    CHECK(nn::LSTM(3, 4, {.bias = false}).parameters().size() == 2);
}

TEST_CASE("RNN LSTM GRU and cells print as PyTorch's", "[rnn]") {
    std::ostringstream s;
    s << nn::RNN(3, 4,
                 {.num_layers = 2,
                  .nonlinearity = "relu",
                  .bias = false,
                  .batch_first = true,
                  .dropout = 0.5f,
                  .bidirectional = true})
      << '\n'
      << nn::LSTM(3, 4) << '\n'
      << nn::GRU(3, 4, 2) << '\n'
      << nn::RNNCell(3, 4, false, "relu") << '\n'
      << nn::LSTMCell(3, 4) << '\n'
      << nn::GRUCell(3, 4);
    CHECK(s.str() ==
          "RNN(3, 4, num_layers=2, bias=false, batch_first=true, dropout=0.5, bidirectional=true)\n"
          "LSTM(3, 4)\nGRU(3, 4, num_layers=2)\nRNNCell(3, 4, bias=false, nonlinearity=relu)\nLSTMCell(3, 4)\n"
          "GRUCell(3, 4)");
    const nn::RNN rnn(3, 4, {.nonlinearity = "relu"});
    CHECK(rnn.nonlinearity == "relu");
    CHECK(rnn.hidden_size == 4);
}

TEST_CASE("LSTM: a state carried on; batch_first and unbatched agree with time-major; the cell unrolled", "[rnn]") {
    manual_seed(23);
    nn::LSTM lstm(3, 4, 2);
    const Tensor x = Tensor::randn({5, 2, 3});
    auto [y, state] = lstm(x);
    CHECK(y.shape() == Shape{5, 2, 4});
    CHECK(state.h.shape() == Shape{2, 2, 4});
    CHECK(state.c.shape() == Shape{2, 2, 4});
    // Two calls, the state carried from the first to the second, as one call over the whole sequence.
    auto [y1, s1] = lstm(slice(x, 0, 0, 3));
    auto [y2, s2] = lstm(slice(x, 0, 3, 5), s1);
    CHECK(test::all_close(cat({y1, y2}, 0), y));
    CHECK(test::all_close(s2.h, state.h));
    CHECK(test::all_close(s2.c, state.c));
    auto [y3, s3] = lstm(slice(x, 0, 3, 5), {s1.h, s1.c});  // PyTorch's lstm(x, (h0, c0))
    CHECK(test::all_close(y3, y2));

    nn::LSTM batch_first(3, 4, {.num_layers = 2, .batch_first = true});
    batch_first.load_state_dict(lstm.state_dict());
    auto [yb, sb] = batch_first(transpose(x, 0, 1));
    CHECK(test::all_close(transpose(yb, 0, 1), y));
    CHECK(test::all_close(sb.h, state.h));

    auto [yu, su] = lstm(select(x, 1, 1));  // unbatched [L, in]: the second sequence alone
    CHECK(yu.shape() == Shape{5, 4});
    CHECK(su.h.shape() == Shape{2, 4});
    CHECK(test::all_close(yu, select(y, 1, 1)));
    CHECK(test::all_close(su.c, select(state.c, 1, 1)));

    // LSTMCell with the first layer's weights, stepped by hand, gives the first layer's h and c.
    nn::LSTM one(3, 4);
    nn::LSTMCell cell(3, 4);
    cell.load_state_dict(layer_weights(one, "_l0", ""));
    auto [y_one, s_one] = one(x);
    nn::LSTMState s;
    for (std::int64_t t = 0; t < 5; ++t) {
        s = s.h.defined() ? cell(select(x, 0, t), s) : cell(select(x, 0, t));
        CHECK(test::all_close(s.h, select(y_one, 0, t)));
    }
    CHECK(test::all_close(s.c, select(s_one.c, 0, 0)));
    // An empty batch gives empty results, as in PyTorch.
    CHECK(lstm(Tensor::zeros({5, 0, 3})).output.shape() == Shape{5, 0, 4});
}

TEST_CASE("LSTM: hooks see the input the state and every result; clone; summary; a cell in a Sequential", "[rnn]") {
    manual_seed(24);
    nn::LSTM lstm(3, 4);
    std::size_t seen_in = 0, seen_out = 0;
    auto hook = lstm.register_forward_hook(
        nn::AnyForwardHook([&](nn::Module&, const std::vector<Tensor>& in, const std::vector<Tensor>& out) {
            seen_in = in.size();
            seen_out = out.size();
        }));
    const Tensor x = Tensor::randn({5, 2, 3}), h0 = Tensor::randn({1, 2, 4}), c0 = Tensor::randn({1, 2, 4});
    auto [y, state] = lstm(x, {h0, c0});
    CHECK(seen_in == 3);   // x, h0, c0
    CHECK(seen_out == 3);  // output, h_n, c_n
    lstm(x);
    CHECK(seen_in == 1);
    hook.remove();

    nn::LSTM copy = lstm.clone();
    CHECK(copy.all_weights[0][0].impl() != lstm.all_weights[0][0].impl());
    CHECK(copy.all_weights[0][0].impl() == copy.named_parameters()[0].second.impl());  // the member follows
    CHECK(test::all_close(copy(x, {h0, c0}).output, y));
    nn::init::zeros_(copy.all_weights[0][1]);
    CHECK_FALSE(test::all_close(copy(x, {h0, c0}).output, y, 1e-3f));

    const std::string table = nn::summary(lstm, x);
    CHECK(table.find("LSTM") != std::string::npos);
    CHECK(table.find("[5, 2, 4]") != std::string::npos);

    auto model = nn::Sequential(nn::GRUCell(3, 4), nn::Linear(4, 2));  // a cell is one tensor in, one out
    CHECK(model(Tensor::randn({6, 3})).shape() == Shape{6, 2});
}

TEST_CASE("RNN LSTM GRU and cells: bad input names the layer and the shapes", "[rnn][errors]") {
    nn::LSTM lstm(3, 4);
    CHECK_THROWS_WITH(lstm(Tensor::zeros({5, 2, 7})),
                      Catch::Contains("LSTM(3, 4): input [5, 2, 7] has 7 features, expected input_size 3"));
    CHECK_THROWS_WITH(lstm(Tensor::zeros({1, 5, 2, 3})),
                      Catch::Contains("LSTM(3, 4): input must be [L, N, 3] or unbatched [L, 3], got [1, 5, 2, 3]"));
    CHECK_THROWS_WITH(nn::GRU(3, 4, {.batch_first = true})(Tensor::zeros({3})),
                      Catch::Contains("GRU(3, 4, batch_first=true): input must be [N, L, 3]"));
    CHECK_THROWS_WITH(lstm(Tensor::zeros({0, 2, 3})), Catch::Contains("input [0, 2, 3] is a sequence of length 0"));
    CHECK_THROWS_WITH(nn::GRU(3, 4, 2)(Tensor::zeros({5, 2, 3}), Tensor::zeros({1, 2, 4})),
                      Catch::Contains("GRU(3, 4, num_layers=2): h0 [1, 2, 4] should be [2, 2, 4] ([num_layers, N, "
                                      "hidden_size]) for input [5, 2, 3]"));
    CHECK_THROWS_WITH(nn::RNN(3, 4, {.bidirectional = true})(Tensor::zeros({5, 3}), Tensor::zeros({2, 1, 4})),
                      Catch::Contains("h0 [2, 1, 4] should be [2, 4] ([2·num_layers, hidden_size]) for input [5, 3]"));
    CHECK_THROWS_WITH(lstm(Tensor::zeros({5, 2, 3}), {Tensor::zeros({1, 2, 4}), Tensor::zeros({1, 3, 4})}),
                      Catch::Contains("LSTM(3, 4): c0 [1, 3, 4] should be [1, 2, 4]"));
    CHECK_THROWS_WITH(lstm(Tensor::zeros({5, 2, 3}), {Tensor::zeros({1, 2, 4}), Tensor()}),
                      Catch::Contains("LSTM(3, 4): give both h0 and c0"));

    CHECK_THROWS_WITH(nn::LSTM(3, 4, {.num_layers = 0}), Catch::Contains("LSTM: num_layers must be at least 1, got 0"));
    CHECK_THROWS_WITH(nn::GRU(3, 4, {.num_layers = 2, .dropout = 1.5f}),
                      Catch::Contains("GRU: dropout must be between 0 and 1") && Catch::Contains("got 1.5"));
    CHECK_THROWS_WITH(nn::RNN(3, 4, {.dropout = -0.1f}), Catch::Contains("RNN: dropout must be between 0 and 1"));
    CHECK_THROWS_WITH(nn::LSTM(3, 4, {.dropout = std::nanf("")}), Catch::Contains("got nan"));
    CHECK_THROWS_WITH(nn::RNN(3, 4, {.nonlinearity = "sigmoid"}),
                      Catch::Contains("RNN: unknown nonlinearity 'sigmoid' (use \"tanh\" or \"relu\")"));
    CHECK_THROWS_WITH(nn::RNNCell(3, 4, true, "gelu"), Catch::Contains("RNNCell: unknown nonlinearity 'gelu'"));
    CHECK_THROWS_WITH(nn::GRU(3, 0),
                      Catch::Contains("GRU: input_size and hidden_size must be positive, got GRU(3, 0)"));
    CHECK_THROWS_WITH(nn::LSTMCell(0, 4), Catch::Contains("LSTMCell: input_size and hidden_size must be positive"));

    nn::LSTMCell cell(3, 4);
    CHECK_THROWS_WITH(cell(Tensor::zeros({5, 2, 3})),
                      Catch::Contains("LSTMCell(3, 4): input must be [N, 3] or unbatched [3], got [5, 2, 3]"));
    CHECK_THROWS_WITH(nn::GRUCell(3, 4)(Tensor::zeros({2, 5})),
                      Catch::Contains("GRUCell(3, 4): input [2, 5] has 5 features, expected input_size 3"));
    CHECK_THROWS_WITH(nn::RNNCell(3, 4)(Tensor::zeros({2, 3}), Tensor::zeros({3, 4})),
                      Catch::Contains("RNNCell(3, 4): hx [3, 4] should be [2, 4] for input [2, 3]"));
    CHECK_THROWS_WITH(cell(Tensor::zeros({3}), {Tensor::zeros({4}), Tensor::zeros({1, 4})}),
                      Catch::Contains("LSTMCell(3, 4): cx [1, 4] should be [4] for input [3]"));
    CHECK_THROWS_WITH(cell(Tensor::zeros({2, 3}), {Tensor(), Tensor::zeros({2, 4})}),
                      Catch::Contains("LSTMCell(3, 4): give both h and c"));
}
