// Numerical gradient checking against the tape's analytic gradients.
#include "core/gradcheck.hpp"

#include <cmath>
#include <random>
#include <sstream>

#include "core/autograd.hpp"
#include "core/ops.hpp"

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
    sum(out * Tensor(w)).backward();

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
            << index_str(args[worst.input].shape(), worst.index) << ": analytic " << worst.analytic
            << " vs numerical " << worst.numerical << " (eps " << eps << ", atol " << atol << ", rtol " << rtol << ")";
        throw Error(msg.str());
    }
    return true;
}

}  // namespace xg::autograd
