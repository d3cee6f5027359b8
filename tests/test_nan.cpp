// NaN propagates as in PyTorch: through relu (forward, and backward as threshold_backward),
// leaky_relu, max and argmax, max-pooling and softmax, so one NaN input shows up in the loss
// instead of silently turning weights into NaN. Every expected value is PyTorch 1.13's output for
// the same input (the snippet is in each test's comment).
#include <cmath>
#include <limits>
#include <sstream>

#include "helpers.hpp"

using namespace xg;

namespace {

const float NaN = std::numeric_limits<float>::quiet_NaN();

// Element-wise equal, a NaN matching only a NaN; prints both on failure.
bool same(const Tensor& got, const std::vector<float>& want) {
    bool ok = got.numel() == want.size();
    for (std::size_t i = 0; ok && i < want.size(); ++i) {
        const float x = got.data().data()[i], y = want[i];
        ok = std::isnan(y) ? std::isnan(x) : std::abs(x - y) <= 1e-6f;
    }
    if (!ok) {
        std::ostringstream w;
        for (float v : want) w << v << " ";
        UNSCOPED_INFO("got " << got << "\nwant " << w.str());
    }
    return ok;
}

}  // namespace

// x = torch.tensor([1., nan, -2., 0.], requires_grad=True); y = torch.relu(x)
// y.backward(torch.tensor([1., 2., 3., 4.])) -> x.grad = [1, 2, 0, 0]
TEST_CASE("relu: NaN in gives NaN out, and its gradient passes through as in threshold_backward", "[nan]") {
    Tensor x = Tensor::from({1, NaN, -2, 0}).requires_grad_();
    Tensor y = relu(x);
    CHECK(same(y, {1, NaN, 0, 0}));
    y.backward(Tensor::from({1, 2, 3, 4}));
    CHECK(same(x.grad(), {1, 2, 0, 0}));
    // A NaN gradient is stopped where the input is negative (threshold_backward picks 0), kept elsewhere.
    Tensor z = Tensor::from({-1, 1}).requires_grad_();
    relu(z).backward(Tensor::from({NaN, NaN}));
    CHECK(same(z.grad(), {0, NaN}));
    CHECK(same(nn::ReLU()(Tensor::from({NaN})), {NaN}));
}

// y = F.leaky_relu(x, 0.1) -> [1, nan, -0.2, 0]; x.grad = [1, 0.2, 0.3, 0.4]
TEST_CASE("leaky_relu: NaN in gives NaN out; its gradient there is g·slope", "[nan]") {
    Tensor x = Tensor::from({1, NaN, -2, 0}).requires_grad_();
    Tensor y = leaky_relu(x, 0.1f);
    CHECK(same(y, {1, NaN, -0.2f, 0}));
    y.backward(Tensor::from({1, 2, 3, 4}));
    CHECK(same(x.grad(), {1, 0.2f, 0.3f, 0.4f}));
}

// x = torch.tensor([1., nan, 5., nan]); x.max() -> nan; x.max().backward() -> [0, 0.5, 0, 0.5]
TEST_CASE("max: NaN is the maximum of the whole tensor and shares the gradient", "[nan]") {
    Tensor x = Tensor::from({1, NaN, 5, NaN}).requires_grad_();
    Tensor m = max(x);
    CHECK(std::isnan(m.item()));
    m.backward();
    CHECK(same(x.grad(), {0, 0.5f, 0, 0.5f}));
    // Wherever the NaN is: first, last, beside an infinity.
    CHECK(std::isnan(max(Tensor::from({NaN, 1, 2})).item()));
    CHECK(std::isnan(max(Tensor::from({2, 1, NaN})).item()));
    CHECK(std::isnan(max(Tensor::from({std::numeric_limits<float>::infinity(), NaN})).item()));
}

// a = [[1, nan, 5, nan], [nan, 2, 3, 4], [1, 2, 3, 4]]; a.max(1) -> values [nan, nan, 4],
// indices [1, 0, 3]; a.argmax(1) -> [1, 0, 3]; a.max(1).values.sum().backward() -> one-hot there.
TEST_CASE("max and argmax along a dim: NaN is the maximum, its index the first NaN's", "[nan]") {
    Tensor a = Tensor::from({{1, NaN, 5, NaN}, {NaN, 2, 3, 4}, {1, 2, 3, 4}}).requires_grad_();
    Tensor v = max(a, 1);
    CHECK(same(v, {NaN, NaN, 4}));
    CHECK(same(argmax(a, 1), {1, 0, 3}));
    sum(v).backward();
    CHECK(same(a.grad(), {0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1}));
    CHECK(same(max(a.detach(), 0), {NaN, NaN, 5, NaN}));
    CHECK(same(argmax(a.detach(), 0), {1, 0, 0, 0}));
}

// p = [[[[1, 2, 3, 4], [nan, 0, 9, nan], [1, 1, 1, 1], [nan, nan, 1, 1]]]];
// F.max_pool2d(p, 2, return_indices=True) -> [[nan, nan], [nan, 1]], indices [[4, 7], [13, 10]]
// (a window's last NaN, as PyTorch's kernel keeps `val > max || isnan(val)`).
TEST_CASE("max_pool2d: a NaN in a window is that window's maximum and gets its gradient", "[nan]") {
    Tensor p = Tensor::from({1, 2, 3, 4, NaN, 0, 9, NaN, 1, 1, 1, 1, NaN, NaN, 1, 1}).reshape({1, 1, 4, 4});
    p.requires_grad_();
    Tensor o = max_pool2d(p, 2);
    CHECK(same(o, {NaN, NaN, NaN, 1}));
    sum(o).backward();
    CHECK(same(p.grad(), {0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0}));
    CHECK(same(nn::MaxPool2d(2)(p.detach()), {NaN, NaN, NaN, 1}));
}

// torch.softmax(torch.tensor([1., nan, 2.]), 0) -> [nan, nan, nan], log_softmax the same; F.gelu,
// torch.sigmoid, torch.tanh of nan -> nan.
TEST_CASE("softmax, log_softmax, gelu, sigmoid, tanh: NaN in gives NaN out", "[nan]") {
    Tensor x = Tensor::from({{1, NaN, 2}, {0, 1, 2}});
    CHECK(same(softmax(x, 1).reshape({-1}).slice(0, 0, 3), {NaN, NaN, NaN}));
    CHECK(same(log_softmax(x, 1).reshape({-1}).slice(0, 0, 3), {NaN, NaN, NaN}));
    CHECK(test::all_close(softmax(x, 1).slice(0, 1, 2), softmax(Tensor::from({{0, 1, 2}}), 1)));
    CHECK(same(softmax(Tensor::from({NaN, 1, 2}), 0), {NaN, NaN, NaN}));
    for (auto f : {+[](const Tensor& t) { return gelu(t); }, +[](const Tensor& t) { return sigmoid(t); },
                   +[](const Tensor& t) { return tanh(t); }})
        CHECK(same(f(Tensor::from({NaN})), {NaN}));
}

// The case: one NaN pixel in a batch. PyTorch's loss is NaN at the first step; before,
// relu turned the NaN into 0, the loss stayed finite and the first layer's weights turned NaN.
TEST_CASE("one NaN pixel in a batch makes the loss NaN at the first step, as in PyTorch", "[nan]") {
    manual_seed(0);
    auto model = nn::Sequential(nn::Flatten(), nn::Linear(16, 8), nn::ReLU(), nn::Linear(8, 3));
    Tensor x = Tensor::rand({4, 1, 4, 4});
    x.data()(2, 0, 1, 3) = NaN;
    Tensor loss = nn::functional::cross_entropy(model(x), Tensor::from({0, 1, 2, 0}));
    CHECK(std::isnan(loss.item()));
}

// x = torch.tensor([nan, -1., 0., 2.], requires_grad=True); x.abs().sum().backward()
// -> abs = [nan, 1, 0, 2]; x.grad = [0, -1, 0, 1] (sgn(nan) is 0)
TEST_CASE("abs: NaN in gives NaN out; its gradient at NaN is 0 as PyTorch's sgn", "[nan]") {
    Tensor x = Tensor::from({NaN, -1, 0, 2}).requires_grad_();
    Tensor y = abs(x);
    CHECK(same(y, {NaN, 1, 0, 2}));
    y.sum().backward();
    CHECK(same(x.grad(), {0, -1, 0, 1}));
}

// p = torch.zeros(2, requires_grad=True); opt = torch.optim.Adam([p], lr=0.1, amsgrad=True)
// p.grad = torch.tensor([1., 1.]); opt.step(); p.grad = torch.tensor([nan, 1.]); opt.step()
// -> p = [nan, -0.2]: the NaN reaches max_exp_avg_sq and the parameter, as torch.maximum keeps it.
TEST_CASE("Adam amsgrad: a NaN gradient is not dropped by the running maximum", "[nan]") {
    Tensor p = Tensor::zeros({2}).requires_grad_();
    optim::Adam opt({p}, {.lr = 0.1, .amsgrad = true});
    p.mutable_grad() = Tensor::from({1, 1});
    opt.step();
    p.mutable_grad() = Tensor::from({NaN, 1});
    opt.step();
    CHECK(same(p, {NaN, -0.2f}));
    // The parameter is NaN through exp_avg anyway; the running maximum itself must hold the NaN too.
    const Tensor vmax = opt.state_dict().at("state.0.max_exp_avg_sq");
    CHECK(std::isnan(vmax.data()(0)));
}
