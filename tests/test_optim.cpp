// Optimizers, schedulers and gradient clipping against PyTorch's trajectories
// (tests/reference/reference.txt), state save/load, and hyperparameter errors.
#include "helpers.hpp"

#include <cmath>
#include <type_traits>
#include <utility>

using namespace xg;

namespace {

struct Problem {  // the least-squares problem of make_reference.py
    Tensor X = Tensor::from({{0.5, -1.0, 2.0}, {1.5, 0.25, -0.5}, {-1.0, 1.0, 0.75}, {0.0, -0.5, 1.25}});
    Tensor Y = Tensor::from({{1.0, -1.0}, {0.5, 2.0}, {-1.5, 0.0}, {0.25, 0.75}});
    Tensor w = Tensor::from({{0.1, -0.2, 0.3}, {-0.4, 0.5, -0.6}}).requires_grad_();
    Tensor b = Tensor::from({0.05, -0.05}).requires_grad_();
    Tensor loss() const { return mean(pow(matmul(X, w.t()) + b - Y, 2.0f)); }
    std::vector<float> values() const {
        std::vector<float> v(w.data().begin(), w.data().end());
        v.insert(v.end(), b.data().begin(), b.data().end());
        return v;
    }
};

void check_trajectory(const std::string& name,
                      const std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)>& make) {
    Problem pr;
    auto opt = make({pr.w, pr.b});
    for (int step = 1; step <= 5; ++step) {
        opt->zero_grad();
        pr.loss().backward();
        opt->step();
        const std::vector<float> want = test::reference("optim/" + name + "/step" + std::to_string(step));
        const std::vector<float> got = pr.values();
        INFO(name << " step " << step);
        for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(2e-6).margin(1e-7));
    }
}

template <class O, class Options>
std::function<std::unique_ptr<optim::Optimizer>(std::vector<Tensor>)> maker(Options o) {
    return [o](std::vector<Tensor> p) { return std::make_unique<O>(std::move(p), o); };
}
}  // namespace

TEST_CASE("SGD: first steps match PyTorch (plain, momentum, dampening, nesterov, weight decay)", "[optim]") {
    check_trajectory("sgd", maker<optim::SGD>(optim::SGDOptions{.lr = 0.1}));
    check_trajectory("sgd_momentum", maker<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9}));
    check_trajectory("sgd_dampening",
                     maker<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.5}));
    check_trajectory("sgd_nesterov",
                     maker<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true}));
    check_trajectory("sgd_weight_decay",
                     maker<optim::SGD>(optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01}));
}

TEST_CASE("Adam and AdamW: first steps match PyTorch (weight decay, amsgrad)", "[optim]") {
    check_trajectory("adam", maker<optim::Adam>(optim::AdamOptions{.lr = 0.01}));
    check_trajectory("adam_weight_decay", maker<optim::Adam>(optim::AdamOptions{.lr = 0.01, .weight_decay = 0.1}));
    check_trajectory("adam_amsgrad",
                     maker<optim::Adam>(optim::AdamOptions{.lr = 0.01, .betas = {0.8, 0.9}, .amsgrad = true}));
    check_trajectory("adamw", maker<optim::AdamW>(optim::AdamWOptions{.lr = 0.01}));
    check_trajectory("adamw_amsgrad",
                     maker<optim::AdamW>(optim::AdamWOptions{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true}));
}

TEST_CASE("StepLR and CosineAnnealingLR: learning rates match PyTorch", "[optim]") {
    Problem pr;
    for (std::string name : {"steplr", "cosine"}) {
        optim::SGD opt({pr.w, pr.b}, {.lr = 0.1});
        std::unique_ptr<optim::LRScheduler> sched;
        if (name == "steplr") sched = std::make_unique<optim::StepLR>(opt, 2, 0.5);
        else sched = std::make_unique<optim::CosineAnnealingLR>(opt, 3, 0.01);
        const std::vector<float> want = test::reference("sched/" + name);
        for (std::size_t i = 0; i < want.size(); ++i) {
            opt.step();
            sched->step();
            INFO(name << " epoch " << i + 1);
            CHECK(opt.lr() == Approx(want[i]).epsilon(1e-6));
            CHECK(sched->get_last_lr() == opt.lr());
        }
    }
}

TEST_CASE("clip_grad_norm_: total norm and clipped gradients match PyTorch", "[optim]") {
    Problem pr;
    pr.loss().backward();
    const double total = optim::clip_grad_norm_({pr.w, pr.b}, 0.5);
    CHECK(total == Approx(test::reference("clip/total_norm")[0]).epsilon(1e-6));
    std::vector<float> grads(pr.w.grad().data().begin(), pr.w.grad().data().end());
    grads.insert(grads.end(), pr.b.grad().data().begin(), pr.b.grad().data().end());
    const std::vector<float> want = test::reference("clip/grads");
    for (std::size_t i = 0; i < want.size(); ++i) CHECK(grads[i] == Approx(want[i]).epsilon(1e-5));
    // A norm already under the limit is left alone.
    const Tensor before = pr.w.grad().detach();
    optim::clip_grad_norm_({pr.w, pr.b}, 100.0);
    CHECK(test::all_close(pr.w.grad(), before, 0.0f));
}

TEST_CASE("optimizer state: save, load into a fresh optimizer, and resume exactly", "[optim][serialize]") {
    const std::string path = test::temp_path("adam_state.safetensors");
    Problem straight, resumed;
    optim::Adam a({straight.w, straight.b}, {.lr = 0.01, .amsgrad = true});
    optim::Adam b({resumed.w, resumed.b}, {.lr = 0.01, .amsgrad = true});
    auto train = [](Problem& pr, optim::Optimizer& opt, int steps) {
        for (int i = 0; i < steps; ++i) {
            opt.zero_grad();
            pr.loss().backward();
            opt.step();
        }
    };
    train(straight, a, 6);
    train(resumed, b, 3);
    b.set_lr(0.02);
    b.save(path);
    b.set_lr(0.5);  // overwritten by load
    optim::Adam fresh({resumed.w, resumed.b}, {.lr = 0.01, .amsgrad = true});
    fresh.load(path);
    CHECK(fresh.lr() == Approx(0.02));
    fresh.set_lr(0.01);
    train(resumed, fresh, 3);
    CHECK(test::all_close(resumed.w, straight.w, 0.0f));
    CHECK(test::all_close(resumed.b, straight.b, 0.0f));

    optim::SGD sgd({straight.w, straight.b}, {.lr = 0.1, .momentum = 0.9});
    CHECK_THROWS_WITH(sgd.load(path), Catch::Contains("holds Adam state, this is SGD"));
    optim::Adam other({straight.w}, {});
    CHECK_THROWS_WITH(other.load(path), Catch::Contains("is for 2 parameters, this optimizer has 1"));
}

TEST_CASE("optimizers: bad hyperparameters and parameters are clear errors", "[optim][errors]") {
    Tensor w = Tensor::zeros({2}, true);
    CHECK_THROWS_WITH(optim::SGD({w}, {.lr = -1}), Catch::Contains("learning rate must be >= 0"));
    CHECK_THROWS_WITH(optim::SGD({w}, {.lr = 0.1, .nesterov = true}), Catch::Contains("nesterov"));
    CHECK_THROWS_WITH(optim::Adam({w}, {.betas = {1.0, 0.999}}), Catch::Contains("beta1"));
    CHECK_THROWS_WITH(optim::Adam({}, {}), Catch::Contains("empty parameter list"));
    CHECK_THROWS_WITH(optim::SGD({w * 2.0f}, {}), Catch::Contains("not a leaf"));
}

TEST_CASE("optimizers: parameters without a gradient are skipped; updates are not recorded", "[optim]") {
    Tensor used = Tensor::ones({2}, true), unused = Tensor::ones({2}, true);
    optim::Adam opt({used, unused}, {.lr = 0.1});
    sum(used * used).backward();
    opt.step();
    CHECK(test::all_close(unused, Tensor::ones({2}), 0.0f));
    CHECK(used.data()(0) < 1.0f);
    CHECK(used.is_leaf());
    CHECK_FALSE(used.grad_fn());
}

TEST_CASE("optimizer state: the learning rate round-trips exactly, even 1e-7", "[optim][serialize]") {
    const std::string path = test::temp_path("tiny_lr.safetensors");
    Problem pr;
    optim::SGD a({pr.w, pr.b}, {.lr = 1e-7, .momentum = 0.9});
    a.save(path);
    CHECK(safetensors::load(path).metadata.at("lr") == "1e-07");
    optim::SGD b({pr.w, pr.b}, {.lr = 0.5, .momentum = 0.9});
    b.load(path);
    CHECK(b.lr() == 1e-7);  // exactly: std::to_string wrote "0.000000", which loaded as 0
    const double awkward = 0.1 + 0.2;
    a.set_lr(awkward);
    a.save(path);
    b.load(path);
    CHECK(b.lr() == awkward);
}

TEST_CASE("optimizer state: a corrupt number in the file is an xg::Error naming the file and the key",
          "[optim][serialize][errors]") {
    const std::string good = test::temp_path("adam_good.safetensors"),
                      bad = test::temp_path("adam_corrupt.safetensors");
    Problem pr;
    optim::Adam a({pr.w, pr.b}, {.lr = 0.01});
    a.zero_grad();
    pr.loss().backward();
    a.step();
    a.save(good);
    auto corrupt = [&](const std::string& key, const std::string& text) {
        safetensors::File file = safetensors::load(good);
        file.metadata[key] = text;
        safetensors::save(file, bad);
    };
    optim::Adam fresh({pr.w, pr.b}, {.lr = 0.5});
    corrupt("lr", "0.01x");
    CHECK_THROWS_AS(fresh.load(bad), Error);
    CHECK_THROWS_WITH(fresh.load(bad), Catch::Contains(bad) && Catch::Contains("'lr'") && Catch::Contains("'0.01x'"));
    corrupt("lr", "1e999");
    CHECK_THROWS_WITH(fresh.load(bad),
                      Catch::Contains(bad) && Catch::Contains("'lr'") && Catch::Contains("out of range"));
    corrupt("lr", "-0.001");
    CHECK_THROWS_WITH(fresh.load(bad), Catch::Contains("learning rate must be >= 0, got -0.001"));
    corrupt("0.step", "one");
    CHECK_THROWS_AS(fresh.load(bad), Error);
    CHECK_THROWS_WITH(fresh.load(bad), Catch::Contains(bad) && Catch::Contains("'0.step'") && Catch::Contains("'one'"));
    corrupt("param_count", "2 ");
    CHECK_THROWS_WITH(fresh.load(bad), Catch::Contains(bad) && Catch::Contains("'param_count'"));
    CHECK(fresh.lr() == 0.5);  // every failed load left the optimizer as it was
    {
        safetensors::File file = safetensors::load(good);
        file.tensors.emplace_back("x.exp_avg", file.tensors.front().second);
        safetensors::save(file, bad);
    }
    CHECK_THROWS_AS(fresh.load(bad), Error);
    CHECK_THROWS_WITH(fresh.load(bad), Catch::Contains(bad) && Catch::Contains("'x.exp_avg'"));
}

TEST_CASE("optimizers: the learning rate lives once; set_lr and schedulers change what step uses and save writes",
          "[optim]") {
    // options() is a read-only view of the one copy; there is no second lr to go stale.
    static_assert(std::is_const_v<std::remove_reference_t<decltype(std::declval<optim::SGD&>().options())>>);
    static_assert(std::is_const_v<std::remove_reference_t<decltype(std::declval<optim::Adam&>().options())>>);
    const std::string path = test::temp_path("lr_once.safetensors");
    auto one_step = [](Problem& pr, optim::Optimizer& opt) {
        opt.zero_grad();
        pr.loss().backward();
        opt.step();
    };
    {
        Problem changed, direct;
        optim::AdamW a({changed.w, changed.b}, {.lr = 0.1, .weight_decay = 0.5});
        optim::AdamW b({direct.w, direct.b}, {.lr = 0.003, .weight_decay = 0.5});
        a.set_lr(0.003);
        CHECK(a.options().lr == 0.003);
        one_step(changed, a);
        one_step(direct, b);
        CHECK(test::all_close(changed.w, direct.w,
                              0.0f));  // the step and the decoupled decay p·(1 - lr·wd) both used the new lr
        a.save(path);
        CHECK(safetensors::load(path).metadata.at("lr") == "0.003");
    }
    {
        Problem scheduled, direct;
        optim::SGD a({scheduled.w, scheduled.b}, {.lr = 0.1, .momentum = 0.9});
        optim::StepLR sched(a, 1, 0.5);
        sched.step();
        CHECK(a.lr() == 0.05);
        CHECK(a.options().lr == 0.05);
        optim::SGD b({direct.w, direct.b}, {.lr = 0.05, .momentum = 0.9});
        one_step(scheduled, a);
        one_step(direct, b);
        CHECK(test::all_close(scheduled.w, direct.w, 0.0f));
        a.save(path);
        CHECK(safetensors::load(path).metadata.at("lr") == "0.05");
    }
    Tensor w = Tensor::zeros({2}, true);
    optim::SGD sgd({w}, {.lr = 0.1});
    CHECK_THROWS_WITH(sgd.set_lr(-1e-7), Catch::Contains("learning rate must be >= 0, got -1e-07"));  // was -0.000000
    CHECK(sgd.lr() == 0.1);
}
