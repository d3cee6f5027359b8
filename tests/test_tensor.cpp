// Tensor: makers, facts, handle semantics, printing, and bad-input errors.
#include "helpers.hpp"

#include <cmath>
#include <fstream>
#include <limits>
#include <map>
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

TEST_CASE("Tensor: printing spells requires_grad=True as PyTorch", "[tensor][print]") {
    std::ostringstream s;
    s << Tensor::from({1, 2}).requires_grad_();
    CHECK(s.str() == "tensor([1.0000, 2.0000], requires_grad=True)");
}

TEST_CASE("Tensor: printing shows NaN and inf as PyTorch spells them", "[tensor][print]") {
    const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
    std::ostringstream s;
    s << Tensor::from({-nan, nan, -inf, 1.0f});  // -nan: the sign bit 0/0 sets on x86
    CHECK(s.str() == "tensor([nan, nan, -inf, 1.0000])");
}

namespace {
// tests/reference/print.txt: "=== name" then PyTorch's str(tensor), up to the next "===".
std::map<std::string, std::string> printed_by_torch() {
    std::ifstream in(test::source_path("tests/reference/print.txt"));
    if (!in) throw Error("tests: can't read tests/reference/print.txt (run tests/reference/make_op_reference.py)");
    std::map<std::string, std::string> out;
    std::string line, name;
    while (std::getline(in, line)) {
        if (line.rfind("=== ", 0) == 0) {
            name = line.substr(4);
        } else if (!name.empty()) {
            std::string& text = out[name];
            text += (text.empty() ? "" : "\n") + line;
        }
    }
    return out;
}
}  // namespace

TEST_CASE("Tensor: above 1000 elements printing summarises exactly as PyTorch", "[tensor][print]") {
    struct Case {
        const char* name;  // as make_op_reference.py names it
        std::vector<std::int64_t> shape;
        float scale, shift;
        bool requires_grad;
    };
    const std::vector<Case> cases = {
        {"[2, 784] * 0.25 + -100.0", {2, 784}, 0.25f, -100.0f, false},
        {"[2000] * 0.5 + -300.0", {2000}, 0.5f, -300.0f, false},  // the row wraps at 80 columns
        {"[8, 9, 20] * 0.125 + -100.0, requires_grad", {8, 9, 20}, 0.125f, -100.0f, true},
        {"[2, 3, 20, 20] * 0.25 + 1.0", {2, 3, 20, 20}, 0.25f, 1.0f, false},  // dims of <= 6 are whole
        {"[7, 11, 13] * 0.25 + 1.0", {7, 11, 13}, 0.25f, 1.0f, false},
        {"[2, 600] * 0.125 + -50.0, requires_grad", {2, 600}, 0.125f, -50.0f, true},  // suffix on its own line
    };
    const auto torch = printed_by_torch();
    for (const Case& c : cases) {
        INFO(c.name);
        std::int64_t n = 1;
        for (std::int64_t d : c.shape) n *= d;
        Tensor t = (Tensor::arange(static_cast<float>(n)) * c.scale + c.shift).reshape(c.shape);
        t.requires_grad_(c.requires_grad);
        std::ostringstream s;
        s << t;
        REQUIRE(torch.count(c.name));
        CHECK(s.str() == torch.at(c.name));
    }
}

TEST_CASE("Tensor: a [2, 784] tensor prints in two lines, not 13,330 characters", "[tensor][print]") {
    std::ostringstream s;
    s << Tensor::zeros({2, 784});
    CHECK(s.str() ==
          "tensor([[0.0000, 0.0000, 0.0000,  ..., 0.0000, 0.0000, 0.0000],\n"
          "        [0.0000, 0.0000, 0.0000,  ..., 0.0000, 0.0000, 0.0000]])");  // torch's, but "0."
    std::ostringstream small;  // 1000 elements: still every value, in xgrad's format
    small << Tensor::zeros({1000});
    CHECK(small.str().find("...") == std::string::npos);
    CHECK(small.str().size() == 7 + 1 + 1000 * 6 + 999 * 2 + 1 + 1);
    std::ostringstream r;
    r << Tensor::zeros({1001}).requires_grad_() * 2.0f;
    CHECK(r.str() == "tensor([0.0000, 0.0000, 0.0000,  ..., 0.0000, 0.0000, 0.0000], grad_fn=<mul>)");
}

TEST_CASE("Tensor: linspace gives torch.linspace's float32 bits", "[tensor][ops-new]") {
    struct Case {
        const char* name;  // as make_op_reference.py names it
        float start, end;
        std::int64_t steps;
    };
    const std::vector<Case> cases = {
        {"linspace(-1.0, 1.0, 7)", -1.0f, 1.0f, 7},
        {"linspace(0.0, 1.0, 100)", 0.0f, 1.0f, 100},
        {"linspace(-3.7, 12.1, 1001)", -3.7f, 12.1f, 1001},
        {"linspace(5.0, -2.0, 33)", 5.0f, -2.0f, 33},
        {"linspace(0.1, 0.7, 1000)", 0.1f, 0.7f, 1000},
        {"linspace(-10.0, 10.0, 5000)", -10.0f, 10.0f, 5000},
        {"linspace(3.0, 3.0, 4)", 3.0f, 3.0f, 4},
        {"linspace(2.0, 5.0, 1)", 2.0f, 5.0f, 1},
        {"linspace(0.0, 1.0, 2)", 0.0f, 1.0f, 2},
        {"linspace(1000000.0, -1000000.0, 77)", 1e6f, -1e6f, 77},
        {"linspace(0.0, 1.0, 0)", 0.0f, 1.0f, 0},
        {"linspace(-3.141592653589793, 3.141592653589793, 2000)", -3.141592653589793f, 3.141592653589793f, 2000},
        {"linspace(0.0, 1.0, 20)", 0.0f, 1.0f, 20},  // one pair of 8-wide blocks, then 4 by the formula
        {"linspace(-2.0, 7.0, 31)", -2.0f, 7.0f, 31},
        {"linspace(0.0, 1.0, 4099)", 0.0f, 1.0f, 4099},
    };
    for (const Case& c : cases) {
        INFO(c.name);
        const std::vector<float>& want = test::op_reference(c.name, "forward");
        Tensor t = Tensor::linspace(c.start, c.end, c.steps);
        REQUIRE(t.shape() == Shape{static_cast<std::size_t>(c.steps)});
        REQUIRE(want.size() == t.numel());
        std::size_t differ = 0;
        for (std::size_t i = 0; i < want.size(); ++i) differ += t.data()(i) != want[i];
        CHECK(differ == 0);
        if (c.steps > 0) CHECK(t.data()(0) == c.start);
        if (c.steps > 1) CHECK(t.data()(c.steps - 1) == c.end);  // both ends exact
    }
    CHECK(Tensor::linspace(-1, 1, 7).data()(3) == -0x1p-25f);  // one fused rounding, as torch: not 0
    CHECK_THROWS_WITH(Tensor::linspace(0, 1, -1), Catch::Contains("linspace: number of steps must be non-negative"));
}
