// autograd::functional: helpers built on gradients of gradients.
#include "helpers.hpp"

using namespace xg;

TEST_CASE("grad: hvp of a quadratic is its Hessian times v", "[autograd][grad2]") {
    Tensor A = Tensor::from({{2, 1}, {1, 3}});
    auto [value, hv] =
        autograd::functional::hvp([&](const std::vector<Tensor>& v) { return matmul(v[0], matmul(A, v[0])) * 0.5f; },
                                  {Tensor::from({1, 2})}, {Tensor::from({1, -1})});
    CHECK(value.item() == Approx(0.5f * (2 + 2 * 2 + 12)));
    CHECK(test::all_close(hv[0], Tensor::from({1, -2})));
}

TEST_CASE("hvp: mismatched vectors are an error naming the shapes", "[autograd][grad2][errors]") {
    auto f = [](const std::vector<Tensor>& v) { return sum(v[0] * v[0]); };
    CHECK_THROWS_WITH(autograd::functional::hvp(f, {Tensor::ones({2})}, {Tensor::ones({3})}),
                      Catch::Contains("hvp: v[0] [3] doesn't match input [2]"));
    CHECK_THROWS_WITH(autograd::functional::hvp([](const std::vector<Tensor>& v) { return v[0] * 2.0f; },
                                                {Tensor::ones({2})}, {Tensor::ones({2})}),
                      Catch::Contains("must return one number"));
}
