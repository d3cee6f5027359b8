// Numerical gradient checking against the tape's analytic gradients.
#include "core/gradcheck.hpp"

#include <cmath>
#include <random>
#include <sstream>

#include "core/autograd.hpp"
#include "core/ops.hpp"
#include "core/format.hpp"

namespace xg::autograd {

namespace {

// Σ out * w in double, so the difference quotient isn't swamped by float summation error.
double weighted_sum(const Tensor& out, const Array& w) {
    double s = 0.0;
    const float* y = out.data().data();
    for (std::size_t i = 0; i < w.size(); ++i) s += static_cast<double>(y[i]) * w.data()[i];
    return s;
}

std::string index_str(const Shape& shape, std::size_t flat) {
    Shape idx(shape.size());
    for (std::size_t d = shape.size(); d-- > 0;) {
        idx[d] = flat % shape[d];
        flat /= shape[d];
    }
    return shape_str(idx);
}

}  // namespace

bool gradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, float eps, float atol, float rtol) {
    std::vector<Tensor> args = inputs;
    for (Tensor& t : args) {
        if (t.requires_grad()) t.mutable_grad() = Tensor();
    }

    // Analytic: backward through sum(out * w), with w drawn from a private generator so the
    // check never disturbs the user's random stream.
    Tensor out = fn(args);
    Array w = Array::from_shape(out.shape());
    std::mt19937 gen(1234);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float& v : w) v = dist(gen);
    const Tensor weighted = sum(out * Tensor(w));
    if (weighted.requires_grad()) weighted.backward();  // otherwise every analytic gradient is 0

    struct Worst {
        double excess = 0.0;
        std::size_t input = 0, index = 0;
        double analytic = 0.0, numerical = 0.0;
    } worst;
    bool failed = false;

    for (std::size_t k = 0; k < args.size(); ++k) {
        Tensor& x = args[k];
        if (!x.requires_grad()) continue;
        const Tensor g = x.grad();
        float* values = x.data().data();
        for (std::size_t i = 0; i < x.numel(); ++i) {
            const float original = values[i];
            double plus, minus;
            {
                NoGradGuard no_grad;
                values[i] = original + eps;
                plus = weighted_sum(fn(args), w);
                values[i] = original - eps;
                minus = weighted_sum(fn(args), w);
                values[i] = original;
            }
            const double numerical = (plus - minus) / (2.0 * static_cast<double>(eps));
            const double analytic = g.defined() ? g.data().data()[i] : 0.0;
            const double excess = std::abs(analytic - numerical) - (atol + rtol * std::abs(numerical));
            if (!(excess <= 0.0) && (!failed || excess > worst.excess || std::isnan(excess))) {
                failed = true;
                worst = {excess, k, i, analytic, numerical};
            }
        }
        x.mutable_grad() = Tensor();
    }
    if (failed) {
        std::ostringstream msg;
        msg << "gradcheck: input " << worst.input << " " << shape_str(args[worst.input].shape()) << " at index "
            << index_str(args[worst.input].shape(), worst.index) << ": analytic " << format_number(worst.analytic)
            << " vs numerical " << format_number(worst.numerical) << " (eps " << format_number(eps) << ", atol "
            << format_number(atol) << ", rtol " << format_number(rtol) << ")";
        throw Error(msg.str());
    }
    return true;
}

bool gradgradcheck(const GradcheckFn& fn, const std::vector<Tensor>& inputs, float eps, float atol, float rtol) {
    // The first-order gradients of Σ fn(x)·w, reduced by fixed weights u to one number per
    // input set: s(x) = Σ_k Σ grad_k(x)·u_k. gradcheck then compares its recorded (second-order)
    // gradient with central differences of s.
    std::mt19937 gen(4321);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    auto random_like = [&](const Shape& shape) {
        Array a = Array::from_shape(shape);
        for (float& v : a) v = dist(gen);
        return Tensor(std::move(a));
    };
    std::vector<Tensor> u;
    for (const Tensor& x : inputs) u.push_back(random_like(x.shape()));
    Tensor w;
    GradcheckFn first_order = [&](const std::vector<Tensor>& x) {
        const bool outer = is_grad_enabled();  // off while gradcheck takes differences
        AutoGradMode on(true);                 // the forward must be recorded to be differentiated
        Tensor out = fn(x);
        if (!w.defined()) w = random_like(out.shape());
        std::vector<Tensor> wrt;
        for (const Tensor& t : x)
            if (t.requires_grad()) wrt.push_back(t);
        const Tensor weighted = sum(out * w);
        Tensor s = Tensor::zeros({});
        if (!weighted.requires_grad()) return s;
        std::vector<Tensor> grads = grad({weighted}, wrt, {.create_graph = outer, .allow_unused = true});
        AutoGradMode as_before(outer);
        for (std::size_t k = 0, j = 0; k < x.size(); ++k) {
            if (!x[k].requires_grad()) continue;
            if (grads[j].defined()) s = s + sum(grads[j] * u[k]);
            ++j;
        }
        return s;
    };
    try {
        return gradcheck(first_order, inputs, eps, atol, rtol);
    } catch (const Error& e) {
        throw Error(std::string("gradgradcheck (second order): ") + e.what());
    }
}

}  // namespace xg::autograd
