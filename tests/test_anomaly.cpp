// Anomaly mode (autograd::set_detect_anomaly, DetectAnomalyGuard): backward names the op, its
// input shapes and the layer behind the first NaN or infinity in a gradient; off, nothing throws.
#include <cmath>

#include "helpers.hpp"

using namespace xg;

namespace {

// Linear, Tanh, then a layer computing log(x - x)·0: log(0) = -inf, times 0 is NaN, so the loss is
// NaN; backward gives mul's gradient 0, then log's 0/0 = NaN, which flows on into the weights.
nn::Sequential log_times_zero_model() {
    manual_seed(3);
    return nn::Sequential(nn::Linear(3, 4), nn::Tanh(),
                          nn::Lambda([](const Tensor& x) { return log(x - x) * 0.0f; }, "LogTimesZero"));
}

Tensor inputs() { return Tensor::from({{1, -2, 3}, {-1, 0.5, 2}}); }

// A user's module: its children are found by their registered names.
struct Net : nn::Module {
    nn::Linear fc1{3, 4};
    nn::Sequential head{nn::Linear(4, 2), nn::Lambda([](const Tensor& x) { return sqrt(x - x); }, "SqrtOfZero")};
    Net() {
        register_module("fc1", fc1);
        register_module("head", head);
    }
    Tensor forward(const Tensor& x) override { return head(fc1(x)); }
};

}  // namespace

TEST_CASE("anomaly: a NaN from log(0)*0 inside a Sequential names the op, its input shape and the layer", "[anomaly]") {
    auto model = log_times_zero_model();
    autograd::DetectAnomalyGuard anomaly;
    Tensor loss = sum(model(inputs()));
    REQUIRE(std::isnan(loss.item()));  // forward values aren't checked, as in PyTorch
    CHECK_THROWS_WITH(loss.backward(),
                      Catch::Equals("anomaly: the backward of 'log' (input shape [2, 4]) in layer 'Sequential/2: "
                                    "LogTimesZero()' returned NaN in its gradient for input 0 (first at element 0)"));
}

TEST_CASE("anomaly: an infinity is named too, with the path through a user's module and a nested Sequential",
          "[anomaly]") {
    manual_seed(1);
    Net net;
    autograd::DetectAnomalyGuard anomaly;
    Tensor loss = sum(net(inputs()));
    // sqrt's gradient at 0 is g / (2·sqrt(0)) = inf; sub's is finite.
    CHECK_THROWS_WITH(loss.backward(), Catch::StartsWith("anomaly: the backward of 'sqrt' (input shape [2, 2]) in "
                                                         "layer 'Net/head: Sequential/1: SqrtOfZero()' returned inf "
                                                         "in its gradient for input 0"));
    // Outside any module there is no layer to name; a two-input op lists both shapes.
    Tensor a = Tensor::from({0, 1}).requires_grad_(), b = Tensor::from({1, 1}).requires_grad_();
    CHECK_THROWS_WITH(sum(sqrt(a * b)).backward(),
                      Catch::Equals("anomaly: the backward of 'sqrt' (input shape [2]) returned inf in its gradient "
                                    "for input 0 (first at element 0)"));
    CHECK_THROWS_WITH(sum(log(a) * b).backward(),
                      Catch::StartsWith("anomaly: the backward of 'mul' (input shapes [2], [2]) returned -inf in its "
                                        "gradient for input 1"));
    CHECK_THROWS_WITH(sum(a).backward(Tensor(Array(Shape{}, std::nanf("")))),
                      Catch::Contains("anomaly: the gradient given for output 0 [] holds a NaN"));
}

TEST_CASE("anomaly: off (the default), the same backward runs to the end and the gradients hold the NaN", "[anomaly]") {
    REQUIRE_FALSE(autograd::is_anomaly_enabled());
    auto model = log_times_zero_model();
    Tensor loss = sum(model(inputs()));
    CHECK_NOTHROW(loss.backward());
    const Array& g = model.parameters()[0].grad().data();
    CHECK(std::any_of(g.begin(), g.end(), [](float v) { return std::isnan(v); }));
}

TEST_CASE("anomaly: DetectAnomalyGuard restores the previous setting, nested either way", "[anomaly]") {
    CHECK_FALSE(autograd::is_anomaly_enabled());
    {
        autograd::DetectAnomalyGuard on;
        CHECK(autograd::is_anomaly_enabled());
        {
            autograd::DetectAnomalyGuard off(false);
            CHECK_FALSE(autograd::is_anomaly_enabled());
        }
        CHECK(autograd::is_anomaly_enabled());
    }
    CHECK_FALSE(autograd::is_anomaly_enabled());
    autograd::set_detect_anomaly(true);
    CHECK(autograd::is_anomaly_enabled());
    { autograd::DetectAnomalyGuard inner; }
    CHECK(autograd::is_anomaly_enabled());  // the guard put back the `true` it found
    autograd::set_detect_anomaly(false);
    CHECK_FALSE(autograd::is_anomaly_enabled());
}

TEST_CASE("anomaly: after the error, a retained graph's next backward starts from nothing", "[anomaly]") {
    Tensor x = Tensor::from({0, 4}).requires_grad_();
    Tensor y = sqrt(x) + x * 2.0f;  // sqrt's gradient at 0 is inf; mul's is finite and arrives first
    {
        autograd::DetectAnomalyGuard anomaly;
        CHECK_THROWS_WITH(sum(y).backward(Tensor(), true), Catch::Contains("'sqrt'"));
    }
    x.mutable_grad() = Tensor();
    sum(y).backward();
    CHECK(std::isinf(x.grad().data()(0)));
    CHECK(x.grad().data()(1) == Approx(2.25f));  // 1 / (2·2) + 2, not the first pass's 2 counted twice
}

TEST_CASE("anomaly: layers are recorded only while on; gradients are the same either way", "[anomaly]") {
    manual_seed(2);
    auto model = nn::Sequential(nn::Linear(3, 4), nn::Tanh(), nn::Linear(4, 1));
    Tensor off = model(inputs());
    CHECK_FALSE(off.grad_fn()->layer);
    sum(off).backward();
    const Array plain = model.parameters()[0].grad().data();
    model.zero_grad();
    autograd::DetectAnomalyGuard anomaly;
    Tensor on = model(inputs());
    REQUIRE(on.grad_fn()->layer);
    CHECK(*on.grad_fn()->layer == "Sequential/2: Linear(in_features=4, out_features=1, bias=true)");
    sum(on).backward();
    CHECK(test::all_close(model.parameters()[0].grad().data(), plain, 0.0f));
}
