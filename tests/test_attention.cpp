// scaled_dot_product_attention, MultiheadAttention and TransformerEncoderLayer (nn/attention.cpp):
// gradients of any order, PyTorch's numbers and state dicts, masks, NaN for a fully masked row,
// errors.
#include "seq_reference.hpp"

#include <cmath>
#include <limits>
#include <memory>
#include <sstream>

using namespace xg;

namespace {
using V = const std::vector<Tensor>&;
constexpr float inf = std::numeric_limits<float>::infinity();
namespace F = nn::functional;

// make_op_reference.py's MASK35.
Tensor mask35() {
    return Tensor::from(
        {{0.0f, -inf, 0.5f, 0.0f, -1.0f}, {-inf, 0.0f, 0.0f, -inf, 0.25f}, {0.0f, 0.0f, 0.0f, 0.0f, -inf}});
}

const bool registered = test::register_op_cases({
    {"scaled_dot_product_attention: grad, q [2, 3, 4] k [2, 5, 4] v [2, 5, 2]",
     {{2, 3, 4}, {2, 5, 4}, {2, 5, 2}},
     [](V x) { return F::scaled_dot_product_attention(x[0] * 2.0f, x[1], x[2]); }},
    {"scaled_dot_product_attention: grad, causal [2, 2, 3, 4]",
     {{2, 2, 3, 4}, {2, 2, 3, 4}, {2, 2, 3, 4}},
     [](V x) { return F::scaled_dot_product_attention(x[0] * 2.0f, x[1], x[2], Tensor(), true); }},
    {"scaled_dot_product_attention: grad, additive mask [3, 5] with -inf",
     {{2, 3, 4}, {2, 5, 4}, {2, 5, 3}},
     [](V x) { return F::scaled_dot_product_attention(x[0] * 2.0f, x[1], x[2], mask35()); }},
    {"scaled_dot_product_attention: grad, mask [2, 1, 3, 5] needing grad",
     {{2, 2, 3, 4}, {2, 2, 5, 4}, {2, 2, 5, 3}, {2, 1, 3, 5}},
     [](V x) { return F::scaled_dot_product_attention(x[0], x[1], x[2], x[3]); }},
    {"scaled_dot_product_attention: grad, key and value batch [1, 2] broadcast",
     {{2, 2, 3, 4}, {1, 2, 5, 4}, {1, 2, 5, 3}},
     [](V x) { return F::scaled_dot_product_attention(x[0], x[1], x[2]); }},
});

// MultiheadAttention with its own (seeded) weights, as a function of query, key and value:
// gradients of the first and second order against central differences.
std::shared_ptr<nn::MultiheadAttention> small_mha(bool batch_first) {
    manual_seed(7);
    return std::make_shared<nn::MultiheadAttention>(4, 2, nn::MultiheadAttentionOptions{.batch_first = batch_first});
}
const bool registered_layers = test::register_grad_cases(
    {
        {"MultiheadAttention: grad, cross-attention batch_first with key_padding_mask",
         {{2, 3, 4}, {2, 2, 4}, {2, 2, 4}},
         [m = small_mha(true)](V x) {
             nn::MultiheadAttentionForward o{.key_padding_mask = Tensor::from({{0, 0}, {0, 1}})};
             return (*m)(x[0], x[1], x[2], o).first;
         }},
        {"MultiheadAttention: grad, self-attention sequence first, per-head weights",
         {{3, 2, 4}},
         [m = small_mha(false)](V x) {
             auto [out, w] = (*m)(x[0], x[0], x[0], {.average_attn_weights = false});
             return cat({out.reshape({-1}), w.reshape({-1})});
         }},
        {"MultiheadAttention: grad, unbatched with attn_mask",
         {{3, 4}, {2, 4}},
         [m = small_mha(true)](V x) {
             auto [out, w] = (*m)(x[0], x[1], x[1], {.attn_mask = Tensor::from({{0, -inf}, {0, 0}, {-0.5, 0}})});
             return cat({out.reshape({-1}), w.reshape({-1})});
         }},
    },
    test::Order::second);

const bool registered_encoder = test::register_grad_cases({
    {"TransformerEncoderLayer: grad, pre-norm gelu",
     {{2, 3, 4}},
     [m = std::make_shared<nn::TransformerEncoderLayer>(
          4, 2,
          nn::TransformerEncoderLayerOptions{
              .dim_feedforward = 6, .dropout = 0.0f, .activation = "gelu", .batch_first = true, .norm_first = true})](
         V x) { return (*m)(x[0]); }},
});
}  // namespace

TEST_CASE("scaled_dot_product_attention: values by hand, causal masking, fully masked rows give NaN", "[seq]") {
    // One query, two keys: scores 0 and 1/√1·... with E = 1: q = 1, k = [0, 2] -> softmax([0, 2]).
    const Tensor q = Tensor::from({{1.0f}}), k = Tensor::from({{0.0f}, {2.0f}}), v = Tensor::from({{10.0f}, {20.0f}});
    const float p = 1.0f / (1.0f + std::exp(-2.0f));
    CHECK(F::scaled_dot_product_attention(q, k, v).item() == Approx(10.0f * (1 - p) + 20.0f * p));
    // Causal: the first query sees only the first key, so gets v[0] exactly.
    const Tensor q2 = Tensor::from({{1.0f}, {1.0f}});
    const Tensor causal = F::scaled_dot_product_attention(q2, k, v, Tensor(), true);
    CHECK(causal.data()(0, 0) == 10.0f);
    CHECK(causal.data()(1, 0) == Approx(10.0f * (1 - p) + 20.0f * p));
    // A row with every key at -inf: NaN, as PyTorch (nothing is hidden).
    const Tensor blocked = F::scaled_dot_product_attention(q2, k, v, Tensor::from({{-inf, -inf}, {0, 0}}));
    CHECK(std::isnan(blocked.data()(0, 0)));
    CHECK(std::isfinite(blocked.data()(1, 0)));
}

// sdpa(q, k, v, mask, 0.1f), PyTorch's positional dropout_p, doesn't compile: is_causal comes first here.
template <class F>
concept SdpaTakesFifth = requires(Tensor t, F f) {
    nn::functional::scaled_dot_product_attention(t, t, t, t, f);
};
static_assert(!SdpaTakesFifth<float> && !SdpaTakesFifth<double>);
static_assert(SdpaTakesFifth<bool>);

TEST_CASE("scaled_dot_product_attention: errors name the shapes", "[seq]") {
    const Tensor q = Tensor::zeros({2, 3, 4});
    CHECK_THROWS_WITH(F::scaled_dot_product_attention(q, Tensor::zeros({2, 5, 3}), Tensor::zeros({2, 5, 2})),
                      Catch::Contains("query [2, 3, 4], key [2, 5, 3], value [2, 5, 2] don't line up"));
    CHECK_THROWS_WITH(F::scaled_dot_product_attention(q, q, Tensor::zeros({2, 4, 4})),
                      Catch::Contains("don't line up"));
    CHECK_THROWS_WITH(F::scaled_dot_product_attention(Tensor::zeros({4}), q, q), Catch::Contains("at least 2 dims"));
    CHECK_THROWS_WITH(F::scaled_dot_product_attention(q, q, q, Tensor::zeros({3, 2})),
                      Catch::Contains("attn_mask [3, 2] doesn't fit scores [*, 3, 3]"));
    CHECK_THROWS_WITH(F::scaled_dot_product_attention(q, q, q, Tensor::zeros({3, 3}), true),
                      Catch::Contains("pass attn_mask or is_causal, not both"));
}

TEST_CASE("MultiheadAttention: PyTorch state dict, both masks, batch_first: PyTorch's numbers", "[seq]") {
    const std::string name = "MultiheadAttention(8, 2) batch_first with both masks";
    nn::MultiheadAttention mha(8, 2, {.batch_first = true});
    nn::load(mha, test::source_path("tests/reference/torch_mha_cross.safetensors"));
    const std::vector<Tensor> x = test::seq_inputs(name, {{2, 3, 8}, {2, 4, 8}, {2, 4, 8}});
    const Tensor kpm = Tensor::from({{0, 0, 0, 1}, {0, 0, 1, 1}});
    const Tensor mask = Tensor::from({{0.0f, -1.5f, 0.0f, 0.0f}, {0.0f, 0.0f, -inf, 0.0f}, {0.5f, 0.0f, 0.0f, 0.0f}});
    auto [out, weights] = mha(x[0], x[1], x[2], {.key_padding_mask = kpm, .attn_mask = mask});
    CHECK(weights.shape() == Shape{2, 3, 4});
    test::check_against(name + ": weights", weights, test::seq_reference(name, "weights"), 1e-5f, 1e-4f);
    test::check_layer(name, mha, out, x);
    // A 3-D mask [N·num_heads, L, S]: entry b·num_heads + h is batch b, head h, as PyTorch.
    test::Stream ms(name + "#mask3");
    auto [out3, weights3] =
        mha(x[0], x[1], x[2], {.attn_mask = test::random_like(ms, {4, 3, 4}), .average_attn_weights = false});
    test::check_against(name + ": forward.mask3d", out3, test::seq_reference(name, "forward.mask3d"), 1e-5f, 1e-4f);
    test::check_against(name + ": weights.mask3d", weights3, test::seq_reference(name, "weights.mask3d"), 1e-5f, 1e-4f);
}

TEST_CASE("MultiheadAttention: PyTorch state dict, sequence first, causal mask, per-head weights", "[seq]") {
    const std::string name = "MultiheadAttention(6, 3) self-attention causal per-head weights";
    nn::MultiheadAttention mha(6, 3);
    nn::load(mha, test::source_path("tests/reference/torch_mha_self.safetensors"));
    const std::vector<Tensor> x = test::seq_inputs(name, {{4, 2, 6}});
    const Tensor causal = masked_fill(Tensor::zeros({4, 4}), triu(Tensor::ones({4, 4}), 1), -inf);
    auto [out, weights] = mha(x[0], x[0], x[0], {.attn_mask = causal, .average_attn_weights = false});
    CHECK(out.shape() == Shape{4, 2, 6});
    CHECK(weights.shape() == Shape{2, 3, 4, 4});
    test::check_against(name + ": weights", weights, test::seq_reference(name, "weights"), 1e-5f, 1e-4f);
    test::check_layer(name, mha, out, x);
}

// 1 where t is NaN, 0 elsewhere (NaN is the one value that isn't equal to itself).
Tensor isnan(const Tensor& t) { return ne(t, t); }

TEST_CASE("MultiheadAttention: a batch entry with every key padded gives NaN, as PyTorch 1.13", "[seq]") {
    const std::string name = "MultiheadAttention(8, 2) fully padded batch entry";
    nn::MultiheadAttention mha(8, 2, {.batch_first = true});
    nn::load(mha, test::source_path("tests/reference/torch_mha_cross.safetensors"));
    const std::vector<Tensor> x = test::seq_inputs(name, {{2, 3, 8}, {2, 4, 8}});
    auto [out, weights] = mha(x[0], x[1], x[1], {.key_padding_mask = Tensor::from({{0, 1, 0, 0}, {1, 1, 1, 1}})});
    for (const auto& [kind, t] : {std::pair{"forward", out}, std::pair{"weights", weights}}) {
        test::check_against(name + ": " + kind + " is NaN where PyTorch's is", isnan(t),
                            test::seq_reference(name, std::string(kind) + ".isnan"), 0.0f, 0.0f);
        test::check_against(name + ": " + kind, where(isnan(t), 0.0f, t), test::seq_reference(name, kind), 1e-5f,
                            1e-4f);
    }
    CHECK(std::isnan(out.data()(1, 0, 0)));
}

TEST_CASE("MultiheadAttention: parameters, init, need_weights, unbatched input, eval", "[seq]") {
    manual_seed(0);
    nn::MultiheadAttention mha(16, 4, {.dropout = 0.5f});
    std::vector<std::string> names;
    for (const auto& [n, p] : mha.named_parameters()) names.push_back(n);
    CHECK(names == std::vector<std::string>{"in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"});
    CHECK(mha.in_proj_weight.shape() == Shape{48, 16});
    // xavier_uniform_ on [48, 16]: U(-a, a), a = √(6 / 64).
    const float a = std::sqrt(6.0f / 64.0f);
    CHECK(mha.in_proj_weight.abs().max().item() <= a);
    CHECK(mha.in_proj_weight.abs().max().item() > 0.9f * a);
    CHECK(test::all_close(mha.in_proj_bias, Tensor::zeros({48})));
    CHECK(test::all_close(mha.out_proj.bias, Tensor::zeros({16})));
    std::ostringstream printed;
    printed << mha;  // as PyTorch prints it, with xgrad's Linear for NonDynamicallyQuantizableLinear
    CHECK(printed.str() == "MultiheadAttention(\n  (out_proj): Linear(in_features=16, out_features=16, bias=true)\n)");
    CHECK(nn::MultiheadAttention(4, 2, {.bias = false}).named_parameters().size() == 2);

    // Eval: no dropout, so two calls agree; unbatched input is [L, E] with an [S] padding mask.
    mha.eval();
    const Tensor x = Tensor::randn({5, 16});
    auto [o1, w1] = mha(x, x, x, {.key_padding_mask = Tensor::from({0, 0, 0, 0, 1})});
    auto [o2, w2] = mha(x, x, x, {.key_padding_mask = Tensor::from({0, 0, 0, 0, 1}), .need_weights = false});
    CHECK(o1.shape() == Shape{5, 16});
    CHECK(w1.shape() == Shape{5, 5});
    CHECK(!w2.defined());
    CHECK(test::all_close(o1, o2));
    for (std::size_t i = 0; i < 5; ++i) CHECK(w1.data()(i, 4) == 0.0f);
    // The unbatched call is the batched call on a batch of one.
    auto [ob, wb] =
        mha(x.unsqueeze(1), x.unsqueeze(1), x.unsqueeze(1), {.key_padding_mask = Tensor::from({{0, 0, 0, 0, 1}})});
    CHECK(test::all_close(ob.squeeze(1), o1));
}

TEST_CASE("MultiheadAttention and TransformerEncoderLayer: clone() copies every parameter, members included", "[seq]") {
    nn::TransformerEncoderLayer enc(4, 2, {.dim_feedforward = 6, .dropout = 0.0f});
    nn::TransformerEncoderLayer copy = enc.clone();
    const Tensor x = Tensor::randn({3, 2, 4});
    CHECK(test::all_close(copy(x), enc(x)));
    // The member and the registered child are one module in the copy, and not the original's.
    CHECK(copy.self_attn.out_proj.weight.data().data() == copy.named_parameters()[2].second.data().data());
    CHECK(copy.self_attn.in_proj_weight.data().data() != enc.self_attn.in_proj_weight.data().data());
    {
        NoGradGuard no_grad;
        copy.self_attn.out_proj.weight.fill_(0.0f);
    }
    CHECK(!test::all_close(copy(x), enc(x)));
}

TEST_CASE("MultiheadAttention: a batch of 0 gives an empty output as PyTorch", "[seq]") {
    manual_seed(0);
    nn::MultiheadAttention mha(4, 2);
    const Tensor x = Tensor::ones({3, 0, 4});
    auto [out, weights] = mha(x, x, x);
    CHECK(out.shape() == Shape{3, 0, 4});
    CHECK(weights.shape() == Shape{0, 3, 3});
}

TEST_CASE("MultiheadAttention: bad arguments and masks throw naming the layer and shapes", "[seq]") {
    CHECK_THROWS_WITH(nn::MultiheadAttention(10, 3),
                      Catch::Contains("MultiheadAttention: embed_dim 10 must be a positive multiple of num_heads 3"));
    CHECK_THROWS_WITH(nn::MultiheadAttention(4, 2, {.dropout = 1.5f}),
                      Catch::Contains("dropout must be between 0 and 1"));
    nn::MultiheadAttention mha(4, 2, {.batch_first = true});
    const Tensor q = Tensor::zeros({2, 3, 4}), k = Tensor::zeros({2, 5, 4});
    CHECK_THROWS_WITH(mha(q, k, k, {.attn_mask = Tensor::zeros({5, 3})}),
                      Catch::Contains("MultiheadAttention(4, 2): attn_mask [5, 3] must be [3, 5] or [4, 3, 5]"));
    CHECK_THROWS_WITH(mha(q, k, k, {.key_padding_mask = Tensor::zeros({2, 3})}),
                      Catch::Contains("key_padding_mask [2, 3] must be [2, 5]"));
    CHECK_THROWS_WITH(mha(q, k, k, {.key_padding_mask = Tensor::full({2, 5}, 0.5f)}),
                      Catch::Contains("key_padding_mask [2, 5] must hold 0 or 1 (1 = a padding key), entry 0 is 0.5"));
    CHECK_THROWS_WITH(mha(Tensor::zeros({2, 3, 6}), k, k), Catch::Contains("must end with embed_dim 4"));
    CHECK_THROWS_WITH(mha(q, k, Tensor::zeros({2, 4, 4})), Catch::Contains("key and value alike"));
    CHECK_THROWS_WITH(mha(q, Tensor::zeros({3, 5, 4}), Tensor::zeros({3, 5, 4})),
                      Catch::Contains("have different batch sizes"));
}

TEST_CASE("TransformerEncoderLayer: PyTorch state dicts (pre-norm gelu, post-norm relu) give PyTorch's numbers",
          "[seq]") {
    {
        const std::string name = "TransformerEncoderLayer(8, 2, 16) norm_first gelu";
        nn::TransformerEncoderLayer enc(
            8, 2,
            {.dim_feedforward = 16, .dropout = 0.0f, .activation = "gelu", .batch_first = true, .norm_first = true});
        nn::load(enc, test::source_path("tests/reference/torch_encoder_layer.safetensors"));
        const std::vector<Tensor> x = test::seq_inputs(name, {{2, 5, 8}});
        const Tensor kpm = Tensor::from({{0, 0, 0, 0, 0}, {0, 0, 0, 1, 1}});
        test::check_layer(name, enc, enc(x[0], Tensor(), kpm), x);
    }
    {
        const std::string name = "TransformerEncoderLayer(8, 4, 12) post-norm relu";
        nn::TransformerEncoderLayer enc(8, 4, {.dim_feedforward = 12, .dropout = 0.0f});
        nn::load(enc, test::source_path("tests/reference/torch_encoder_layer_post.safetensors"));
        const std::vector<Tensor> x = test::seq_inputs(name, {{3, 2, 8}});
        const Tensor causal = masked_fill(Tensor::zeros({3, 3}), triu(Tensor::ones({3, 3}), 1), -inf);
        test::check_layer(name, enc, enc(x[0], causal), x);
    }
    CHECK_THROWS_WITH(nn::TransformerEncoderLayer(8, 2, {.activation = "tanh"}),
                      Catch::Contains("TransformerEncoderLayer: activation must be \"relu\" or \"gelu\""));
}
