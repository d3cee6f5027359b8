// autograd::register_backward_end_hook: runs once after each backward(), never after grad(), and
// not once removed (DistributedDataParallel averages gradients there).
#include "helpers.hpp"

#include "core/backward_hooks.hpp"

using namespace xg;

TEST_CASE("backward end hooks: after every backward with the gradients in place, not after grad", "[autograd][hooks]") {
    Tensor w = Tensor::from({1.0f, 2.0f}).requires_grad_();
    int calls = 0;
    float seen = 0.0f;
    const auto id = autograd::register_backward_end_hook([&] {
        ++calls;
        seen = w.grad().data()(1);
    });
    (w * w).sum().backward();
    CHECK(calls == 1);
    CHECK(seen == 4.0f);  // d/dw sum(w²) = 2w, complete when the hook runs
    (void)autograd::grad({(w * w).sum()}, {w});
    CHECK(calls == 1);
    autograd::remove_backward_end_hook(id);
    (w * w).sum().backward();
    CHECK(calls == 1);
}

TEST_CASE("backward end hooks: an error in a hook reaches backward's caller", "[autograd][hooks]") {
    Tensor w = Tensor::from({1.0f}).requires_grad_();
    const auto id = autograd::register_backward_end_hook([] { throw Error("hook: refused"); });
    CHECK_THROWS_WITH((w * w).sum().backward(), Catch::Contains("hook: refused"));
    autograd::remove_backward_end_hook(id);
    CHECK(w.grad().data()(0) == 2.0f);  // the gradients were delivered before the hook ran
}
