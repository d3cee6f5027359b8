// Tensor: makers, facts, handle semantics, printing, and bad-input errors.
#include "helpers.hpp"

#include <sstream>

using namespace xg;

TEST_CASE("Tensor: makers give the asked shape and values", "[tensor]") {
    CHECK(Tensor::zeros({2, 3}).shape() == Shape{2, 3});
    CHECK(Tensor::ones({4}).data()(3) == 1.0f);
    CHECK(Tensor::full({2, 2}, 7.5f).data()(1, 1) == 7.5f);
    CHECK(test::all_close(Tensor::arange(4), Tensor::from({0, 1, 2, 3})));
    CHECK(test::all_close(Tensor::arange(1, 2, 0.25f), Tensor::from({1, 1.25, 1.5, 1.75})));
    CHECK(Tensor::from({{1, 2, 3}, {4, 5, 6}}).shape() == Shape{2, 3});
    CHECK(Tensor::from({{1}, {2}}).shape() == Shape{2, 1});
    CHECK(Tensor::from({{{1, 2}}, {{3, 4}}}).shape() == Shape{2, 1, 2});
    CHECK_THROWS_WITH(Tensor::from({{1, 2}, {3}}), Catch::Contains("ragged"));
    CHECK(Tensor::zeros({3}, true).requires_grad());
}

TEST_CASE("Tensor: rand and randn follow manual_seed", "[tensor]") {
    manual_seed(42);
    Tensor a = Tensor::randn({100});
    Tensor u = Tensor::rand({1000});
    manual_seed(42);
    CHECK(test::all_close(a, Tensor::randn({100}), 0.0f));
    for (float v : u.data()) CHECK((v >= 0.0f && v <= 1.0f));
    const float m = std::accumulate(u.data().begin(), u.data().end(), 0.0f) / 1000.0f;
    CHECK(m == Approx(0.5f).margin(0.05f));
}

TEST_CASE("Tensor: copies share values, grad and history, like torch::Tensor", "[tensor]") {
    Tensor a = Tensor::zeros({2});
    Tensor b = a;
    b.data()(0) = 5.0f;
    CHECK(a.data()(0) == 5.0f);
    Tensor d = a.detach();
    d.data()(0) = 1.0f;
    CHECK(a.data()(0) == 1.0f);  // detach shares the values, as torch's detach() does
    CHECK(d.storage() == a.storage());
    CHECK_FALSE(d.requires_grad());
    Tensor c = a.clone();
    c.data()(0) = 7.0f;
    CHECK(a.data()(0) == 1.0f);  // clone copies them
}

TEST_CASE("Tensor: facts", "[tensor]") {
    Tensor a = Tensor::zeros({2, 3, 4});
    CHECK(a.dim() == 3);
    CHECK(a.numel() == 24);
    CHECK(a.size(-1) == 4);
    CHECK(Tensor::full({1, 1}, 3.0f).item() == 3.0f);
    CHECK_FALSE(Tensor().defined());
    CHECK_FALSE(a.grad().defined());
    CHECK(a.is_leaf());
}

TEST_CASE("Tensor: printing looks like PyTorch's", "[tensor]") {
    std::ostringstream s;
    s << Tensor::from({{1, 2}, {3, 4}});
    CHECK(s.str() == "tensor([[1.0000, 2.0000],\n        [3.0000, 4.0000]])");
    std::ostringstream r;
    r << Tensor::from({1, 2}).requires_grad_() * 2.0f;
    CHECK(r.str() == "tensor([2.0000, 4.0000], grad_fn=<mul>)");
}

TEST_CASE("Tensor: bad input throws with the op and the shape", "[tensor][errors]") {
    CHECK_THROWS_WITH(Tensor::zeros({2, 3}).item(), Catch::Contains("item") && Catch::Contains("[2, 3]"));
    CHECK_THROWS_WITH(Tensor().shape(), Catch::Contains("undefined"));
    CHECK_THROWS_WITH(Tensor::zeros({2}).size(1), Catch::Contains("size: dim 1") && Catch::Contains("[2]"));
    Tensor x = Tensor::ones({2}, true);
    Tensor y = x * 2.0f;
    CHECK_THROWS_WITH(y.requires_grad_(false), Catch::Contains("requires_grad_: can only change a leaf"));
    CHECK_THROWS_WITH(Tensor::arange(0, 1, 0), Catch::Contains("arange"));
}
