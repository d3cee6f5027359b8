// The tape: accumulation, reuse, diamonds, no_grad, detach, retain_graph, freeing, threads,
// deep chains, no growth over long loops; and gradients of gradients (create_graph, grad()).
#include "helpers.hpp"

#include <sys/resource.h>

#include <thread>

using namespace xg;

TEST_CASE("tape: x * x * x gets every use's contribution (3x²)", "[autograd]") {
    Tensor x = Tensor::from({1, 2, -3}).requires_grad_();
    sum(x * x * x).backward();
    CHECK(test::all_close(x.grad(), Tensor::from({3, 12, 27})));
}

TEST_CASE("tape: a diamond graph sums both paths", "[autograd]") {
    Tensor x = Tensor::from({2}).requires_grad_();
    Tensor a = x * 3.0f, b = exp(x);
    Tensor y = a * b;  // 3x e^x -> d/dx = 3e^x + 3x e^x
    y.backward(Tensor::ones({1}));
    CHECK(x.grad().item() == Approx(3 * std::exp(2.0f) * 3));
}

TEST_CASE("tape: two backward passes add into leaves until zero_grad", "[autograd]") {
    Tensor w = Tensor::from({1, 2}).requires_grad_();
    sum(w * 2.0f).backward();
    sum(w * 2.0f).backward();
    CHECK(test::all_close(w.grad(), Tensor::from({4, 4})));
    w.mutable_grad() = Tensor();
    sum(w).backward();
    CHECK(test::all_close(w.grad(), Tensor::from({1, 1})));
}

TEST_CASE("tape: intermediates don't keep a grad; leaves without requires_grad get none", "[autograd]") {
    Tensor x = Tensor::from({1, 2}).requires_grad_();
    Tensor c = Tensor::from({3, 4});
    Tensor h = x * c;
    sum(h).backward();
    CHECK_FALSE(h.grad().defined());
    CHECK_FALSE(c.grad().defined());
    CHECK(test::all_close(x.grad(), c));
}

TEST_CASE("tape: NoGradGuard and detach stop recording", "[autograd]") {
    Tensor x = Tensor::ones({2}, true);
    {
        NoGradGuard guard;
        Tensor y = x * 2.0f;
        CHECK_FALSE(y.requires_grad());
        CHECK_FALSE(y.grad_fn());
        CHECK_FALSE(autograd::is_grad_enabled());
    }
    CHECK(autograd::is_grad_enabled());
    Tensor z = (x * 2.0f).detach();
    CHECK_FALSE(z.requires_grad());
    Tensor w = x * z;  // z is a constant now
    sum(w).backward();
    CHECK(test::all_close(x.grad(), Tensor::from({2, 2})));
    CHECK_THROWS_WITH(z.backward(), Catch::Contains("does not require grad"));
}

TEST_CASE("tape: a second backward through freed nodes throws, retain_graph allows it", "[autograd]") {
    Tensor x = Tensor::from({1, 2}).requires_grad_();
    Tensor y = sum(x * x);
    y.backward({}, true);
    y.backward();
    CHECK(test::all_close(x.grad(), Tensor::from({4, 8})));
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("already freed") && Catch::Contains("retain_graph = true"));
}

TEST_CASE("tape: backward on a non-scalar needs a gradient of its shape", "[autograd][errors]") {
    Tensor x = Tensor::ones({2, 3}, true);
    Tensor y = x * 2.0f;
    CHECK_THROWS_WITH(y.backward(), Catch::Contains("backward") && Catch::Contains("[2, 3]"));
    CHECK_THROWS_WITH(y.backward(Tensor::ones({3})), Catch::Contains("gradient [3]") && Catch::Contains("[2, 3]"));
    y.backward(Tensor::full({2, 3}, 0.5f));
    CHECK(test::all_close(x.grad(), Tensor::full({2, 3}, 1.0f)));
}

TEST_CASE("tape: a 10,000-op chain backpropagates and frees without recursion", "[autograd]") {
    const auto before = autograd::live_nodes();
    {
        Tensor x = Tensor::from({1}).requires_grad_();
        Tensor y = x;
        for (int i = 0; i < 10000; ++i) y = y * 1.0001f;
        y.backward();
        CHECK(x.grad().item() == Approx(std::pow(1.0001f, 10000.0f)).epsilon(1e-3));
        Tensor z = x;  // never backpropagated: must still die with its tensors
        for (int i = 0; i < 10000; ++i) z = z + 1.0f;
    }
    CHECK(autograd::live_nodes() == before);
}

TEST_CASE("tape: forward + backward + update 10,000 times leaves no nodes behind", "[autograd]") {
    const auto before = autograd::live_nodes();
    Tensor w = Tensor::from({{0.5f, -0.5f}}).requires_grad_();
    Tensor x = Tensor::from({{1, 2}, {3, 4}});
    for (int step = 0; step < 10000; ++step) {
        {
            Tensor loss = mean(pow(matmul(x, w.t()) - 1.0f, 2.0f));
            loss.backward();
            NoGradGuard no_grad;
            w.data() -= 0.01f * w.grad().data();
        }
        w.mutable_grad() = Tensor();
        REQUIRE(autograd::live_nodes() == before);
        Tensor eval = matmul(x, w.t());                 // evaluated without NoGradGuard, never backpropagated
        REQUIRE(autograd::live_nodes() == before + 2);  // eval's t and matmul, dying at scope end
    }
    CHECK(autograd::live_nodes() == before);
    CHECK(test::all_close(matmul(x, w.t()), Tensor::from({{1}, {1}}), 0.01f));  // solved x·wᵀ = 1: w = [-1, 1]
}

TEST_CASE("tape: grad mode and recording are per thread", "[autograd][threads]") {
    auto train = [](float target, float* result, bool no_grad_everywhere) {
        if (no_grad_everywhere) autograd::set_grad_enabled(false);  // must not leak to the other thread
        autograd::set_grad_enabled(true);
        Tensor w = Tensor::zeros({1}, true);
        for (int i = 0; i < 2000; ++i) {
            Tensor loss = sum(pow(w - target, 2.0f));
            loss.backward();
            w.data() -= 0.05f * w.grad().data();
            w.mutable_grad() = Tensor();
        }
        *result = w.item();
    };
    float a = 0, b = 0;
    NoGradGuard main_thread_off;  // the workers start with grad mode on regardless
    std::thread t1(train, 3.0f, &a, false), t2(train, -2.0f, &b, true);
    t1.join();
    t2.join();
    CHECK(a == Approx(3.0f));
    CHECK(b == Approx(-2.0f));
    CHECK_FALSE(autograd::is_grad_enabled());
}

// ---- gradients of gradients: create_graph, autograd::grad ----

TEST_CASE("grad: d/dx x³ = 3x², and with create_graph d²/dx² = 6x, d³/dx³ = 6", "[autograd][grad2]") {
    Tensor x = Tensor::from({0.5, -1.5, 2}).requires_grad_();
    Tensor y = sum(pow(x, 3.0f));
    Tensor dy = autograd::grad({y}, {x}, {.create_graph = true})[0];
    CHECK(test::all_close(dy, Tensor::from({0.75, 6.75, 12})));
    CHECK(dy.requires_grad());  // the gradient has a tape of its own
    Tensor d2y = autograd::grad({sum(dy)}, {x}, {.create_graph = true})[0];
    CHECK(test::all_close(d2y, Tensor::from({3, -9, 12})));
    Tensor d3y = autograd::grad({sum(d2y)}, {x})[0];
    CHECK(test::all_close(d3y, Tensor::from({6, 6, 6})));
    CHECK_FALSE(x.grad().defined());  // grad() returns gradients and leaves .grad() alone
}

TEST_CASE("grad: backward({.create_graph = true}) makes .grad() differentiable", "[autograd][grad2]") {
    Tensor x = Tensor::from({0.3, -0.7}).requires_grad_();
    Tensor y = sum(tanh(x));
    y.backward({.create_graph = true});
    Tensor g = x.grad();  // 1 - tanh²x, with a tape
    REQUIRE(g.requires_grad());
    x.mutable_grad() = Tensor();
    sum(g).backward();  // d/dx (1 - tanh²x) = -2 tanh x (1 - tanh²x)
    const Array t = xt::tanh(x.data());
    CHECK(test::all_close(x.grad().data(), Array(-2.0f * t * (1.0f - t * t)), 1e-6f));
}

TEST_CASE("grad: intermediate inputs, grad_outputs and several outputs", "[autograd][grad2]") {
    Tensor x = Tensor::from({1, 2, 3}).requires_grad_();
    Tensor h = x * x;  // an intermediate
    Tensor a = sum(h * 2.0f), b = h * 3.0f;
    std::vector<Tensor> g =
        autograd::grad({a, b}, {h, x}, {.grad_outputs = {Tensor::ones({}), Tensor::from({1, 0, 2})}});
    CHECK(test::all_close(g[0], Tensor::from({5, 2, 8})));    // 2 + 3·[1, 0, 2]
    CHECK(test::all_close(g[1], Tensor::from({10, 8, 48})));  // 2x · that
    CHECK_THROWS_WITH(autograd::grad({b}, {x}),
                      Catch::Contains("grad can be implicitly created only for a one-element"));
    CHECK_THROWS_WITH(autograd::grad({a}, {x}, {.grad_outputs = {Tensor::ones({2})}}),
                      Catch::Contains("grad_outputs[0] [2] does not match output []"));
}

TEST_CASE("grad: an unused input is an error unless allow_unused", "[autograd][grad2][errors]") {
    Tensor x = Tensor::from({1, 2}).requires_grad_(), z = Tensor::from({3}).requires_grad_();
    Tensor y = sum(x * x);
    CHECK_THROWS_WITH(autograd::grad({y}, {x, z}, {.retain_graph = true}),
                      Catch::Contains("input 1 [1] was not used") && Catch::Contains("allow_unused"));
    std::vector<Tensor> g = autograd::grad({y}, {x, z}, {.allow_unused = true});
    CHECK(test::all_close(g[0], Tensor::from({2, 4})));
    CHECK_FALSE(g[1].defined());
    Tensor c = Tensor::from({1});
    CHECK_THROWS_WITH(autograd::grad({sum(x * c)}, {c}), Catch::Contains("input 0 does not require grad"));
}

TEST_CASE("grad: the Hessian of a quadratic ½xᵀAx + bᵀx is exactly (A + Aᵀ)/2", "[autograd][grad2]") {
    Tensor A = Tensor::from({{2, 1, 0}, {3, 4, -1}, {0, 1, 5}});
    Tensor b = Tensor::from({1, -2, 0.5});
    Tensor x = Tensor::from({0.3, -1.2, 2.0}).requires_grad_();
    auto f = [&](const Tensor& v) { return matmul(v, matmul(A, v)) * 0.5f + matmul(b, v); };
    Tensor g = autograd::grad({f(x)}, {x}, {.create_graph = true})[0];
    std::vector<Tensor> rows;
    for (std::int64_t i = 0; i < 3; ++i)
        rows.push_back(autograd::grad({select(g, 0, i)}, {x}, {.retain_graph = true})[0]);
    const Array H = stack(rows).data();
    const Array expected = (A.data() + xt::transpose(A.data())) * 0.5f;
    CHECK(H == expected);  // exact: every second derivative is a sum of products of A's entries by ½
}

TEST_CASE("grad: a backward function is asked only for the gradients the pass needs", "[autograd][grad2]") {
    // w·x through a custom op that reports needs_input_grad: grad() with respect to x alone
    // doesn't want w's gradient; backward() wants both; an input without requires_grad neither.
    std::vector<std::vector<bool>> asked;
    auto op = [&](const Tensor& w, const Tensor& x) {
        Tensor out(w.data() * x.data());
        autograd::record("scaled", out, {w, x}, [&asked, w, x](Tensor g) {
            asked.push_back({autograd::needs_input_grad(0), autograd::needs_input_grad(1)});
            return autograd::Tensors{g * x, g * w};  // both, even when one isn't wanted: it is dropped
        });
        return out;
    };
    Tensor w = Tensor::from({2}).requires_grad_(), x = Tensor::from({3}).requires_grad_();
    CHECK(autograd::grad({sum(op(w, x))}, {x})[0].item() == 2.0f);
    CHECK_FALSE(w.grad().defined());
    sum(op(w, x)).backward();
    CHECK(w.grad().item() == 3.0f);
    CHECK(x.grad().item() == 2.0f);
    sum(op(w, x.detach())).backward();
    CHECK(w.grad().item() == 6.0f);
    CHECK(asked == std::vector<std::vector<bool>>{{false, true}, {true, true}, {true, false}});
    CHECK(autograd::needs_input_grad(0));  // outside a backward function
    // Through linear, grad() with respect to the input alone (its weight and bias skipped) is still Σ_out W.
    auto model = nn::Linear(3, 2);
    Tensor in = Tensor::randn({4, 3}).requires_grad_();
    Tensor gx = autograd::grad({sum(model(in))}, {in}, {.create_graph = true})[0];
    CHECK(test::all_close(gx, Tensor::zeros({4, 3}) + sum(model.weight, 0)));
    CHECK_FALSE(model.weight.grad().defined());
}

TEST_CASE("grad: a second-order pass through a first-order-only op names the op", "[autograd][grad2][errors]") {
    Tensor x = Tensor::randn({1, 1, 4, 4}).requires_grad_();
    Tensor w = Tensor::randn({2, 1, 3, 3}).requires_grad_();
    Tensor y = sum(conv2d(x, w) * conv2d(x, w));
    Tensor gx = autograd::grad({y}, {x}, {.create_graph = true})[0];  // first order: fine
    CHECK(gx.requires_grad());
    CHECK_THROWS_WITH(autograd::grad({sum(gx)}, {w}),
                      Catch::Contains("conv2d") && Catch::Contains("first-order") && Catch::Contains("second-order"));
    // First-order training through the same op is unaffected.
    sum(conv2d(x, w)).backward();
    CHECK(w.grad().defined());
}

TEST_CASE("grad: without create_graph nothing is recorded and the nodes are freed", "[autograd][grad2]") {
    const auto before = autograd::live_nodes();
    {
        Tensor x = Tensor::from({1, 2}).requires_grad_();
        Tensor y = sum(exp(x) * x);
        Tensor g = autograd::grad({y}, {x})[0];
        CHECK_FALSE(g.requires_grad());
        CHECK_THROWS_WITH(autograd::grad({y}, {x}), Catch::Contains("already freed"));
    }
    CHECK(autograd::live_nodes() == before);
}

TEST_CASE("grad: create_graph over many steps leaves no nodes behind", "[autograd][grad2]") {
    const auto before = autograd::live_nodes();
    Tensor w = Tensor::from({0.5, -0.3}).requires_grad_();
    for (int step = 0; step < 200; ++step) {
        Tensor x = Tensor::from({0.1f * static_cast<float>(step % 7), 1.0f}).requires_grad_();
        Tensor u = tanh(x * w);
        Tensor du = autograd::grad({sum(u)}, {x}, {.create_graph = true})[0];
        Tensor loss = sum(du * du);
        w.mutable_grad() = Tensor();
        loss.backward();
        NoGradGuard no_grad;
        w.data() -= 0.01f * w.grad().data();
    }
    w.mutable_grad() = Tensor();
    CHECK(autograd::live_nodes() == before);
}

TEST_CASE("grad: 10 000 PINN steps (u'' through two create_graph passes) keep nodes and memory flat",
          "[autograd][grad2]") {
    manual_seed(3);
    auto model = nn::Sequential(nn::Linear(1, 8), nn::Tanh(), nn::Linear(8, 8), nn::Tanh(), nn::Linear(8, 1));
    Tensor x = ((Tensor::arange(8.0f) + 0.5f) / 8.0f).unsqueeze(1).requires_grad_();
    optim::Adam opt(model.parameters(), {.lr = 1e-3});
    auto step = [&] {
        Tensor u = model(x);
        Tensor du = autograd::grad({u.sum()}, {x}, {.create_graph = true})[0];
        Tensor d2u = autograd::grad({du.sum()}, {x}, {.create_graph = true})[0];
        Tensor loss = (d2u * d2u).mean() + pow(model(x.detach()) - x.detach(), 2.0f).mean();
        opt.zero_grad();
        loss.backward();
        opt.step();
    };
    for (int i = 0; i < 100; ++i) step();  // allocator and optimizer state warmed up
    const auto nodes = autograd::live_nodes();
    rusage before{};
    getrusage(RUSAGE_SELF, &before);
    for (int i = 0; i < 10000; ++i) step();
    rusage after{};
    getrusage(RUSAGE_SELF, &after);
    CHECK(autograd::live_nodes() == nodes);
#if defined(__SANITIZE_ADDRESS__)
    (void)after;  // ASan keeps freed memory in quarantine, so RSS grows without a leak; LeakSanitizer checks this build
#else
    CHECK(after.ru_maxrss - before.ru_maxrss < 2048);  // KiB: a leak of even one small tensor a step would pass 3 MB
#endif
}

TEST_CASE("tape: a leaf's grad() is never the caller's seed nor shared with another input's", "[autograd]") {
    Tensor a = Tensor::from({1, 2}).requires_grad_(), b = Tensor::from({3, 4}).requires_grad_();
    Tensor seed = Tensor::from({1, 1});
    (a + b).backward(seed);  // add passes the seed through to both inputs unchanged
    seed.data()(0) = 100.0f;
    CHECK(test::all_close(a.grad(), Tensor::from({1, 1})));
    CHECK(a.grad().storage() != b.grad().storage());
    (a + b).backward(Tensor::from({1, 1}));  // a second pass adds into each grad on its own
    CHECK(test::all_close(a.grad(), Tensor::from({2, 2})));
    CHECK(test::all_close(b.grad(), Tensor::from({2, 2})));
}

TEST_CASE("grad: an input listed twice gets its gradient twice", "[autograd][grad2]") {
    Tensor x = Tensor::from({1, 2}).requires_grad_();
    std::vector<Tensor> g = autograd::grad({sum(x * x)}, {x, x});
    CHECK(test::all_close(g[0], Tensor::from({2, 4})));
    CHECK(test::all_close(g[1], Tensor::from({2, 4})));
}

TEST_CASE("grad: under create_graph a leaf's grad() is not shared with another leaf's", "[autograd][grad2]") {
    Tensor a = Tensor::from({1, 2}).requires_grad_(), b = Tensor::from({3, 4}).requires_grad_();
    sum(a * a + b).backward({.create_graph = true});
    CHECK(a.grad().storage() != b.grad().storage());
    Tensor seed = Tensor::from({1, 1});
    Tensor c = Tensor::from({5, 6}).requires_grad_();
    (c + 1.0f).backward(seed, {.create_graph = true});
    CHECK(c.grad().storage() != seed.storage());
    // A leaf's grad() with a tape refers back to the leaf: clear it when done, as PyTorch advises.
    for (Tensor* t : {&a, &b, &c}) t->mutable_grad() = Tensor();
}

TEST_CASE("grad: backward with create_graph through a first-order kernel frees its nodes", "[autograd][grad2]") {
    const auto before = autograd::live_nodes();
    {
        Tensor x = Tensor::randn({1, 1, 4, 4}), w = Tensor::randn({2, 1, 3, 3}).requires_grad_();
        sum(conv2d(x, w)).backward({.create_graph = true});
        CHECK(w.grad().requires_grad());  // marked: differentiating it again would name conv2d
    }
    CHECK(autograd::live_nodes() == before);
}
