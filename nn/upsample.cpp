// interpolate: PyTorch's argument rules (exactly one of size and scale_factor; align_corners for
// bilinear only; the output size floor(H·scale)) on top of core's resampling kernels; and Upsample.
#include "nn/upsample.hpp"

#include <cmath>

#include "core/format.hpp"
#include "core/ops.hpp"

namespace xg::nn {

namespace functional {

namespace {

std::string values_str(const std::vector<double>& v) {
    std::string s = "[";
    for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + format_number(v[i]);
    return s + "]";
}

// {h, w} from {h, w} or {n}, or an Error naming `who`.
template <class T>
std::vector<T> two(const std::string& who, const char* what, std::vector<T> v, const std::string& shown) {
    if (v.size() == 1) v.push_back(v[0]);
    if (v.size() != 2) throw Error(who + ": " + what + " must have 1 or 2 values for a 4-D input, got " + shown);
    return v;
}

// The scale factors the kernels use for source indices (0 = none: in/out), as PyTorch passes them.
std::vector<double> kernel_scales(const InterpolateOptions& o) {
    if (o.size.empty() && !o.recompute_scale_factor)
        return two<double>("interpolate", "scale_factor", o.scale_factor, "");
    return {0.0, 0.0};
}

}  // namespace

Shape interpolate_shape(const Shape& x, const InterpolateOptions& o, const std::string& who) {
    if (x.size() != 4) throw Error(who + ": input must be [N, C, H, W], got " + shape_str(x));
    if (o.mode != "nearest" && o.mode != "bilinear")
        throw Error(who + ": mode must be \"nearest\" or \"bilinear\", got \"" + o.mode + "\"");
    if (o.mode == "nearest" && o.align_corners.has_value())
        throw Error(who + ": align_corners can only be set with mode \"bilinear\" (mode is \"nearest\")");
    if (o.size.empty() == o.scale_factor.empty()) throw Error(who + ": give exactly one of size and scale_factor");
    if (!o.size.empty() && o.recompute_scale_factor)
        throw Error(who + ": recompute_scale_factor is not meaningful with an explicit size");
    std::vector<std::size_t> size;
    if (!o.size.empty()) {
        size = two<std::size_t>(who, "size", o.size, shape_str(o.size));
    } else {
        const std::vector<double> s = two<double>(who, "scale_factor", o.scale_factor, values_str(o.scale_factor));
        for (int i = 0; i < 2; ++i) {
            if (!(s[i] > 0.0) || !std::isfinite(s[i]))
                throw Error(who + ": scale_factor must be positive and finite, got " + values_str(o.scale_factor));
            size.push_back(static_cast<std::size_t>(std::floor(static_cast<double>(x[2 + i]) * s[i])));
        }
    }
    if (x[2] == 0 || x[3] == 0 || size[0] == 0 || size[1] == 0) {
        throw Error(who + ": input " + shape_str(x) + " and output " + shape_str(size) +
                    " sizes must be greater than 0");
    }
    return {x[0], x[1], size[0], size[1]};
}

Tensor interpolate(const Tensor& x, const InterpolateOptions& o) {
    const Shape out = interpolate_shape(x.shape(), o);
    const std::vector<double> s = kernel_scales(o);
    if (o.mode == "nearest") return upsample_nearest2d(x, {out[2], out[3]}, s[0], s[1]);
    return upsample_bilinear2d(x, {out[2], out[3]}, o.align_corners.value_or(false), s[0], s[1]);
}

}  // namespace functional

Upsample::Upsample(UpsampleOptions o) : options(std::move(o)) {}  // checked at forward, as PyTorch

Tensor Upsample::forward(const Tensor& x) {
    output_shape(x.shape());  // so that a bad option names the layer, not only the function
    return functional::interpolate(x, options);
}

Shape Upsample::output_shape(const Shape& in) { return functional::interpolate_shape(in, options, "Upsample"); }

std::string Upsample::extra_repr() const {
    auto one_or_pair = [](const auto& v, auto show) {
        std::string out = show(v[0]);
        if (v.size() == 1) return out;
        // Appended piece by piece: g++ 12 warns (-Wrestrict, a false positive) on "(" + a + ", " + b.
        out.insert(0, 1, '(');
        out.append(", ").append(show(v[1])).append(")");
        return out;
    };
    std::string s;
    if (!options.scale_factor.empty()) {
        s = "scale_factor=" + one_or_pair(options.scale_factor, [](double f) {
                const std::string n = format_number(f);
                return n.find_first_of(".einf") == std::string::npos ? n + ".0" : n;  // Python's float
            });
    } else {
        s = "size=" + one_or_pair(options.size, [](std::size_t n) { return std::to_string(n); });
    }
    return s + ", mode=" + options.mode;
}

}  // namespace xg::nn
