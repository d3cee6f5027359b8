// nn::Embedding: PyTorch's init, its state dict and numbers, the padding row, errors.
#include "seq_reference.hpp"

#include <cmath>

using namespace xg;

TEST_CASE("Embedding: a PyTorch state dict loads and gives PyTorch's output and gradient", "[seq]") {
    const std::string name = "Embedding(10, 3, padding_idx=1)";
    nn::Embedding emb(10, 3, {.padding_idx = 1});
    nn::load(emb, test::source_path("tests/reference/torch_embedding.safetensors"));
    const Tensor out = emb(Tensor::from({{1, 4, 4, 9}, {0, 1, 2, 9}}));
    CHECK(out.shape() == Shape{2, 4, 3});
    test::check_layer(name, emb, out, {});
}

TEST_CASE("Embedding: init is N(0, 1) with the padding row zeroed; shapes and repr", "[seq]") {
    manual_seed(0);
    nn::Embedding emb(1000, 20, {.padding_idx = -1});
    CHECK(*emb.padding_idx == 999);  // stored as PyTorch stores it
    const Array& w = emb.weight.data();
    double s = 0, s2 = 0;
    for (std::size_t i = 0; i < 999 * 20; ++i) {
        s += w.data()[i];
        s2 += w.data()[i] * w.data()[i];
    }
    const double n = 999 * 20, mean = s / n;
    CHECK(std::abs(mean) < 0.03);
    CHECK(std::abs(std::sqrt(s2 / n - mean * mean) - 1.0) < 0.03);
    for (std::size_t j = 0; j < 20; ++j) CHECK(w(999, j) == 0.0f);
    CHECK(emb.named_parameters().size() == 1);
    CHECK(emb.named_parameters()[0].first == "weight");
    CHECK(emb.check({4, 7}) == Shape{4, 7, 20});
    CHECK(emb.short_repr() == "Embedding(1000, 20, padding_idx=999)");
    CHECK(nn::Embedding(5, 2).short_repr() == "Embedding(5, 2)");
}

TEST_CASE("Embedding: training moves the looked-up rows but never the padding row", "[seq]") {
    nn::Embedding emb(4, 2, {.padding_idx = 0});
    const Tensor before = emb.weight.clone();
    optim::SGD opt(emb.parameters(), 0.5);
    Tensor loss = emb(Tensor::from({0, 2, 2, 0})).pow(2.0f).sum() + emb(Tensor::from({0})).sum();
    loss.backward();
    CHECK(test::all_close(select(emb.weight.grad(), 0, 0), Tensor::zeros({2})));
    CHECK(test::all_close(select(emb.weight.grad(), 0, 2), select(before, 0, 2) * 4.0f));
    opt.step();
    CHECK(test::all_close(select(emb.weight, 0, 0), Tensor::zeros({2})));
    CHECK(test::all_close(select(emb.weight, 0, 1), select(before, 0, 1)));
}

TEST_CASE("Embedding: bad indices and arguments throw naming the layer or op", "[seq]") {
    nn::Embedding emb(10, 3);
    CHECK_THROWS_WITH(emb(Tensor::from({3, 12})),
                      Catch::Contains("embedding: index 12 is out of range for 10 embeddings"));
    CHECK_THROWS_WITH(emb(Tensor::from({-2})), Catch::Contains("embedding: index -2 is out of range"));
    CHECK_THROWS_WITH(emb(Tensor::from({0.25})), Catch::Contains("is not a whole number"));
    CHECK_THROWS_WITH(nn::Embedding(10, 3, {.padding_idx = 10}),
                      Catch::Contains("Embedding(10, 3): padding_idx 10 must be within num_embeddings"));
    CHECK_THROWS_WITH(nn::Embedding(0, 3),
                      Catch::Contains("Embedding: num_embeddings and embedding_dim must be positive"));
    CHECK_THROWS_WITH(nn::functional::embedding(Tensor::from({0}), Tensor::zeros({2, 2, 2})),
                      Catch::Contains("embedding: weight must be 2-D"));
}
