// conv2d on oneDNN (core/conv_onednn.hpp), and the switch of core/backends.hpp.
//
// xgrad's images are NCHW. oneDNN's fastest convolutions want their own blocked layouts (for
// AVX-512, channels in blocks of 16: "nChw16c"), so a call copies ("reorders") its inputs into
// the layouts the convolution chose, runs it, and copies the results back. The copies are memory
// passes, small beside the convolution (bench/README.md); PyTorch does the same with NCHW tensors.
//
// Threads: the batch is cut into min(N, set_num_threads) parts, and detail::run_tasks runs each
// part as a one-thread oneDNN convolution on its images. A Plan holds the primitives of one
// part's shape (oneDNN's kernels for it, generated when made, so made once and kept); plans are
// per thread, as a primitive serves one call at a time. The copies in oneDNN's layouts live only
// during a call, in per-thread buffers that all plans share. Reproducibility: the parts depend on
// the batch size and the thread setting alone, and the weight gradient adds the parts' sums in
// part order, so a fixed thread setting gives the same bits run after run; 1 and 2 threads may
// differ in the last bits (tests/test_conv_kernels.cpp).
#include "core/conv_onednn.hpp"

#include <atomic>

#include "core/backends.hpp"

#ifdef XGRAD_HAS_ONEDNN
#include <omp.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <new>
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

bool onednn_declines(const Window&) { return true; }

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
    // Never destroyed: the worker threads' plans and streams, which hold it, may outlive a static.
    static dnnl::engine& engine = *new dnnl::engine(dnnl::engine::kind::cpu, 0);
    return engine;
}

// OpenMP's thread count (a per-thread setting) at 1 for a scope, then back to what it was:
// oneDNN's OpenMP threads stay idle, and a caller's own OpenMP code keeps its setting.
class OneOpenmpThread {
public:
    OneOpenmpThread() { omp_set_num_threads(1); }
    ~OneOpenmpThread() { omp_set_num_threads(before_); }
    OneOpenmpThread(const OneOpenmpThread&) = delete;
    OneOpenmpThread& operator=(const OneOpenmpThread&) = delete;

private:
    int before_ = omp_get_max_threads();
};

dnnl::stream& stream() {
    thread_local dnnl::stream s(cpu());
    return s;
}

memory::desc desc(const memory::dims& dims, Tag tag) { return memory::desc(dims, memory::data_type::f32, tag); }

// The roles of the arrays a call copies into oneDNN's layouts; each role has one buffer per thread.
enum Slot { x_slot, w_slot, y_slot, gy_slot, gx_slot, x_for_weights_slot, gy_for_weights_slot, gw_slot, slots };

// This thread's buffer for a role, grown to the largest array it has held. A copy in oneDNN's
// layout lives only during a call, so all the plans of a thread share these (the ResNet's peak
// memory grew by 160 MB when each plan kept its own).
void* slot_buffer(Slot slot, std::size_t bytes) {
    struct Buffer {
        void* p = nullptr;
        std::size_t size = 0;
        Buffer() = default;
        Buffer(const Buffer&) = delete;
        Buffer& operator=(const Buffer&) = delete;
        ~Buffer() { std::free(p); }
    };
    thread_local Buffer buffers[slots];
    Buffer& b = buffers[slot];
    if (b.size < bytes) {
        const std::size_t size = (bytes + 63) / 64 * 64;  // aligned_alloc wants a multiple of the alignment
        void* p = std::aligned_alloc(64, size);           // 64: oneDNN's own alignment for its buffers
        if (!p) throw std::bad_alloc();
        std::free(b.p);
        b.p = p;  // not b = {p, size}: the temporary Buffer's destructor would free p
        b.size = size;
    }
    return b.p;
}

// One of our arrays as a primitive wants it: the array itself when the layouts agree, else the
// role's buffer in the primitive's layout, with a reorder to it and one back.
class Staged {
public:
    Staged(const memory::desc& ours, const memory::desc& theirs, Slot slot)
        : ours_(ours, cpu(), DNNL_MEMORY_NONE), slot_(slot), same_(ours == theirs) {
        if (same_) return;
        theirs_ = memory(theirs, cpu(), DNNL_MEMORY_NONE);
        to_theirs_ = dnnl::reorder(ours_, theirs_);
        to_ours_ = dnnl::reorder(theirs_, ours_);
    }
    // The input p in the primitive's layout.
    memory& in(const float* p) {
        ours_.set_data_handle(const_cast<float*>(p));
        if (same_) return ours_;
        theirs_.set_data_handle(slot_buffer(slot_, theirs_.get_desc().get_size()));
        to_theirs_.execute(stream(), ours_, theirs_);
        return theirs_;
    }
    // Where the primitive writes an output for p; finish() then puts it in p.
    memory& out(float* p) {
        ours_.set_data_handle(p);
        if (same_) return ours_;
        theirs_.set_data_handle(slot_buffer(slot_, theirs_.get_desc().get_size()));
        return theirs_;
    }
    void finish() {
        if (!same_) to_ours_.execute(stream(), theirs_, ours_);
    }

private:
    memory ours_, theirs_;
    Slot slot_;
    bool same_;
    dnnl::reorder to_theirs_, to_ours_;
};

struct Key {
    std::size_t N, C, H, W, O, kh, kw, stride, pad;
    bool bias;
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
          data(data_pd), weights(weights_pd), gy(desc(d.y, Tag::nchw), data_pd.diff_dst_desc(), gy_slot),
          w(desc(d.w, Tag::oihw), data_pd.weights_desc(), w_slot),
          gx(desc(d.x, Tag::nchw), data_pd.diff_src_desc(), gx_slot),
          x(desc(d.x, Tag::nchw), weights_pd.src_desc(), x_for_weights_slot),
          gy_for_weights(desc(d.y, Tag::nchw), weights_pd.diff_dst_desc(), gy_for_weights_slot),
          gw(desc(d.w, Tag::oihw), weights_pd.diff_weights_desc(), gw_slot),
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
    std::optional<Backward> bwd;  // made on the shape's first backward
    bool no_backward = false;     // oneDNN had no backward primitives for it

    explicit Plan(const Key& k)
        : dims(k), bias(k.bias),
          fwd_pd({dnnl::prop_kind::forward_training, dnnl::algorithm::convolution_direct, dims.any(dims.x),
                  dims.any(dims.w), bias ? desc(dims.b, Tag::x) : memory::desc(), dims.any(dims.y), dims.strides,
                  dims.pads, dims.pads},
                 cpu()),
          fwd(fwd_pd), x(desc(dims.x, Tag::nchw), fwd_pd.src_desc(), x_slot),
          w(desc(dims.w, Tag::oihw), fwd_pd.weights_desc(), w_slot),
          y(desc(dims.y, Tag::nchw), fwd_pd.dst_desc(), y_slot), b(desc(dims.b, Tag::x), cpu(), DNNL_MEMORY_NONE) {}
};

Key key_of(std::size_t N, std::size_t O, const Window& g, bool bias) {
    return {N, g.C, g.H, g.W, O, g.kh, g.kw, g.stride, g.pad, bias};
}

[[noreturn]] void fail(const char* pass, const Key& k, const dnnl::error& e) {
    throw Error(std::string("conv2d: oneDNN's ") + pass + " failed on input " +
                shape_str(std::vector{k.N, k.C, k.H, k.W}) + " and weight " +
                shape_str(std::vector{k.O, k.C, k.kh, k.kw}) + ": " + e.what());
}

// This thread's plan for the shape, made on first use, with its backward primitives when
// `backward`; null when oneDNN has no convolution for it (remembered, so it is asked once).
// Any other failure of oneDNN (out of memory, say) is an Error.
Plan* plan_for(const Key& key, bool backward) {
    thread_local std::map<Key, std::unique_ptr<Plan> > plans;
    auto it = plans.find(key);
    if (it == plans.end()) {
        if (plans.size() >= 64) plans.clear();  // a bound on the primitives kept for shapes seen once
        std::unique_ptr<Plan> made;
        try {
            made = std::make_unique<Plan>(key);
        } catch (const dnnl::error& e) {
            if (e.status != dnnl_unimplemented) fail("setup", key, e);
        }
        it = plans.emplace(key, std::move(made)).first;
    }
    Plan* p = it->second.get();
    if (!p || !backward) return p;
    if (!p->bwd && !p->no_backward) {
        try {
            p->bwd.emplace(p->dims, p->bias, p->fwd_pd);
        } catch (const dnnl::error& e) {
            if (e.status != dnnl_unimplemented) fail("backward setup", key, e);
            p->no_backward = true;
        }
    }
    return p->bwd ? p : nullptr;
}

// The batch cut into min(N, set_num_threads) parts; part t is images [first, last), and the
// parts hold N / count images, or one more.
struct Parts {
    std::size_t N, count;
    explicit Parts(std::size_t n)
        : N(n), count(std::min<std::size_t>(n, static_cast<std::size_t>(get_num_threads()))) {}
    std::size_t first(std::size_t t) const { return t * N / count; }
    std::size_t last(std::size_t t) const { return (t + 1) * N / count; }
};

// This thread's plan for part t, from a task of run_tasks. supported() has asked for both part
// sizes on the calling thread, so a shape oneDNN can't do has already gone to xgrad's own kernels.
Plan& part_plan(const Parts& parts, std::size_t t, std::size_t O, const Window& g, bool bias, bool backward) {
    const Key key = key_of(parts.last(t) - parts.first(t), O, g, bias);
    Plan* p = plan_for(key, backward);
    if (!p) {
        throw Error("conv2d: oneDNN has no convolution for input " +
                    shape_str(std::vector{key.N, key.C, key.H, key.W}) + ", though it had one for " +
                    std::to_string(parts.last(0)) + " images");
    }
    return *p;
}

bool supported(const Parts& parts, std::size_t O, const Window& g, bool bias, bool backward) {
    const std::size_t fewer = parts.N / parts.count, more = (parts.N + parts.count - 1) / parts.count;
    return plan_for(key_of(fewer, O, g, bias), backward) && plan_for(key_of(more, O, g, bias), backward);
}

}  // namespace

// Measured with bench_ops at 1 thread (µs forward + backward, oneDNN / xgrad's own): a strided 1x1
// convolution, the ResNet's projection shortcut (128x16x28x28 -> 32, stride 2: 3365 / 2091), which
// oneDNN runs by first copying out the strided pixels, while im2col's columns are that copy.
bool onednn_declines(const Window& g) { return g.kh == 1 && g.kw == 1 && g.stride > 1; }

// Each part is a one-thread oneDNN convolution on its images. (Debian's oneDNN would run its own
// OpenMP threads otherwise, which spin between calls and starve xgrad's and OpenBLAS's threads on
// a small machine: mnist_cnn ran no faster on 2 threads than on 1 that way.)
bool onednn_conv2d_forward(const float* x, const float* w, const float* b, std::size_t N, std::size_t O,
                           const Window& g, float* y) {
    if (!backends::onednn::enabled() || N == 0 || g.C == 0 || O == 0 || onednn_declines(g)) return false;
    const OneOpenmpThread one;
    const Parts parts(N);
    if (!supported(parts, O, g, b != nullptr, false)) return false;
    const std::size_t out = O * g.positions();
    run_tasks(parts.count, [&](std::size_t t, bool) {
        const OneOpenmpThread one_here;
        Plan& p = part_plan(parts, t, O, g, b != nullptr, false);
        const std::size_t n0 = parts.first(t);
        try {
            Args args{{DNNL_ARG_SRC, p.x.in(x + n0 * g.image())},
                      {DNNL_ARG_WEIGHTS, p.w.in(w)},
                      {DNNL_ARG_DST, p.y.out(y + n0 * out)}};
            if (b) {
                p.b.set_data_handle(const_cast<float*>(b));
                args.emplace(DNNL_ARG_BIAS, p.b);
            }
            p.fwd.execute(stream(), args);
            p.y.finish();
            stream().wait();
        } catch (const dnnl::error& e) {
            fail("forward", key_of(N, O, g, b != nullptr), e);
        }
    });
    return true;
}

// gx part by part; gw and gb as one sum per part, added in part order (so at a fixed thread
// setting the same bits every time).
bool onednn_conv2d_backward(const float* x, const float* w, const float* G, std::size_t N, std::size_t O,
                            const Window& g, float* gx, float* gw, float* gb) {
    if (!backends::onednn::enabled() || N == 0 || g.C == 0 || O == 0 || onednn_declines(g)) return false;
    // A plan with a bias when gb is asked for (the forward pass's plan then): its weights'
    // primitive makes gb beside gw.
    const bool bias = gb != nullptr;
    const OneOpenmpThread one;
    const Parts parts(N);
    if (!supported(parts, O, g, bias, true)) return false;
    // The gradient of a one-channel image (a first layer's, when asked for) from xgrad's own
    // kernels: oneDNN pads the channel to a block of 16 and took 2.4 ms of the 3.1 ms that
    // conv2d 64x1x28x28 * 16x5x5 spends forward and backward (im2col: 2.2 ms for all of it).
    if (gx && g.C == 1) {
        conv2d_backward(x, w, G, N, O, g, gx, nullptr, nullptr);
        gx = nullptr;
        if (!gw && !gb) return true;
    }
    const std::size_t K = g.rows(), out = O * g.positions();
    thread_local std::vector<float> sums;  // part t's gw at t·O·K, its gb at count·O·K + t·O
    if (parts.count > 1 && (gw || gb)) sums.resize(parts.count * (O * K + O));
    float* const sums_at = sums.data();
    run_tasks(parts.count, [&](std::size_t t, bool) {
        const OneOpenmpThread one_here;
        Backward& bw = *part_plan(parts, t, O, g, bias, true).bwd;
        const std::size_t n0 = parts.first(t);
        const float* Gt = G + n0 * out;
        float* gw_t = parts.count == 1 ? gw : (gw ? sums_at + t * O * K : nullptr);
        float* gb_t = parts.count == 1 ? gb : (gb ? sums_at + parts.count * O * K + t * O : nullptr);
        try {
            memory* gy = nullptr;  // G in the data primitive's layout
            if (gx) {
                gy = &bw.gy.in(Gt);
                bw.data.execute(stream(), {{DNNL_ARG_DIFF_DST, *gy},
                                           {DNNL_ARG_WEIGHTS, bw.w.in(w)},
                                           {DNNL_ARG_DIFF_SRC, bw.gx.out(gx + n0 * g.image())}});
                bw.gx.finish();
            }
            if (gw_t || gb_t) {
                Args args{{DNNL_ARG_SRC, bw.x.in(x + n0 * g.image())},
                          {DNNL_ARG_DIFF_DST, gy && bw.one_gy ? *gy : bw.gy_for_weights.in(Gt)},
                          {DNNL_ARG_DIFF_WEIGHTS, bw.gw.out(gw_t ? gw_t : bw.spare.data())}};
                if (gb_t) {
                    bw.gb.set_data_handle(gb_t);
                    args.emplace(DNNL_ARG_DIFF_BIAS, bw.gb);
                }
                bw.weights.execute(stream(), args);
                if (gw_t) bw.gw.finish();
            }
            stream().wait();
        } catch (const dnnl::error& e) {
            fail("backward", key_of(N, O, g, bias), e);
        }
    });
    if (parts.count == 1) return true;
    if (gw) sum_parts(sums_at, parts.count, O * K, gw);
    if (gb) sum_parts(sums_at + parts.count * O * K, parts.count, O, gb);
    return true;
}

#endif

}  // namespace detail
}  // namespace xg
