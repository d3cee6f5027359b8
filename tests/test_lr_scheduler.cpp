// Schedulers against PyTorch's lr sequences over 30 steps (tests/reference/optim.txt, made by
// make_optim_reference.py), with two parameter groups; initial_lr semantics and resuming; each
// scheduler's state_dict round trip; errors.
#include "helpers.hpp"
#include "optim_reference.hpp"

#include <cmath>

using namespace xg;
using test::Problem;

namespace {

// The reference's optimizers: two groups, lr 0.1 (the weight) and 0.02 (the bias).
std::unique_ptr<optim::SGD> sgd2(Problem& pr) {
    return std::make_unique<optim::SGD>(std::vector<optim::SGD::GroupSpec>{{{pr.w}}, {{pr.b}, {.lr = 0.02}}},
                                        optim::SGDOptions{.lr = 0.1, .momentum = 0.9});
}
std::unique_ptr<optim::Adam> adam2(Problem& pr) {
    return std::make_unique<optim::Adam>(std::vector<optim::Adam::GroupSpec>{{{pr.w}}, {{pr.b}, {.lr = 0.02}}},
                                         optim::AdamOptions{.lr = 0.1, .betas = {0.9, 0.99}});
}

// Every scheduler of the reference, built on `opt`; `keep` holds the ones SequentialLR refers to.
std::unique_ptr<optim::LRScheduler> make_scheduler(const std::string& name, optim::Optimizer& opt,
                                                   std::vector<std::unique_ptr<optim::LRScheduler>>& keep) {
    using namespace optim;
    if (name == "steplr") return std::make_unique<StepLR>(opt, 3, 0.5);
    if (name == "multisteplr") return std::make_unique<MultiStepLR>(opt, std::vector<std::int64_t>{5, 12, 12, 20}, 0.3);
    if (name == "exponentiallr") return std::make_unique<ExponentialLR>(opt, 0.9);
    if (name == "cosine") return std::make_unique<CosineAnnealingLR>(opt, 7, 0.001);
    if (name == "lambdalr_one")
        return std::make_unique<LambdaLR>(opt, [](std::int64_t e) { return std::pow(0.95, e); });
    if (name == "lambdalr_each") {
        return std::make_unique<LambdaLR>(
            opt, std::vector<LambdaLR::Lambda>{[](std::int64_t e) { return std::pow(0.95, e); },
                                               [](std::int64_t e) { return 1.0 / static_cast<double>(e + 1); }});
    }
    if (name == "linearlr") return std::make_unique<LinearLR>(opt);
    if (name == "linearlr_custom")
        return std::make_unique<LinearLR>(opt,
                                          LinearLROptions{.start_factor = 0.25, .end_factor = 0.75, .total_iters = 10});
    if (name == "onecycle")
        return std::make_unique<OneCycleLR>(opt, std::vector<double>{1.0, 0.1}, OneCycleLROptions{.total_steps = 30});
    if (name == "onecycle_linear_three_phase") {
        return std::make_unique<OneCycleLR>(opt, 0.5,
                                            OneCycleLROptions{.epochs = 5,
                                                              .steps_per_epoch = 6,
                                                              .pct_start = 0.25,
                                                              .anneal_strategy = "linear",
                                                              .div_factor = 10.0,
                                                              .final_div_factor = 100.0,
                                                              .three_phase = true});
    }
    if (name == "sequentiallr") {
        keep.push_back(std::make_unique<LinearLR>(opt, LinearLROptions{.start_factor = 0.1, .total_iters = 4}));
        keep.push_back(std::make_unique<ExponentialLR>(opt, 0.9));
        return std::make_unique<SequentialLR>(opt, std::vector<std::reference_wrapper<LRScheduler>>{*keep[0], *keep[1]},
                                              std::vector<std::int64_t>{5});
    }
    if (name == "sequentiallr_three") {
        keep.push_back(std::make_unique<ExponentialLR>(opt, 0.8));
        keep.push_back(std::make_unique<StepLR>(opt, 2, 0.5));
        keep.push_back(std::make_unique<CosineAnnealingLR>(opt, 6, 0.005));
        return std::make_unique<SequentialLR>(
            opt, std::vector<std::reference_wrapper<LRScheduler>>{*keep[0], *keep[1], *keep[2]},
            std::vector<std::int64_t>{4, 11});
    }
    throw Error("no scheduler " + name);
}

const std::vector<std::string> names = {
    "steplr",        "multisteplr",       "exponentiallr",   "cosine",   "lambdalr_one",
    "lambdalr_each", "linearlr",          "linearlr_custom", "onecycle", "onecycle_linear_three_phase",
    "sequentiallr",  "sequentiallr_three"};

bool uses_adam(const std::string& name) { return name == "onecycle_linear_three_phase"; }

double momentum_of(optim::Optimizer& opt, std::size_t g) {
    if (auto* sgd = dynamic_cast<optim::SGD*>(&opt)) return sgd->param_groups()[g].momentum;
    return dynamic_cast<optim::Adam&>(opt).param_groups()[g].betas.first;
}

// lrs as PyTorch computes them in Python floats. On the machine that made the reference they agree
// bit for bit; the 1e-13 leaves room for another C library's cos and pow, no more.
void check_close(double got, double want) { CHECK(got == Approx(want).epsilon(1e-13).margin(1e-300)); }

}  // namespace

TEST_CASE("schedulers: 30 steps of every scheduler match PyTorch's lrs, per group", "[scheduler]") {
    for (const std::string& name : names) {
        INFO(name);
        Problem pr;
        std::unique_ptr<optim::Optimizer> opt;
        if (uses_adam(name)) opt = adam2(pr);
        else opt = sgd2(pr);
        std::vector<std::unique_ptr<optim::LRScheduler>> keep;
        auto sched = make_scheduler(name, *opt, keep);
        const std::vector<double>& want = test::optim_reference("sched/" + name + "/lr");
        const bool onecycle = name.starts_with("onecycle");
        const std::vector<double> want_momentum =
            onecycle ? test::optim_reference("sched/" + name + "/momentum") : std::vector<double>{};
        REQUIRE(want.size() == 60);
        for (std::size_t step = 0; step < 30; ++step) {
            INFO("step " << step + 1);
            pr.train(*opt);
            sched->step();
            for (std::size_t g = 0; g < 2; ++g) {
                check_close(opt->group_lr(g), want[2 * step + g]);
                CHECK(sched->get_last_lr()[g] == opt->group_lr(g));
                if (onecycle) check_close(momentum_of(*opt, g), want_momentum[2 * step + g]);
            }
        }
        CHECK(sched->last_epoch() == 30);
    }
}

TEST_CASE("ReduceLROnPlateau: lrs match PyTorch (min/rel with cooldown and min_lrs; max/abs with eps)", "[scheduler]") {
    const std::vector<double>& metrics = test::optim_reference("sched/plateau/metrics");
    for (std::string name : {"plateau_min_rel", "plateau_max_abs"}) {
        INFO(name);
        Problem pr;
        auto opt = sgd2(pr);
        optim::ReduceLROnPlateau sched =
            name == "plateau_min_rel"
                ? optim::ReduceLROnPlateau(*opt,
                                           {.factor = 0.5, .patience = 2, .cooldown = 1, .min_lrs = {0.01, 0.004}})
                : optim::ReduceLROnPlateau(*opt, {.mode = "max",
                                                  .factor = 0.3,
                                                  .patience = 1,
                                                  .threshold = 0.05,
                                                  .threshold_mode = "abs",
                                                  .eps = 1e-4});
        const std::vector<double>& want = test::optim_reference("sched/" + name + "/lr");
        for (std::size_t step = 0; step < metrics.size(); ++step) {
            INFO("step " << step + 1);
            pr.train(*opt);
            sched.step(metrics[step]);
            for (std::size_t g = 0; g < 2; ++g) CHECK(opt->group_lr(g) == want[2 * step + g]);  // products only: exact
        }
    }
}

TEST_CASE("schedulers: building one sets initial_lr when absent, and takes base_lrs from it when present",
          "[scheduler]") {
    Problem pr;
    auto opt = sgd2(pr);
    CHECK_FALSE(opt->param_groups()[0].initial_lr);
    optim::StepLR first(*opt, 2, 0.5);
    CHECK(opt->param_groups()[0].initial_lr == 0.1);
    CHECK(opt->param_groups()[1].initial_lr == 0.02);
    opt->set_lr(0.05);  // as after some decay
    optim::CosineAnnealingLR second(*opt, 10);
    CHECK(second.base_lrs() == std::vector<double>{0.1, 0.02});  // initial_lr, not the current lr
    CHECK(second.last_epoch() == 0);
    CHECK(second.get_last_lr() == std::vector<double>{0.05, 0.05});
}

// The resume bug of #11: load the optimizer, then build the scheduler (PyTorch's order). Before,
// the scheduler had no state of its own and took the loaded lr as its base, so the resumed run
// decayed at the wrong epochs and from the wrong base.
TEST_CASE("schedulers: a run resumed from optimizer and scheduler state gives the uninterrupted lrs",
          "[scheduler][serialize]") {
    // OneCycleLR also moves SGD's momentum: building it again sets max_momentum, and its state
    // must put the annealed momentum back (the weights below check it).
    for (std::string kind : {"StepLR", "CosineAnnealingLR", "OneCycleLR"}) {
        INFO(kind);
        auto make = [&](optim::Optimizer& o) -> std::unique_ptr<optim::LRScheduler> {
            if (kind == "StepLR") return std::make_unique<optim::StepLR>(o, 3, 0.5);
            if (kind == "OneCycleLR")
                return std::make_unique<optim::OneCycleLR>(o, 0.5, optim::OneCycleLROptions{.total_steps = 20});
            return std::make_unique<optim::CosineAnnealingLR>(o, 8, 0.001);
        };
        Problem straight_pr;
        auto straight = sgd2(straight_pr);
        auto straight_sched = make(*straight);
        std::vector<double> want;
        for (int epoch = 0; epoch < 15; ++epoch) {
            straight_pr.train(*straight);
            straight_sched->step();
            want.push_back(straight->lr());
        }

        Problem pr;
        auto opt = sgd2(pr);
        auto sched = make(*opt);
        std::vector<double> got;
        for (int epoch = 0; epoch < 5; ++epoch) {
            pr.train(*opt);
            sched->step();
            got.push_back(opt->lr());
        }
        const std::string opt_path = test::temp_path("resume_opt.safetensors"),
                          sched_path = test::temp_path("resume_sched.safetensors");
        opt->save(opt_path);
        xg::save(sched->state_dict(), sched_path);

        auto fresh = sgd2(pr);  // built with lr 0.1, as the script does
        fresh->load(opt_path);
        auto fresh_sched = make(*fresh);
        if (kind != "OneCycleLR") CHECK(fresh_sched->base_lrs() == std::vector<double>{0.1, 0.02});  // from initial_lr
        fresh_sched->load_state_dict(xg::load(sched_path));
        CHECK(fresh_sched->last_epoch() == 5);
        for (int epoch = 5; epoch < 15; ++epoch) {
            pr.train(*fresh);
            fresh_sched->step();
            got.push_back(fresh->lr());
        }
        CHECK(got == want);  // bit for bit
        CHECK(test::all_close(pr.w, straight_pr.w, 0.0f));
    }
}

TEST_CASE("schedulers: state_dict round trip continues every scheduler exactly", "[scheduler][serialize]") {
    for (const std::string& name : names) {
        INFO(name);
        Problem pa, pb;
        std::unique_ptr<optim::Optimizer> a, b;
        if (uses_adam(name)) {
            a = adam2(pa);
            b = adam2(pb);
        } else {
            a = sgd2(pa);
            b = sgd2(pb);
        }
        std::vector<std::unique_ptr<optim::LRScheduler>> keep_a, keep_b;
        auto sa = make_scheduler(name, *a, keep_a);
        for (int i = 0; i < 12; ++i) {
            pa.train(*a);
            sa->step();
        }
        // b: a fresh optimizer and scheduler (built first, then loaded, as most scripts do).
        auto sb = make_scheduler(name, *b, keep_b);
        b->load_state_dict(a->state_dict());
        sb->load_state_dict(sa->state_dict());
        CHECK(sb->last_epoch() == sa->last_epoch());
        CHECK(sb->get_last_lr() == sa->get_last_lr());
        for (int i = 12; i < 30; ++i) {
            sa->step();
            sb->step();
            CHECK(sb->get_last_lr() == sa->get_last_lr());
            CHECK(b->group_lr(1) == a->group_lr(1));
        }
    }
    // ReduceLROnPlateau, mid-way through a cooldown.
    Problem pa, pb;
    auto a = sgd2(pa), b = sgd2(pb);
    optim::ReduceLROnPlateau ra(*a, {.patience = 1, .cooldown = 2}), rb(*b, {});
    for (double m : {1.0, 1.0, 1.0, 1.0}) ra.step(m);
    rb.load_state_dict(ra.state_dict());
    CHECK(b->lr() == a->lr());
    for (double m : {1.0, 1.0, 0.5, 0.6, 0.7, 0.8, 0.9}) {
        ra.step(m);
        rb.step(m);
        CHECK(b->lr() == a->lr());
        CHECK(rb.num_bad_epochs() == ra.num_bad_epochs());
    }
}

TEST_CASE("schedulers: bad arguments and mismatched states are clear errors", "[scheduler][errors]") {
    Problem pr;
    auto opt = sgd2(pr);
    CHECK_THROWS_WITH(optim::StepLR(*opt, 0), Catch::Contains("step_size must be positive"));
    CHECK_THROWS_WITH(optim::LambdaLR(*opt, std::vector<optim::LambdaLR::Lambda>{[](std::int64_t) { return 1.0; }}),
                      Catch::Contains("expected 2 lr_lambdas"));
    CHECK_THROWS_WITH(optim::LinearLR(*opt, {.start_factor = 0}), Catch::Contains("start_factor must be in (0, 1]"));
    CHECK_THROWS_WITH(optim::OneCycleLR(*opt, 0.1, {}), Catch::Contains("total_steps or (epochs and steps_per_epoch)"));
    CHECK_THROWS_WITH(optim::OneCycleLR(*opt, 0.1, {.total_steps = 10, .anneal_strategy = "cosine"}),
                      Catch::Contains("anneal_strategy"));
    optim::Adagrad adagrad({pr.w}, 0.1);
    CHECK_THROWS_WITH(optim::OneCycleLR(adagrad, 0.1, {.total_steps = 10}),
                      Catch::Contains("Adagrad has no momentum nor betas"));
    // A phase with no steps: PyTorch raises ZeroDivisionError; xgrad must not set a NaN lr.
    {
        Problem fresh_pr;
        auto fresh = sgd2(fresh_pr);
        CHECK_THROWS_WITH(optim::OneCycleLR(*fresh, 1.0, {.total_steps = 10, .pct_start = 0.1}),
                          Catch::Contains("phase 1 has no steps"));
        CHECK(fresh->lr() == 0.1);
    }
    optim::OneCycleLR short_cycle(adagrad, 0.1, {.total_steps = 2, .cycle_momentum = false});
    short_cycle.step();
    short_cycle.step();
    CHECK_THROWS_WITH(short_cycle.step(), Catch::Contains("tried to step 4 times; total steps is 2"));
    CHECK_THROWS_WITH(optim::ReduceLROnPlateau(*opt, {.mode = "lowest"}), Catch::Contains("mode must be"));
    CHECK_THROWS_WITH(optim::ReduceLROnPlateau(*opt, {.factor = 1.0}), Catch::Contains("factor must be < 1"));
    optim::ExponentialLR e1(*opt, 0.9);
    CHECK_THROWS_WITH(optim::SequentialLR(*opt, {e1}, {3}), Catch::Contains("1 schedulers need 0 milestones, got 1"));
    CHECK_THROWS_WITH(optim::SequentialLR(*opt, {e1, short_cycle}, {3}), Catch::Contains("drives another optimizer"));

    // A state of another kind, or for another number of groups, changes nothing.
    optim::StepLR step(*opt, 3);
    const std::int64_t before = step.last_epoch();
    CHECK_THROWS_WITH(step.load_state_dict(e1.state_dict()),
                      Catch::Contains("the state is ExponentialLR's, this is StepLR"));
    optim::StepLR one_group(adagrad, 3);
    CHECK_THROWS_WITH(step.load_state_dict(one_group.state_dict()),
                      Catch::Contains("the state is for 1 parameter groups, the optimizer has 2"));
    StateDict bad = step.state_dict();
    bad.metadata["last_epoch"] = "five";
    CHECK_THROWS_WITH(step.load_state_dict(bad), Catch::Contains("'last_epoch'") && Catch::Contains("'five'"));
    CHECK(step.last_epoch() == before);

    // SequentialLR: a bad second part leaves the first part, the optimizer and itself untouched.
    {
        Problem spr;
        auto sopt = sgd2(spr);
        optim::LinearLR warm(*sopt, {.start_factor = 0.5, .total_iters = 3});
        optim::ExponentialLR decay(*sopt, 0.9);
        optim::SequentialLR seq(*sopt, {warm, decay}, {3});
        for (int i = 0; i < 5; ++i) seq.step();
        StateDict saved = seq.state_dict();
        saved.metadata.erase("schedulers.1.gamma");
        Problem fpr;
        auto fopt = sgd2(fpr);
        optim::LinearLR fwarm(*fopt, {.start_factor = 0.5, .total_iters = 3});
        optim::ExponentialLR fdecay(*fopt, 0.9);
        optim::SequentialLR fseq(*fopt, {fwarm, fdecay}, {3});
        const double lr_before = fopt->lr();
        CHECK_THROWS_WITH(fseq.load_state_dict(saved), Catch::Contains("gamma"));
        CHECK(fwarm.last_epoch() == 0);
        CHECK(fseq.last_epoch() == 0);
        CHECK(fopt->lr() == lr_before);
    }
}
