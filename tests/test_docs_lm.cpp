// The code of docs/8-language-models.md, compiled and run. A code block on that page marked
// <!-- tests/test_docs_lm.cpp --> appears here line for line (tests/docs_check.sh), so edit the
// page and this file together. The picture docs/images/lstm_unroll.dot is checked here too.
#include "docs_text.hpp"
#include "helpers.hpp"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

using namespace xg;

namespace {

std::string read_text(const std::string& path) {
    std::ifstream in(path);
    if (!in) return "(cannot read " + path + ")";
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// A tanh RNN (input 8, hidden 32) run over `steps` steps and backpropagated, its recurrent weights
// drawn with std gain/√32. Returns its parameters, their gradients filled in.
std::vector<Tensor> backprop_rnn(std::size_t steps, float gain) {
    manual_seed(0);
    nn::RNN rnn(8, 32, {.batch_first = true});
    {
        NoGradGuard no_grad;
        rnn.all_weights[0][1].copy_(Tensor::randn({32, 32}) * (gain / std::sqrt(32.0f)));  // weight_hh_l0
    }
    auto [out, h_n] = rnn(Tensor::randn({4, steps, 8}));  // out [4, steps, 32]: h at every step
    (out * out).mean().backward();                        // a stand-in for a loss at every step
    return rnn.parameters();
}

// √(Σ g²) over every gradient: the length of the whole step an optimizer would take.
double total_norm(const std::vector<Tensor>& params) {
    double s = 0.0;
    for (const Tensor& p : params) s += sum(p.grad() * p.grad()).item();
    return std::sqrt(s);
}

}  // namespace

TEST_CASE("docs/8: makemore's MLP as a Sequential and the embedding's gradient", "[docs][lm_docs]") {
    manual_seed(0);
    // makemore's MLP (Bengio et al. 2003): 3 characters of context, 10-dim embeddings, 200 hidden units.
    auto model = nn::Sequential(nn::Embedding(27, 10),  // [N, 3] -> [N, 3, 10]
                                nn::Flatten(),          // -> [N, 30]: the three vectors side by side
                                nn::Linear(3 * 10, 200), nn::Tanh(),
                                nn::Linear(200, 27));  // -> [N, 27]: a score for each next character
    CHECK(model.check({32, 3}) == Shape{32, 27});
    std::size_t count = 0;
    for (const Tensor& p : model.parameters()) count += p.numel();
    CHECK(count == 11897);  // 27·10 + 30·200 + 200 + 200·27 + 27, as makemore's

    nn::Embedding emb(5, 2);
    Tensor window = Tensor::from({{1, 3, 1}});  // one window of 3 characters: 1, 3, 1
    Tensor e = emb(window);                     // [1, 3, 2]: rows 1, 3 and 1 of emb.weight
    e.sum().backward();
    // emb.weight.grad() is [[0, 0], [2, 2], [0, 0], [1, 1], [0, 0]]: row 1 was used twice
    CHECK(test::all_close(e.select(0, 0), index_select(emb.weight, 0, {1, 3, 1}), 0.0f));
    CHECK(test::all_close(emb.weight.grad(), Tensor::from({{0, 0}, {2, 2}, {0, 0}, {1, 1}, {0, 0}}), 0.0f));
}

TEST_CASE("docs/8: two LSTM steps on the tape and their shared weights' gradient", "[docs][lm_docs]") {
    manual_seed(0);
    nn::LSTMCell cell(2, 3);  // input_size 2, hidden_size 3: weight_ih [12, 2], the four gates stacked
    Tensor x1 = Tensor::randn({1, 2}), x2 = Tensor::randn({1, 2});
    nn::LSTMState s0{Tensor::randn({1, 3}), Tensor::randn({1, 3})};  // h0, c0: from earlier steps
    nn::LSTMState s1 = cell(x1, s0);
    nn::LSTMState s2 = cell(x2, s1);  // the same cell, the same weights, one step later

    autograd::TensorNames names{{"x1", x1}, {"x2", x2}, {"h0", s0.h}, {"c0", s0.c}};
    for (auto& [name, p] : cell.named_parameters()) names.emplace_back(name, p);
    CHECK(autograd::tape_str(s1.h, names) == test::page_text(R"(
tape behind a tensor of shape [1, 3]: 16 ops, in the order they ran (backward replays them bottom to top)
  #1 linear              x1 [1, 2], weight_ih [12, 2], bias_ih [12] -> [1, 12]
  #2 linear              h0 [1, 3], weight_hh [12, 3], bias_hh [12] -> [1, 12]
  #3 add                 #1 [1, 12], #2 [1, 12] -> [1, 12]
  #4 slice               #3 [1, 12] -> [1, 3]
  #5 slice               #3 [1, 12] -> [1, 3]
  #6 slice               #3 [1, 12] -> [1, 3]
  #7 slice               #3 [1, 12] -> [1, 3]
  #8 sigmoid             #4 [1, 3] -> [1, 3]
  #9 sigmoid             #5 [1, 3] -> [1, 3]
  #10 tanh                #6 [1, 3] -> [1, 3]
  #11 sigmoid             #7 [1, 3] -> [1, 3]
  #12 mul                 #8 [1, 3], #10 [1, 3] -> [1, 3]
  #13 mul                 #9 [1, 3], c0 [1, 3] -> [1, 3]
  #14 add                 #13 [1, 3], #12 [1, 3] -> [1, 3]
  #15 tanh                #14 [1, 3] -> [1, 3]
  #16 mul                 #11 [1, 3], #15 [1, 3] -> [1, 3]
)"));
    const std::string dot = autograd::to_dot(s2.h, names);
    if (const char* dir = std::getenv("XGRAD_DOCS_IMAGES")) {
        std::ofstream(std::string(dir) + "/lstm_unroll.dot") << dot;
    }
    // The committed picture is the tape of these two steps (scripts/render-docs.sh redraws it).
    CHECK(read_text(XGRAD_SOURCE_DIR "/docs/images/lstm_unroll.dot") == dot);
    CHECK(autograd::tape_str(s2.h).find("32 ops") != std::string::npos);

    // Backpropagation through time: each weight is used at both steps, so its gradient is the sum
    // of two parts. Running the second step with a copy of the cell puts each part in its own tensor.
    nn::LSTMCell first = nn::clone(cell), second = nn::clone(cell);
    Tensor g = Tensor::randn({1, 3});
    (s2.h * g).sum().backward();
    (second(x2, first(x1, s0)).h * g).sum().backward();
    for (std::size_t i = 0; i < 4; ++i) {
        const Tensor shared = cell.parameters()[i].grad();
        const Tensor part1 = first.parameters()[i].grad(), part2 = second.parameters()[i].grad();
        CHECK(abs(part1).max().item() > 1e-3f);
        CHECK(abs(part2).max().item() > 1e-3f);
        CHECK(test::all_close(shared, part1 + part2, 1e-6f));
    }
}

TEST_CASE("docs/8: a tanh RNN's gradient norm grows with length and clip_grad_norm_ scales it", "[docs][lm_docs]") {
    // The page's table: the norm after 5, 10, 20 and 40 steps, at PyTorch's scale (std 0.58/√H) and at std 3/√H.
    const std::vector<std::size_t> steps{5, 10, 20, 40};
    const std::vector<double> pytorch_scale{0.131, 0.121, 0.121, 0.116}, three_times{0.482, 1.36, 5.82, 1040};
    std::vector<double> large;  // the norms at std 3/√H
    for (std::size_t i = 0; i < steps.size(); ++i) {
        CHECK(total_norm(backprop_rnn(steps[i], 0.58f)) == Approx(pytorch_scale[i]).epsilon(0.01));
        large.push_back(total_norm(backprop_rnn(steps[i], 3.0f)));
        CHECK(large.back() == Approx(three_times[i]).epsilon(0.01));
    }
    CHECK(large[3] > 1000 * large[0]);  // the page's "over a thousand times", 40 steps against 5

    std::vector<Tensor> params = backprop_rnn(40, 3.0f);
    std::vector<Tensor> before;
    for (const Tensor& p : params) before.push_back(p.grad().clone());
    const double unclipped = total_norm(params);
    double norm = optim::clip_grad_norm_(params, /*max_norm=*/1.0);  // the norm before clipping: 1040
    CHECK(norm == Approx(unclipped).epsilon(1e-6));
    CHECK(total_norm(params) == Approx(1.0).epsilon(1e-4));  // at most max_norm long
    for (std::size_t i = 0; i < params.size(); ++i) {        // every gradient scaled by the same factor
        CHECK(test::all_close(params[i].grad(), before[i] * static_cast<float>(1.0 / (norm + 1e-6)), 1e-6f));
    }
    // Below max_norm nothing changes.
    std::vector<Tensor> short_run = backprop_rnn(5, 3.0f);
    const Tensor g0 = short_run[0].grad().clone();
    CHECK(optim::clip_grad_norm_(short_run, 1.0) == Approx(0.482).epsilon(0.01));
    CHECK(test::all_close(short_run[0].grad(), g0, 0.0f));
}

TEST_CASE("docs/8: the causal mask gives exact zeros above the diagonal", "[docs][lm_docs]") {
    manual_seed(0);
    // Causal attention weights of 4 positions: row t says how much position t takes from each position s.
    Tensor q = Tensor::randn({4, 8}), k = Tensor::randn({4, 8});
    Tensor scores = matmul(q, k.t()) / std::sqrt(8.0f);    // [4, 4]: query t · key s
    Tensor future = eq(tril(Tensor::ones({4, 4})), 0.0f);  // 1 where s > t
    Tensor weights = softmax(scores.masked_fill(future, -INFINITY), -1);
    std::ostringstream printed;
    printed << weights;
    CHECK(printed.str() + "\n" == test::page_text(R"(
tensor([[1.0000, 0.0000, 0.0000, 0.0000],
        [0.8506, 0.1494, 0.0000, 0.0000],
        [0.0439, 0.7835, 0.1726, 0.0000],
        [0.1766, 0.6123, 0.1655, 0.0456]])
)"));
    for (std::size_t t = 0; t < 4; ++t) {
        for (std::size_t s = t + 1; s < 4; ++s) CHECK(weights.data()(t, s) == 0.0f);
    }
    CHECK(test::all_close(weights.sum(1), Tensor::ones({4}), 1e-6f));  // each row still sums to 1
}

TEST_CASE("docs/8: a changed future token leaves the earlier outputs of a causal block alone", "[docs][lm_docs]") {
    manual_seed(0);
    // A pre-norm Transformer block (GELU) over 5 tokens, with the causal mask as attn_mask.
    nn::Embedding tok(27, 16);
    nn::TransformerEncoderLayer block(
        16, 2, {.dim_feedforward = 64, .dropout = 0.0f, .activation = "gelu", .batch_first = true, .norm_first = true});
    Tensor causal = masked_fill(Tensor::zeros({5, 5}), triu(Tensor::ones({5, 5}), 1), -INFINITY);
    Tensor a = block(tok(Tensor::from({{3, 1, 4, 1, 5}})), causal);  // [1, 5, 16]
    Tensor b = block(tok(Tensor::from({{3, 1, 4, 1, 9}})), causal);  // the last token changed
    // a and b agree at positions 0 to 3, bit for bit, and differ at position 4
    CHECK(test::all_close(slice(a, 1, 0, 4), slice(b, 1, 0, 4), 0.0f));
    CHECK(abs(select(a, 1, 4) - select(b, 1, 4)).max().item() > 1e-3f);
    // Without the mask, every position sees the change.
    Tensor c = block(tok(Tensor::from({{3, 1, 4, 1, 5}})));
    Tensor d = block(tok(Tensor::from({{3, 1, 4, 1, 9}})));
    CHECK(abs(select(c, 1, 0) - select(d, 1, 0)).max().item() > 1e-4f);
    // The same seen by backward: position 1's output has exactly zero gradient for later inputs.
    Tensor x = tok(Tensor::from({{3, 1, 4, 1, 5}})).detach().requires_grad_();
    Tensor gx = autograd::grad({select(block(x, causal), 1, 1).sum()}, {x})[0];
    CHECK(abs(slice(gx, 1, 0, 2)).max().item() > 1e-3f);
    CHECK(abs(slice(gx, 1, 2, 5)).max().item() == 0.0f);
}
