// conv2d on oneDNN (core/conv_onednn.hpp), and the switch of core/backends.hpp.
//
// xgrad's images are NCHW. oneDNN's fastest convolutions want their own blocked layouts (for
// AVX-512, channels in blocks of 16: "nChw16c"), so a call copies ("reorders") its inputs into
// the layouts the convolution chose, runs it, and copies the results back. The copies are memory
// passes, small beside the convolution (bench/README.md); PyTorch does the same with NCHW tensors.
//
// A Plan holds what one shape needs: the primitives (oneDNN's kernels for that shape, generated
// when made, so made once and kept) and the buffers in oneDNN's layouts. Plans are per thread (a
// primitive and its buffers serve one call at a time) and per thread setting (a primitive is made
// for a thread count). Reproducibility: a primitive's work split depends on the shapes and its
// thread count, so a fixed thread setting gives the same bits run after run; 1 and 2 threads
// may differ in the last bits (tests/test_conv_kernels.cpp).
#include "core/conv_onednn.hpp"

#include <atomic>

#include "core/backends.hpp"

#ifdef XGRAD_HAS_ONEDNN
#include <omp.h>

#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/parallel.hpp"
#endif

namespace xg {

namespace {
std::atomic<bool> switched_on{true};
}

namespace backends::onednn {

bool is_available() {
#ifdef XGRAD_HAS_ONEDNN
    return true;
#else
    return false;
#endif
}

bool enabled() { return is_available() && switched_on.load(std::memory_order_relaxed); }

void set_enabled(bool on) { switched_on.store(on, std::memory_order_relaxed); }

}  // namespace backends::onednn

namespace detail {

#ifndef XGRAD_HAS_ONEDNN

bool onednn_conv2d_forward(const float*, const float*, const float*, std::size_t, std::size_t, const Window&, float*) {
    return false;
}
bool onednn_conv2d_backward(const float*, const float*, const float*, std::size_t, std::size_t, const Window&, float*,
                            float*, float*) {
    return false;
}

#else

namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Args = std::unordered_map<int, memory>;

dnnl::engine& cpu() {
    static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

dnnl::stream& stream() {
    thread_local dnnl::stream s(cpu());
    return s;
}

memory::desc desc(const memory::dims& dims, Tag tag) { return memory::desc(dims, memory::data_type::f32, tag); }

// One of our arrays as a primitive wants it: the array itself when the layouts agree, else a
// buffer in the primitive's layout with a reorder to it and one back.
class Staged {
public:
    Staged(const memory::desc& ours, const memory::desc& theirs)
        : ours_(ours, cpu(), DNNL_MEMORY_NONE), same_(ours == theirs) {
        if (same_) return;
        theirs_ = memory(theirs, cpu());
        to_theirs_ = dnnl::reorder(ours_, theirs_);
        to_ours_ = dnnl::reorder(theirs_, ours_);
    }
    // The input p in the primitive's layout.
    memory& in(const float* p) {
        ours_.set_data_handle(const_cast<float*>(p));
        if (same_) return ours_;
        to_theirs_.execute(stream(), ours_, theirs_);
        return theirs_;
    }
    // Where the primitive writes an output for p; finish() then puts it in p.
    memory& out(float* p) {
        ours_.set_data_handle(p);
        return same_ ? ours_ : theirs_;
    }
    void finish() {
        if (!same_) to_ours_.execute(stream(), theirs_, ours_);
    }

private:
    memory ours_, theirs_;
    bool same_;
    dnnl::reorder to_theirs_, to_ours_;
};

struct Key {
    std::size_t N, C, H, W, O, kh, kw, stride, pad;
    bool bias;
    int threads;
    auto operator<=>(const Key&) const = default;
};

// The shapes of one convolution as oneDNN's dims.
struct Dims {
    memory::dims x, w, y, b, strides, pads;
    explicit Dims(const Key& k) {
        const auto d = [](std::size_t v) { return static_cast<memory::dim>(v); };
        const std::size_t Ho = (k.H + 2 * k.pad - k.kh) / k.stride + 1, Wo = (k.W + 2 * k.pad - k.kw) / k.stride + 1;
        x = {d(k.N), d(k.C), d(k.H), d(k.W)};
        w = {d(k.O), d(k.C), d(k.kh), d(k.kw)};
        y = {d(k.N), d(k.O), d(Ho), d(Wo)};
        b = {d(k.O)};
        strides = {d(k.stride), d(k.stride)};
        pads = {d(k.pad), d(k.pad)};
    }
    memory::desc any(const memory::dims& dims) const { return desc(dims, Tag::any); }
};

// Made on a shape's first backward. G is reordered once when both primitives want one layout.
struct Backward {
    dnnl::convolution_backward_data::primitive_desc data_pd;
    dnnl::convolution_backward_weights::primitive_desc weights_pd;
    dnnl::convolution_backward_data data;
    dnnl::convolution_backward_weights weights;
    Staged gy, w, gx;              // backward data: G, w -> gx
    Staged x, gy_for_weights, gw;  // backward weights: x, G -> gw (and gb)
    bool one_gy;
    memory gb;
    std::vector<float> spare;  // gw's place when only gb is asked for

    Backward(const Dims& d, bool bias, const dnnl::convolution_forward::primitive_desc& hint)
        : data_pd({dnnl::algorithm::convolution_direct, d.any(d.x), d.any(d.w), d.any(d.y), d.strides, d.pads, d.pads},
                  cpu(), hint),
          weights_pd({dnnl::algorithm::convolution_direct, d.any(d.x), d.any(d.w),
                      bias ? desc(d.b, Tag::x) : memory::desc(), d.any(d.y), d.strides, d.pads, d.pads},
                     cpu(), hint),
          data(data_pd), weights(weights_pd), gy(desc(d.y, Tag::nchw), data_pd.diff_dst_desc()),
          w(desc(d.w, Tag::oihw), data_pd.weights_desc()), gx(desc(d.x, Tag::nchw), data_pd.diff_src_desc()),
          x(desc(d.x, Tag::nchw), weights_pd.src_desc()),
          gy_for_weights(desc(d.y, Tag::nchw), weights_pd.diff_dst_desc()),
          gw(desc(d.w, Tag::oihw), weights_pd.diff_weights_desc()),
          one_gy(data_pd.diff_dst_desc() == weights_pd.diff_dst_desc()), gb(desc(d.b, Tag::x), cpu(), DNNL_MEMORY_NONE),
          spare(static_cast<std::size_t>(d.w[0] * d.w[1] * d.w[2] * d.w[3])) {}
};

struct Plan {
    Dims dims;
    bool bias;
    dnnl::convolution_forward::primitive_desc fwd_pd;
    dnnl::convolution_forward fwd;
    Staged x, w, y;
    memory b;
    std::optional<Backward> bwd;

    explicit Plan(const Key& k)
        : dims(k), bias(k.bias),
          fwd_pd({dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, dims.any(dims.x),
                  dims.any(dims.w), bias ? desc(dims.b, Tag::x) : memory::desc(), dims.any(dims.y), dims.strides,
                  dims.pads, dims.pads},
                 cpu()),
          fwd(fwd_pd), x(desc(dims.x, Tag::nchw), fwd_pd.src_desc()), w(desc(dims.w, Tag::oihw), fwd_pd.weights_desc()),
          y(desc(dims.y, Tag::nchw), fwd_pd.dst_desc()), b(desc(dims.b, Tag::x), cpu(), DNNL_MEMORY_NONE) {}
};

// This thread's plan for the shape at the current thread setting, made on first use; null when
// oneDNN has no convolution for it (remembered, so it is asked once).
Plan* plan_for(const Key& key) {
    thread_local std::map<Key, std::unique_ptr<Plan> > plans;
    auto it = plans.find(key);
    if (it != plans.end()) return it->second.get();
    if (plans.size() >= 64) plans.clear();  // a bound on the buffers kept for shapes seen once
    std::unique_ptr<Plan> made;
    try {
        made = std::make_unique<Plan>(key);
    } catch (const dnnl::error&) {
        made = nullptr;
    }
    return plans.emplace(key, std::move(made)).first->second.get();
}

Key key_of(std::size_t N, std::size_t O, const Window& g, bool bias) {
    return {N, g.C, g.H, g.W, O, g.kh, g.kw, g.stride, g.pad, bias, get_num_threads()};
}

[[noreturn]] void fail(const char* pass, const Key& k, const dnnl::error& e) {
    throw Error(std::string("conv2d: oneDNN's ") + pass + " failed on input " +
                shape_str(std::vector{k.N, k.C, k.H, k.W}) + " and weight " +
                shape_str(std::vector{k.O, k.C, k.kh, k.kw}) + ": " + e.what());
}

}  // namespace

bool onednn_conv2d_forward(const float* x, const float* w, const float* b, std::size_t N, std::size_t O,
                           const Window& g, float* y) {
    if (!backends::onednn::enabled() || N == 0) return false;
    const Key key = key_of(N, O, g, b != nullptr);
    Plan* p = plan_for(key);
    if (!p) return false;
    try {
        omp_set_num_threads(key.threads);
        Args args{{DNNL_ARG_SRC, p->x.in(x)}, {DNNL_ARG_WEIGHTS, p->w.in(w)}, {DNNL_ARG_DST, p->y.out(y)}};
        if (b) {
            p->b.set_data_handle(const_cast<float*>(b));
            args.emplace(DNNL_ARG_BIAS, p->b);
        }
        p->fwd.execute(stream(), args);
        p->y.finish();
        stream().wait();
    } catch (const dnnl::error& e) {
        fail("forward", key, e);
    }
    return true;
}

bool onednn_conv2d_backward(const float* x, const float* w, const float* G, std::size_t N, std::size_t O,
                            const Window& g, float* gx, float* gw, float* gb) {
    if (!backends::onednn::enabled() || N == 0) return false;
    // A plan with a bias when gb is asked for (the forward pass's plan then): its weights'
    // primitive makes gb beside gw.
    const Key key = key_of(N, O, g, gb != nullptr);
    Plan* p = plan_for(key);
    if (!p) return false;
    try {
        if (!p->bwd) p->bwd.emplace(p->dims, p->bias, p->fwd_pd);
        Backward& bw = *p->bwd;
        omp_set_num_threads(key.threads);
        memory* gy = nullptr;  // G in the data primitive's layout
        if (gx) {
            gy = &bw.gy.in(G);
            bw.data.execute(
                stream(),
                {{DNNL_ARG_DIFF_DST, *gy}, {DNNL_ARG_WEIGHTS, bw.w.in(w)}, {DNNL_ARG_DIFF_SRC, bw.gx.out(gx)}});
            bw.gx.finish();
        }
        if (gw || gb) {
            Args args{{DNNL_ARG_SRC, bw.x.in(x)},
                      {DNNL_ARG_DIFF_DST, gy && bw.one_gy ? *gy : bw.gy_for_weights.in(G)},
                      {DNNL_ARG_DIFF_WEIGHTS, bw.gw.out(gw ? gw : bw.spare.data())}};
            if (gb) {
                bw.gb.set_data_handle(gb);
                args.emplace(DNNL_ARG_DIFF_BIAS, bw.gb);
            }
            bw.weights.execute(stream(), args);
            if (gw) bw.gw.finish();
        }
        stream().wait();
    } catch (const dnnl::error& e) {
        fail("backward", key, e);
    }
    return true;
}

#endif

}  // namespace detail
}  // namespace xg
