// Optimizers against PyTorch's trajectories (tests/reference/optim.txt, made by
// make_optim_reference.py), parameter groups, state_dict and its files, gradient clipping, and
// the errors. Schedulers: tests/test_lr_scheduler.cpp.
#include "helpers.hpp"
#include "optim_reference.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <utility>

using namespace xg;
using test::Problem;

namespace {

using Maker = std::function<std::unique_ptr<optim::Optimizer>(Tensor w, Tensor b)>;

void check_trajectory(const std::string& name, const Maker& make) {
    Problem pr;
    auto opt = make(pr.w, pr.b);
    for (int step = 1; step <= 5; ++step) {
        pr.train(*opt);
        const std::vector<double>& want = test::optim_reference("optim/" + name + "/step" + std::to_string(step));
        const std::vector<float> got = pr.values();
        INFO(name << " step " << step);
        REQUIRE(got.size() == want.size());
        for (std::size_t i = 0; i < want.size(); ++i) CHECK(got[i] == Approx(want[i]).epsilon(2e-6).margin(1e-7));
    }
}

// One group holding both parameters, with these options.
template <class O, class Options>
Maker maker(Options o) {
    return [o](Tensor w, Tensor b) { return std::make_unique<O>(std::vector<Tensor>{w, b}, o); };
}

}  // namespace

TEST_CASE("SGD: first steps match PyTorch (plain, momentum, dampening, nesterov, weight decay, maximize)", "[optim]") {
    using optim::SGD, optim::SGDOptions;
    check_trajectory("sgd", maker<SGD>(SGDOptions{.lr = 0.1}));
    check_trajectory("sgd_momentum", maker<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9}));
    check_trajectory("sgd_dampening", maker<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.5}));
    check_trajectory("sgd_nesterov", maker<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true}));
    check_trajectory("sgd_weight_decay", maker<SGD>(SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.01}));
    check_trajectory("sgd_maximize", maker<SGD>(SGDOptions{.lr = 0.01, .momentum = 0.5, .maximize = true}));
}

TEST_CASE("Adam and AdamW: first steps match PyTorch (weight decay, amsgrad)", "[optim]") {
    using optim::Adam, optim::AdamW, optim::AdamOptions, optim::AdamWOptions;
    check_trajectory("adam", maker<Adam>(AdamOptions{.lr = 0.01}));
    check_trajectory("adam_weight_decay", maker<Adam>(AdamOptions{.lr = 0.01, .weight_decay = 0.1}));
    check_trajectory("adam_amsgrad", maker<Adam>(AdamOptions{.lr = 0.01, .betas = {0.8, 0.9}, .amsgrad = true}));
    check_trajectory("adamw", maker<AdamW>(AdamWOptions{.lr = 0.01}));
    check_trajectory("adamw_amsgrad", maker<AdamW>(AdamWOptions{.lr = 0.01, .weight_decay = 0.1, .amsgrad = true}));
}

TEST_CASE("RMSprop: first steps match PyTorch (alpha, eps, weight decay, momentum, centered, maximize)", "[optim]") {
    using optim::RMSprop, optim::RMSpropOptions;
    check_trajectory("rmsprop", maker<RMSprop>(RMSpropOptions{}));
    check_trajectory("rmsprop_alpha_eps", maker<RMSprop>(RMSpropOptions{.lr = 0.02, .alpha = 0.9, .eps = 1e-3}));
    check_trajectory("rmsprop_weight_decay", maker<RMSprop>(RMSpropOptions{.lr = 0.01, .weight_decay = 0.1}));
    check_trajectory("rmsprop_momentum", maker<RMSprop>(RMSpropOptions{.lr = 0.01, .momentum = 0.9}));
    check_trajectory("rmsprop_centered", maker<RMSprop>(RMSpropOptions{.lr = 0.01, .centered = true}));
    check_trajectory("rmsprop_all",
                     maker<RMSprop>(RMSpropOptions{
                         .lr = 0.005, .alpha = 0.95, .weight_decay = 0.05, .momentum = 0.5, .centered = true}));
    check_trajectory("rmsprop_maximize", maker<RMSprop>(RMSpropOptions{.lr = 0.01, .momentum = 0.3, .maximize = true}));
}

TEST_CASE("Adagrad: first steps match PyTorch (lr_decay, weight decay, initial accumulator, eps, maximize)",
          "[optim]") {
    using optim::Adagrad, optim::AdagradOptions;
    check_trajectory("adagrad", maker<Adagrad>(AdagradOptions{.lr = 0.1}));
    check_trajectory("adagrad_lr_decay", maker<Adagrad>(AdagradOptions{.lr = 0.1, .lr_decay = 0.5}));
    check_trajectory("adagrad_weight_decay", maker<Adagrad>(AdagradOptions{.lr = 0.1, .weight_decay = 0.2}));
    check_trajectory("adagrad_initial_accumulator",
                     maker<Adagrad>(AdagradOptions{.lr = 0.1, .initial_accumulator_value = 0.5}));
    check_trajectory("adagrad_eps", maker<Adagrad>(AdagradOptions{.lr = 0.1, .eps = 0.1}));
    check_trajectory("adagrad_maximize", maker<Adagrad>(AdagradOptions{.lr = 0.05, .lr_decay = 0.1, .maximize = true}));
}

TEST_CASE("parameter groups: per-group options match PyTorch's param_groups for every optimizer", "[optim]") {
    // PyTorch: SGD([{'params': [w]}, {'params': [b], 'weight_decay': 0.0}], lr=0.1, momentum=0.9, weight_decay=0.05)
    check_trajectory("groups_sgd", [](Tensor w, Tensor b) {
        return std::make_unique<optim::SGD>(std::vector<optim::SGD::GroupSpec>{{{w}}, {{b}, {.weight_decay = 0.0}}},
                                            optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.05});
    });
    check_trajectory("groups_adam", [](Tensor w, Tensor b) {
        return std::make_unique<optim::Adam>(std::vector<optim::Adam::GroupSpec>{{{w}, {.lr = 0.001}}, {{b}}},
                                             optim::AdamOptions{.lr = 0.01, .weight_decay = 0.1});
    });
    check_trajectory("groups_rmsprop", [](Tensor w, Tensor b) {
        return std::make_unique<optim::RMSprop>(
            std::vector<optim::RMSprop::GroupSpec>{{{w}, {.centered = true}}, {{b}, {.momentum = 0.5}}}, 0.01);
    });
    check_trajectory("groups_adagrad", [](Tensor w, Tensor b) {
        return std::make_unique<optim::Adagrad>(
            std::vector<optim::Adagrad::GroupSpec>{{{w}}, {{b}, {.lr = 0.5, .lr_decay = 0.1}}}, 0.1);
    });
}

TEST_CASE("parameter groups: no decay on biases and fine-tuning read as in PyTorch", "[optim]") {
    nn::Linear backbone(4, 3), head(3, 2);
    std::vector<Tensor> weights{backbone.weight, head.weight}, biases{backbone.bias, head.bias};
    // SGD([{'params': weights}, {'params': biases, 'weight_decay': 0}], lr=0.1, momentum=0.9, weight_decay=5e-4)
    optim::SGD opt({{weights}, {biases, {.weight_decay = 0}}}, {.lr = 0.1, .momentum = 0.9, .weight_decay = 5e-4});
    opt.param_groups()[1].lr = 0.01;  // any option of a group is readable and settable
    REQUIRE(opt.param_groups().size() == 2);
    CHECK(opt.param_groups()[0].weight_decay == 5e-4);
    CHECK(opt.param_groups()[1].weight_decay == 0.0);
    CHECK(opt.param_groups()[1].momentum == 0.9);  // unset options come from the defaults
    CHECK(opt.param_groups()[1].params.size() == 2);
    CHECK(opt.group_lr(1) == 0.01);
    CHECK(opt.lr() == 0.1);

    // Fine-tuning: the pretrained part at a tenth of the head's lr, then a group added later.
    optim::Adam adam({{backbone.parameters(), {.lr = 1e-4}}, {head.parameters()}}, 1e-3);
    CHECK(adam.param_groups()[0].lr == 1e-4);
    CHECK(adam.param_groups()[1].lr == 1e-3);
    CHECK(adam.lr() == 1e-4);          // lr() is group 0's
    adam.param_groups()[1].lr = 5e-4;  // settable, as param_groups[1]['lr'] = 5e-4
    CHECK(adam.group_lr(1) == 5e-4);
    Tensor extra = Tensor::zeros({3}, true);
    adam.add_param_group({{extra}, {.betas = std::pair{0.5, 0.9}}});
    CHECK(adam.param_groups()[2].betas.first == 0.5);
    CHECK(adam.param_groups()[2].lr == 1e-3);  // add_param_group fills in from the defaults
    CHECK(adam.params().size() == 5);
    adam.set_lr(0.01);  // every group
    for (const auto& g : adam.param_groups()) CHECK(g.lr == 0.01);

    // A group's own lr is what its step uses: a group at lr 0 does not move.
    Problem pr;
    const Tensor w0 = pr.w.detach();
    optim::SGD frozen({{{pr.w}, {.lr = 0.0}}, {{pr.b}}}, 0.1);
    pr.train(frozen);
    CHECK(test::all_close(pr.w, w0, 0.0f));
    CHECK(pr.b.data()(0) != 0.05f);
}

TEST_CASE("optimizers: constructible from the lr alone, as optim::SGD(params, 0.01)", "[optim]") {
    Tensor w = Tensor::zeros({2}, true);
    optim::SGD sgd({w}, 0.01);
    optim::Adam adam({w}, 1e-3);
    optim::AdamW adamw({w}, 1e-3);
    optim::RMSprop rmsprop({w}, 0.02);
    optim::Adagrad adagrad({w}, 0.5);
    CHECK(sgd.lr() == 0.01);
    CHECK(adam.lr() == 1e-3);
    CHECK(adamw.param_groups()[0].weight_decay == 1e-2);  // AdamW's own default
    CHECK(rmsprop.param_groups()[0].alpha == 0.99);
    CHECK(adagrad.lr() == 0.5);
    auto heap = std::make_unique<optim::SGD>(std::vector<Tensor>{w}, 0.05);  // forwarding works too
    CHECK(heap->lr() == 0.05);
    // {} still means the default options (lr 1e-3), not lr = 0.
    optim::SGD defaults({w}, {});
    CHECK(defaults.lr() == 1e-3);
    static_assert(std::is_constructible_v<optim::SGD, std::vector<Tensor>, double>);
    static_assert(std::is_constructible_v<optim::Adam, std::vector<Tensor>, int>);
    static_assert(!std::is_constructible_v<optim::SGD, std::vector<Tensor>, const char*>);
}

TEST_CASE("optimizers: bad hyperparameters and parameters are clear errors", "[optim][errors]") {
    Tensor w = Tensor::zeros({2}, true), v = Tensor::zeros({3}, true);
    CHECK_THROWS_WITH(optim::SGD({w}, {.lr = -1}), Catch::Contains("learning rate: it must be >= 0, got -1"));
    CHECK_THROWS_WITH(optim::SGD({w}, {.lr = 0.1, .nesterov = true}), Catch::Contains("nesterov"));
    CHECK_THROWS_WITH(optim::Adam({w}, {.betas = {1.0, 0.999}}), Catch::Contains("beta1"));
    CHECK_THROWS_WITH(optim::RMSprop({w}, {.alpha = -0.1}), Catch::Contains("alpha"));
    CHECK_THROWS_WITH(optim::Adagrad({w}, {.lr_decay = -1}), Catch::Contains("lr_decay"));
    CHECK_THROWS_WITH(optim::Adam(std::vector<Tensor>{}, {}), Catch::Contains("empty parameter list"));
    CHECK_THROWS_WITH(optim::SGD({w * 2.0f}, {}), Catch::Contains("not a leaf"));
    // A group's override is checked too, and a parameter may be in one group only (as PyTorch).
    CHECK_THROWS_WITH(optim::SGD({{{w}}, {{v}, {.momentum = -0.5}}}, 0.1), Catch::Contains("momentum -0.5"));
    CHECK_THROWS_WITH(optim::SGD({{{w}}, {{v, w}}}, 0.1),
                      Catch::Contains("parameter 2 [2] is already in this optimizer"));
    CHECK_THROWS_WITH(optim::SGD({w, w}, 0.1), Catch::Contains("already in this optimizer"));
    optim::SGD sgd({w}, 0.1);
    CHECK_THROWS_WITH(sgd.add_param_group({{w}}), Catch::Contains("already in this optimizer"));
    CHECK_THROWS_WITH(sgd.set_lr(-1e-7), Catch::Contains("must be >= 0, got -1e-07"));
    CHECK(sgd.lr() == 0.1);
    CHECK(sgd.param_groups().size() == 1);
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
    CHECK(opt.state_dict().contains("state.0.exp_avg"));
    CHECK_FALSE(opt.state_dict().contains("state.1.exp_avg"));  // no state until a parameter steps
}

// ---- state_dict ----

TEST_CASE("optimizer state_dict: PyTorch's layout, flattened", "[optim][serialize]") {
    Problem pr;
    optim::Adam opt({{{pr.w}, {.amsgrad = true}}, {{pr.b}, {.lr = 0.5}}}, {.lr = 0.01, .betas = {0.8, 0.9}});
    pr.train(opt, 3);
    const StateDict d = opt.state_dict();
    CHECK(d.meta("optimizer") == "Adam");
    CHECK(d.meta("state.0.step") == "3");
    CHECK(d.meta("state.1.step") == "3");
    CHECK(d.at("state.0.max_exp_avg_sq").shape() == Shape{2, 3});
    CHECK_FALSE(d.contains("state.1.max_exp_avg_sq"));  // group 1 is not amsgrad
    CHECK(d.at("state.1.exp_avg").shape() == Shape{2});
    const auto groups = nlohmann::json::parse(d.meta("param_groups"));
    REQUIRE(groups.size() == 2);
    CHECK(groups[0]["lr"] == 0.01);
    CHECK(groups[0]["betas"] == nlohmann::json::array({0.8, 0.9}));
    CHECK(groups[0]["amsgrad"] == true);
    CHECK(groups[0]["params"] == nlohmann::json::array({0}));
    CHECK(groups[1]["lr"] == 0.5);
    CHECK(groups[1]["params"] == nlohmann::json::array({1}));
    CHECK_FALSE(groups[0].contains("initial_lr"));
    optim::StepLR sched(opt, 2);
    CHECK(nlohmann::json::parse(opt.state_dict().meta("param_groups"))[1]["initial_lr"] == 0.5);
    // SGD keeps no step count, as PyTorch's; Adagrad has state before its first step.
    optim::SGD sgd({pr.w}, {.lr = 0.1, .momentum = 0.9});
    pr.train(sgd);
    CHECK(sgd.state_dict().contains("state.0.momentum_buffer"));
    CHECK_FALSE(sgd.state_dict().metadata.contains("state.0.step"));
    optim::Adagrad adagrad({pr.w}, {.initial_accumulator_value = 0.25});
    CHECK(adagrad.state_dict().meta("state.0.step") == "0");
    CHECK(adagrad.state_dict().at("state.0.sum").data()(0) == 0.25f);
}

namespace {
// Trains `steps` on a fresh problem, then resumes from the state after `split` steps in a fresh
// optimizer (through state_dict, or a file), and checks the two end in the same bits.
template <class MakeOpt>
void check_resume(const std::string& name, MakeOpt make, bool through_file) {
    INFO(name << (through_file ? " via file" : " in memory"));
    Problem straight, resumed;
    auto a = make(straight);
    auto b = make(resumed);
    straight.train(*a, 3);
    a->group_lr(0) *= 0.5;  // a changed lr travels with the state
    straight.train(*a, 4);
    resumed.train(*b, 3);
    b->group_lr(0) *= 0.5;
    auto fresh = make(resumed);
    fresh->set_lr(123.0);
    if (through_file) {
        const std::string path = test::temp_path(name + ".safetensors");
        b->save(path);
        fresh->load(path);
    } else {
        fresh->load_state_dict(b->state_dict());
    }
    CHECK(fresh->group_lr(0) == b->group_lr(0));
    resumed.train(*fresh, 4);
    CHECK(test::all_close(resumed.w, straight.w, 0.0f));
    CHECK(test::all_close(resumed.b, straight.b, 0.0f));
}
}  // namespace

TEST_CASE("optimizer state: a fresh optimizer that loads it resumes exactly, every optimizer", "[optim][serialize]") {
    for (bool file : {false, true}) {
        check_resume(
            "sgd",
            [](Problem& p) {
                return std::make_unique<optim::SGD>(std::vector<optim::SGD::GroupSpec>{{{p.w}}, {{p.b}, {.lr = 0.05}}},
                                                    optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .nesterov = true});
            },
            file);
        check_resume(
            "adam",
            [](Problem& p) {
                return std::make_unique<optim::Adam>(std::vector<Tensor>{p.w, p.b},
                                                     optim::AdamOptions{.lr = 0.01, .amsgrad = true});
            },
            file);
        check_resume(
            "adamw",
            [](Problem& p) {
                return std::make_unique<optim::AdamW>(std::vector<Tensor>{p.w, p.b}, 0.01);
            },
            file);
        check_resume(
            "rmsprop",
            [](Problem& p) {
                return std::make_unique<optim::RMSprop>(
                    std::vector<Tensor>{p.w, p.b},
                    optim::RMSpropOptions{.lr = 0.01, .momentum = 0.5, .centered = true});
            },
            file);
        check_resume(
            "adagrad",
            [](Problem& p) {
                return std::make_unique<optim::Adagrad>(std::vector<Tensor>{p.w, p.b},
                                                        optim::AdagradOptions{.lr = 0.1, .lr_decay = 0.1});
            },
            file);
    }
}

TEST_CASE("optimizer state: load_state_dict restores every group's hyperparameters and initial_lr",
          "[optim][serialize]") {
    Problem pr;
    optim::RMSprop a({{{pr.w}, {.centered = true}}, {{pr.b}, {.momentum = 0.3}}}, 0.01);
    a.param_groups()[1].alpha = 0.5;
    a.group_base(0).initial_lr = 0.02;
    optim::RMSprop b(std::vector<optim::RMSprop::GroupSpec>{{{pr.w}}, {{pr.b}}}, 0.7);
    b.load_state_dict(a.state_dict());
    CHECK(b.param_groups()[0].centered);
    CHECK(b.param_groups()[1].momentum == 0.3);
    CHECK(b.param_groups()[1].alpha == 0.5);
    CHECK(b.param_groups()[0].lr == 0.01);
    CHECK(b.group_base(0).initial_lr == 0.02);
    CHECK_FALSE(b.group_base(1).initial_lr);
}

TEST_CASE("optimizer state: a mismatched or corrupt state is an xg::Error and changes nothing",
          "[optim][serialize][errors]") {
    Problem pr;
    optim::Adam a(std::vector<optim::Adam::GroupSpec>{{{pr.w}}, {{pr.b}}}, {.lr = 0.01});
    pr.train(a, 2);
    const StateDict good = a.state_dict();

    Problem other;
    optim::Adam fresh(std::vector<optim::Adam::GroupSpec>{{{other.w}}, {{other.b}}}, {.lr = 0.5});
    auto with_meta = [&](const std::string& key, const std::string& value) {
        StateDict d = good;
        d.metadata[key] = value;
        return d;
    };
    auto groups = nlohmann::json::parse(good.meta("param_groups"));
    auto with_groups = [&](const nlohmann::json& g) { return with_meta("param_groups", g.dump()); };

    optim::SGD sgd({other.w, other.b}, 0.1);
    CHECK_THROWS_WITH(sgd.load_state_dict(good), Catch::Contains("the state is Adam's, this is SGD"));
    optim::Adam one_group({other.w, other.b}, 0.1);
    CHECK_THROWS_WITH(one_group.load_state_dict(good),
                      Catch::Contains("the state has 2 parameter groups, this optimizer has 1"));
    Tensor big = Tensor::zeros({5}, true);
    optim::Adam other_shape(std::vector<optim::Adam::GroupSpec>{{{other.w}}, {{big}}}, 0.1);
    CHECK_THROWS_WITH(other_shape.load_state_dict(good),
                      Catch::Contains("'state.1.exp_avg' has shape [2], parameter 1 is [5]"));
    auto g2 = groups;
    g2[1]["params"] = nlohmann::json::array({1, 2});
    CHECK_THROWS_WITH(fresh.load_state_dict(with_groups(g2)),
                      Catch::Contains("param_groups[1] has 2 parameters, this optimizer's has 1"));
    g2 = groups;
    g2[0]["lr"] = -0.5;
    CHECK_THROWS_WITH(fresh.load_state_dict(with_groups(g2)), Catch::Contains("learning rate: it must be >= 0"));
    g2 = groups;
    g2[1].erase("eps");
    CHECK_THROWS_WITH(fresh.load_state_dict(with_groups(g2)), Catch::Contains("param_groups[1] 'eps' is missing"));
    g2 = groups;
    g2[0]["amsgrad"] = 1;
    CHECK_THROWS_WITH(fresh.load_state_dict(with_groups(g2)),
                      Catch::Contains("'amsgrad' is 1, expected true or false"));
    g2 = groups;
    g2[0]["amsgrad"] = true;  // then max_exp_avg_sq must be there
    CHECK_THROWS_WITH(fresh.load_state_dict(with_groups(g2)),
                      Catch::Contains("tensor 'state.0.max_exp_avg_sq' is missing"));
    CHECK_THROWS_WITH(fresh.load_state_dict(with_meta("param_groups", "[{")), Catch::Contains("not JSON"));
    CHECK_THROWS_WITH(fresh.load_state_dict(with_meta("state.0.step", "one")),
                      Catch::Contains("'state.0.step'") && Catch::Contains("'one'"));
    {
        StateDict d = good;
        d.add("state.7.exp_avg", Tensor::zeros({2}));
        CHECK_THROWS_WITH(fresh.load_state_dict(d), Catch::Contains("unexpected tensor 'state.7.exp_avg'"));
        StateDict old;  // the file format before state_dict
        old.metadata["param_count"] = "2";
        CHECK_THROWS_WITH(fresh.load_state_dict(old), Catch::Contains("an older xgrad"));
    }
    // Nothing changed: the lr is fresh's, and its first step is a first step.
    CHECK(fresh.lr() == 0.5);
    CHECK_FALSE(fresh.state_dict().contains("state.0.exp_avg"));

    // load(path) names the file.
    const std::string path = test::temp_path("adam_state.safetensors");
    a.save(path);
    CHECK_THROWS_WITH(sgd.load(path), Catch::Contains("Adam's, this is SGD") && Catch::Contains(path));
}

TEST_CASE("optimizer state: the learning rate round-trips exactly, even 1e-7 and 0.1 + 0.2", "[optim][serialize]") {
    const std::string path = test::temp_path("tiny_lr.safetensors");
    Problem pr;
    optim::SGD a({pr.w, pr.b}, {.lr = 1e-7, .momentum = 0.9});
    optim::SGD b({pr.w, pr.b}, {.lr = 0.5, .momentum = 0.9});
    a.save(path);
    b.load(path);
    CHECK(b.lr() == 1e-7);
    a.set_lr(0.1 + 0.2);
    b.load_state_dict(a.state_dict());
    CHECK(b.lr() == 0.1 + 0.2);
}

// ---- clip_grad_norm_ ----

TEST_CASE("clip_grad_norm_: total norm and clipped gradients match PyTorch (2, 3 and inf norms)", "[optim]") {
    for (auto [name, p] :
         {std::pair{"two", 2.0}, std::pair{"three", 3.0}, std::pair{"inf", std::numeric_limits<double>::infinity()}}) {
        INFO(name);
        Problem pr;
        pr.loss().backward();
        const double total = optim::clip_grad_norm_({pr.w, pr.b}, 0.5, p);  // the positional form
        CHECK(total == Approx(test::optim_reference(std::string("clip/") + name + "/total_norm")[0]).epsilon(1e-6));
        Problem pr2;
        pr2.loss().backward();
        nn::utils::clip_grad_norm_({pr2.w, pr2.b}, 0.5, {.norm_type = p});  // PyTorch's spelling
        for (Problem* q : {&pr, &pr2}) {
            std::vector<float> grads(q->w.grad().data().begin(), q->w.grad().data().end());
            grads.insert(grads.end(), q->b.grad().data().begin(), q->b.grad().data().end());
            const std::vector<double>& want = test::optim_reference(std::string("clip/") + name + "/grads");
            for (std::size_t i = 0; i < want.size(); ++i) CHECK(grads[i] == Approx(want[i]).epsilon(1e-5));
        }
    }
    // A norm already under the limit is left alone.
    Problem pr;
    pr.loss().backward();
    const Tensor before = pr.w.grad().detach();
    optim::clip_grad_norm_({pr.w, pr.b}, 100.0);
    CHECK(test::all_close(pr.w.grad(), before, 0.0f));
}

TEST_CASE("clip_grad_norm_: a NaN or infinite norm is never hidden; error_if_nonfinite makes it an error",
          "[optim][errors]") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    auto params_with = [](float bad) {
        Tensor a = Tensor::ones({2}, true), b = Tensor::ones({3}, true);
        sum(a * 2.0f).backward();
        sum(b * 3.0f).backward();
        b.grad().data()(1) = bad;
        return std::vector<Tensor>{a, b};
    };
    for (double norm_type : {2.0, std::numeric_limits<double>::infinity()}) {
        INFO("norm_type " << norm_type);
        // PyTorch 1.13: the NaN norm makes the clip coefficient NaN, and every gradient NaN.
        auto ps = params_with(nan);
        CHECK(std::isnan(optim::clip_grad_norm_(ps, 1.0, norm_type)));
        for (const Tensor& p : ps)
            for (float g : p.grad().data()) CHECK(std::isnan(g));
        // An infinite norm: the coefficient is 0, finite gradients become 0 and the inf one NaN.
        ps = params_with(inf);
        CHECK(std::isinf(optim::clip_grad_norm_(ps, 1.0, norm_type)));
        CHECK(ps[0].grad().data()(0) == 0.0f);
        CHECK(std::isnan(ps[1].grad().data()(1)));
        // With the flag, an error, and the gradients untouched.
        ps = params_with(nan);
        CHECK_THROWS_WITH(
            optim::clip_grad_norm_(ps, 1.0, {.norm_type = norm_type, .error_if_nonfinite = true}),
            Catch::Contains("clip_grad_norm_") && Catch::Contains("nan") && Catch::Contains("error_if_nonfinite"));
        CHECK(ps[0].grad().data()(0) == 2.0f);
        CHECK_THROWS_AS(optim::clip_grad_norm_(params_with(inf), 1.0, norm_type, true), Error);
    }
    CHECK_THROWS_WITH(optim::clip_grad_norm_(params_with(1.0f), 1.0, {.norm_type = 0}),
                      Catch::Contains("norm_type must be > 0"));
}
