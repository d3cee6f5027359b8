// The losses' options row by row (weight, ignore_index, label_smoothing, [N, C, d1, ...] inputs,
// pos_weight, huber/smooth L1): each row is its own test case (tagged [loss][grad]) that runs
// gradcheck (and gradgradcheck for rows differentiable to any order) and compares the forward
// values, gradients and second derivatives with PyTorch's, from tests/reference/loss.txt.
//
// To add a row: add it to tests/reference/make_loss_reference.py (its inputs are drawn from the
// row's name, as test::make_inputs draws them; its constants, such as class-index targets, are
// written to loss.txt) and here with the same name, shapes and constants, then run the script.
#include "helpers.hpp"

#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

using namespace xg;
using nn::Reduction;

namespace {
namespace F = nn::functional;
using V = const std::vector<Tensor>&;

// "row<TAB>kind" -> values, from tests/reference/loss.txt.
const std::map<std::string, std::vector<float>>& loss_reference() {
    return test::reference_table("loss.txt", "make_loss_reference.py");
}

const std::vector<float>& reference(const std::string& row, const std::string& kind) {
    auto it = loss_reference().find(row + "\t" + kind);
    if (it == loss_reference().end()) {
        throw Error("tests: no PyTorch reference '" + kind + "' for row '" + row +
                    "': add the row to tests/reference/make_loss_reference.py and run it");
    }
    return it->second;
}

// A row's constant (target, weight, pos_weight), as the script wrote it, with the shape the row
// says it has.
struct Consts {
    std::string row;
    Tensor operator()(const std::string& key, const Shape& shape) const {
        const std::vector<float>& v = reference(row, "const." + key);
        Array a = Array::from_shape(shape);
        if (a.size() != v.size()) {
            throw Error("tests: constant " + key + " of row '" + row + "' has " + std::to_string(v.size()) +
                        " numbers, not " + shape_str(shape));
        }
        std::copy(v.begin(), v.end(), a.begin());
        return Tensor(std::move(a));
    }
};

struct LossRow {
    std::string name;
    std::vector<Shape> shapes;
    std::function<Tensor(V, const Consts&)> fn;
    test::Order order = test::Order::second;
};

using test::check_against;
using test::random_like;

// gradcheck (and gradgradcheck), then forward, grad and grad2 against PyTorch, computed as
// make_loss_reference.py computes them.
void check_row(const LossRow& row) {
    const test::GradCase gc{row.name, row.shapes, [&row](V v) { return row.fn(v, Consts{row.name}); }};
    std::vector<Tensor> x = test::make_inputs(gc);
    CHECK_NOTHROW(autograd::gradcheck(gc.fn, x));
    if (row.order == test::Order::second) CHECK_NOTHROW(autograd::gradgradcheck(gc.fn, x));
    Tensor out = gc.fn(x);
    check_against("forward", out, reference(row.name, "forward"), 1e-6f, 1e-5f);
    test::Stream ws(row.name + "#w");
    const bool second = row.order == test::Order::second;
    std::vector<Tensor> g =
        autograd::grad({sum(out * random_like(ws, out.shape()))}, x, {.create_graph = second, .allow_unused = true});
    Tensor s = Tensor::zeros({});
    for (std::size_t k = 0; k < x.size(); ++k) {
        const std::string kind = "grad." + std::to_string(k);
        check_against(kind, g[k].defined() ? g[k] : Tensor::zeros(x[k].shape()), reference(row.name, kind), 1e-5f,
                      1e-4f);
        test::Stream us(row.name + "#u" + std::to_string(k));
        if (g[k].defined()) s = s + sum(g[k] * random_like(us, x[k].shape()));
    }
    if (!second) return;
    std::vector<Tensor> h(x.size());
    if (s.requires_grad()) h = autograd::grad({s}, x, {.allow_unused = true});
    for (std::size_t k = 0; k < x.size(); ++k) {
        const std::string kind = "grad2." + std::to_string(k);
        check_against(kind, h[k].defined() ? h[k] : Tensor::zeros(x[k].shape()), reference(row.name, kind), 1e-5f,
                      1e-4f);
    }
}

// Constants' shapes, as in the script.
const Shape T5{5}, W4{4}, T_2x2x2{2, 2, 2}, W3{3}, T_2x3{2, 3}, SCALAR{}, W_ROWS{3, 1};
constexpr auto first = test::Order::first;

std::vector<LossRow> rows() {
    return {
        // ---- cross_entropy: a fused first-order kernel ----
        {"cross_entropy: weight / mean",
         {{5, 4}},
         [](V x, const Consts& k) { return F::cross_entropy(x[0], k("target", T5), {.weight = k("weight", W4)}); },
         first},
        {"cross_entropy: weight / sum",
         {{5, 4}},
         [](V x, const Consts& k) {
             return F::cross_entropy(x[0], k("target", T5), {.weight = k("weight", W4), .reduction = Reduction::sum});
         },
         first},
        {"cross_entropy: weight and ignore_index / mean",
         {{5, 4}},
         [](V x, const Consts& k) { return F::cross_entropy(x[0], k("target", T5), {.weight = k("weight", W4)}); },
         first},
        {"cross_entropy: weight and ignore_index / none",
         {{5, 4}},
         [](V x, const Consts& k) {
             return F::cross_entropy(x[0], k("target", T5), {.weight = k("weight", W4), .reduction = Reduction::none});
         },
         first},
        {"cross_entropy: ignore_index 3 (a real class) / mean",
         {{5, 4}},
         [](V x, const Consts& k) { return F::cross_entropy(x[0], k("target", T5), {.ignore_index = 3}); },
         first},
        {"cross_entropy: label_smoothing 0.2 / mean",
         {{5, 4}},
         [](V x, const Consts& k) { return F::cross_entropy(x[0], k("target", T5), {.label_smoothing = 0.2f}); },
         first},
        {"cross_entropy: label_smoothing 0.2 with ignore_index / none",
         {{5, 4}},
         [](V x, const Consts& k) {
             return F::cross_entropy(x[0], k("target", T5), {.reduction = Reduction::none, .label_smoothing = 0.2f});
         },
         first},
        {"cross_entropy: label_smoothing 0.3 with weight and ignore_index / mean",
         {{5, 4}},
         [](V x, const Consts& k) {
             return F::cross_entropy(x[0], k("target", T5), {.weight = k("weight", W4), .label_smoothing = 0.3f});
         },
         first},
        {"cross_entropy: label_smoothing 0.3 with weight and ignore_index / sum",
         {{5, 4}},
         [](V x, const Consts& k) {
             return F::cross_entropy(x[0], k("target", T5),
                                     {.weight = k("weight", W4), .reduction = Reduction::sum, .label_smoothing = 0.3f});
         },
         first},
        {"cross_entropy: label_smoothing 0.3 with weight and ignore_index / none",
         {{5, 4}},
         [](V x, const Consts& k) {
             return F::cross_entropy(
                 x[0], k("target", T5),
                 {.weight = k("weight", W4), .reduction = Reduction::none, .label_smoothing = 0.3f});
         },
         first},
        {"cross_entropy: label_smoothing 1 with weight / mean",
         {{5, 4}},
         [](V x, const Consts& k) {
             return F::cross_entropy(x[0], k("target", T5), {.weight = k("weight", W4), .label_smoothing = 1.0f});
         },
         first},
        {"cross_entropy: [N x C x d1 x d2] with target [N x d1 x d2] / mean",
         {{2, 3, 2, 2}},
         [](V x, const Consts& k) { return F::cross_entropy(x[0], k("target", T_2x2x2)); },
         first},
        {"cross_entropy: [N x C x d1 x d2] with weight and label_smoothing / none",
         {{2, 3, 2, 2}},
         [](V x, const Consts& k) {
             return F::cross_entropy(
                 x[0], k("target", T_2x2x2),
                 {.weight = k("weight", W3), .reduction = Reduction::none, .label_smoothing = 0.1f});
         },
         first},
        {"cross_entropy: [N x C x d] with weight and label_smoothing / mean",
         {{2, 4, 3}},
         [](V x, const Consts& k) {
             return F::cross_entropy(x[0], k("target", T_2x3), {.weight = k("weight", W4), .label_smoothing = 0.25f});
         },
         first},
        {"cross_entropy: [N x C x d] / sum",
         {{2, 4, 3}},
         [](V x, const Consts& k) { return F::cross_entropy(x[0], k("target", T_2x3), Reduction::sum); },
         first},
        {"cross_entropy: unbatched [C] with a 0-d target / mean",
         {{4}},
         [](V x, const Consts& k) { return F::cross_entropy(x[0], k("target", SCALAR)); },
         first},
        {"cross_entropy: unbatched [C] with weight and label_smoothing / none",
         {{4}},
         [](V x, const Consts& k) {
             return F::cross_entropy(
                 x[0], k("target", SCALAR),
                 {.weight = k("weight", W4), .reduction = Reduction::none, .label_smoothing = 0.2f});
         },
         first},
        // ---- cross_entropy with class probabilities: any order ----
        {"cross_entropy: class probabilities / mean",
         {{3, 4}, {3, 4}},
         [](V x, const Consts&) { return F::cross_entropy(x[0], softmax(x[1], 1)); }},
        {"cross_entropy: class probabilities with weight and label_smoothing / none",
         {{3, 4}, {3, 4}},
         [](V x, const Consts& k) {
             return F::cross_entropy(
                 x[0], softmax(x[1], 1),
                 {.weight = k("weight", W4), .reduction = Reduction::none, .label_smoothing = 0.2f});
         }},
        {"cross_entropy: class probabilities [N x C x d] with weight / sum",
         {{2, 4, 3}, {2, 4, 3}},
         [](V x, const Consts& k) {
             return F::cross_entropy(x[0], softmax(x[1], 1), {.weight = k("weight", W4), .reduction = Reduction::sum});
         }},
        {"cross_entropy: class probabilities unbatched [C] / mean",
         {{4}, {4}},
         [](V x, const Consts&) { return F::cross_entropy(x[0], softmax(x[1], 0)); }},
        // ---- nll_loss: any order ----
        {"nll_loss: weight and ignore_index / mean",
         {{5, 4}},
         [](V x, const Consts& k) { return F::nll_loss(x[0], k("target", T5), {.weight = k("weight", W4)}); }},
        {"nll_loss: weight / none",
         {{5, 4}},
         [](V x, const Consts& k) {
             return F::nll_loss(x[0], k("target", T5), {.weight = k("weight", W4), .reduction = Reduction::none});
         }},
        {"nll_loss: [N x C x d1 x d2] with weight / mean",
         {{2, 3, 2, 2}},
         [](V x, const Consts& k) { return F::nll_loss(x[0], k("target", T_2x2x2), {.weight = k("weight", W3)}); }},
        {"nll_loss: [N x C x d] / none",
         {{2, 4, 3}},
         [](V x, const Consts& k) { return F::nll_loss(x[0], k("target", T_2x3), Reduction::none); }},
        {"nll_loss: unbatched [C] with a 0-d target / sum",
         {{4}},
         [](V x, const Consts& k) { return F::nll_loss(x[0], k("target", SCALAR), Reduction::sum); }},
        {"nll_loss of log_softmax: cross_entropy with weight to second order",
         {{5, 4}},
         [](V x, const Consts& k) {
             return F::nll_loss(log_softmax(x[0], 1), k("target", T5), {.weight = k("weight", W4)});
         }},
        // ---- binary cross-entropy ----
        {"binary_cross_entropy_with_logits: pos_weight [4] / mean",
         {{3, 4}, {3, 4}},
         [](V x, const Consts& k) {
             return F::binary_cross_entropy_with_logits(x[0] * 3.0f, sigmoid(x[1]),
                                                        {.pos_weight = k("pos_weight", W4)});
         }},
        {"binary_cross_entropy_with_logits: pos_weight and weight / none",
         {{3, 4}, {3, 4}},
         [](V x, const Consts& k) {
             return F::binary_cross_entropy_with_logits(
                 x[0] * 3.0f, sigmoid(x[1]),
                 {.weight = k("weight", W_ROWS), .reduction = Reduction::none, .pos_weight = k("pos_weight", W4)});
         }},
        {"binary_cross_entropy_with_logits: weight [3 x 1] / sum",
         {{3, 4}, {3, 4}},
         [](V x, const Consts& k) {
             return F::binary_cross_entropy_with_logits(x[0] * 3.0f, sigmoid(x[1]),
                                                        {.weight = k("weight", W_ROWS), .reduction = Reduction::sum});
         }},
        {"binary_cross_entropy_with_logits: pos_weight over the last dim of [2 x 3 x 4] / mean",
         {{2, 3, 4}, {2, 3, 4}},
         [](V x, const Consts& k) {
             return F::binary_cross_entropy_with_logits(x[0] * 3.0f, sigmoid(x[1]),
                                                        {.pos_weight = k("pos_weight", W4)});
         }},
        {"binary_cross_entropy: weight [3 x 1] / mean",
         {{3, 4}, {3, 4}},
         [](V x, const Consts& k) {
             return F::binary_cross_entropy(sigmoid(x[0]), sigmoid(x[1]), Reduction::mean, k("weight", W_ROWS));
         },
         first},
        // ---- huber_loss, smooth_l1_loss: any order ----
        {"huber_loss: delta 1 / mean",
         {{3, 4}, {3, 4}},
         [](V x, const Consts&) { return F::huber_loss(x[0] * 2.0f, x[1]); }},
        {"huber_loss: delta 0.5 / sum",
         {{3, 4}, {3, 4}},
         [](V x, const Consts&) { return F::huber_loss(x[0], x[1], Reduction::sum, 0.5f); }},
        {"huber_loss: delta 2.5 / none",
         {{3, 4}, {3, 4}},
         [](V x, const Consts&) { return F::huber_loss(x[0] * 3.0f, x[1], Reduction::none, 2.5f); }},
        {"smooth_l1_loss: beta 1 / mean",
         {{3, 4}, {3, 4}},
         [](V x, const Consts&) { return F::smooth_l1_loss(x[0] * 2.0f, x[1]); }},
        {"smooth_l1_loss: beta 0.3 / none",
         {{3, 4}, {3, 4}},
         [](V x, const Consts&) { return F::smooth_l1_loss(x[0], x[1], Reduction::none, 0.3f); }},
        {"smooth_l1_loss: beta 0 is l1_loss / sum",
         {{3, 4}, {3, 4}},
         [](V x, const Consts&) { return F::smooth_l1_loss(x[0], x[1], Reduction::sum, 0.0f); }},
        // ---- the other reductions of mse_loss and l1_loss ----
        {"mse_loss: none",
         {{2, 3}, {2, 3}},
         [](V x, const Consts&) { return F::mse_loss(x[0], x[1], Reduction::none); }},
        {"mse_loss: sum", {{2, 3}, {2, 3}}, [](V x, const Consts&) { return F::mse_loss(x[0], x[1], Reduction::sum); }},
        {"l1_loss: none",
         {{2, 3}, {2, 3}},
         [](V x, const Consts&) { return F::l1_loss(x[0], x[1] + 3.0f, Reduction::none); }},
        {"l1_loss: mean", {{2, 3}, {2, 3}}, [](V x, const Consts&) { return F::l1_loss(x[0], x[1] + 3.0f); }},
    };
}

struct RowInvoker : Catch::ITestInvoker {
    explicit RowInvoker(LossRow r) : row(std::move(r)) {}
    void invoke() const override { check_row(row); }
    LossRow row;
};

const bool registered = [] {
    static std::deque<std::string> names;  // Catch keeps StringRefs: the text must outlive main
    static std::deque<Catch::AutoReg> registrations;
    for (LossRow& r : rows()) {
        names.push_back(r.name);
        registrations.emplace_back(new RowInvoker(std::move(r)), CATCH_INTERNAL_LINEINFO, Catch::StringRef(),
                                   Catch::NameAndTags{Catch::StringRef(names.back()), "[loss][grad]"});
    }
    return true;
}();

}  // namespace

TEST_CASE("loss rows: every row of loss.txt has a test row", "[loss]") {
    // A row renamed in one file only would otherwise leave a reference nobody checks.
    std::set<std::string> here, there;
    for (const LossRow& r : rows()) here.insert(r.name);
    for (const auto& [key, values] : loss_reference()) there.insert(key.substr(0, key.find('\t')));
    CHECK(here == there);
}
