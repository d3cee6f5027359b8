// nn::parallel::DistributedDataParallel, as torch.nn.parallel.DistributedDataParallel: every rank
// holds the same model, runs it on its own part of the batch, and after backward() the gradients
// are averaged across ranks, so that every rank's optimizer takes the same step, the one a single
// process would take on the whole batch.
//
//   distributed::init_process_group();
//   Net net;
//   nn::parallel::DistributedDataParallel model(net);   // checks and copies rank 0's weights
//   optim::SGD opt(model.parameters(), {.lr = 0.1});
//   Tensor loss = cross_entropy(model(x), y);           // x: this rank's batch
//   loss.backward();                                     // ... then the gradients are averaged
//   opt.step();
//
// How it works: at construction every rank compares its parameter names and shapes with rank 0's
// (an Error naming the rank and the first parameter that differs) and takes rank 0's parameters
// and buffers. A forward in grad mode marks the model as owing a sync; the backward-end hook
// (core/backward_hooks.hpp) then averages every gradient in a few flat buckets (one
// all_reduce per bucket of at most bucket_cap_mb; PyTorch's default 25 MB holds an MNIST MLP's
// 235k gradients in one). The averaging runs after backward, not overlapped with it: on this
// machine's shared memory an all_reduce of the whole model costs a fraction of a millisecond.
// A parameter no rank gave a gradient keeps none; one that some ranks did gets the average with
// zeros for the others (PyTorch's find_unused_parameters=True result).
// Which backward averages: the one that runs through the forward's output and frees its tape
// (PyTorch's reducer waits for the module's own gradients likewise). A backward of another graph
// in between averages nothing. A backward with retain_graph through the output keeps the tape, so
// it averages nothing either: the gradients are averaged, summed, by the later backward that
// frees it (averaging is linear). Every training step therefore needs one backward without
// retain_graph through the model's output, as a plain loss.backward() is.
#pragma once

#include <cstdint>
#include <memory>
#include <utility>

#include "core/backward_hooks.hpp"
#include "distributed/distributed.hpp"
#include "nn/module.hpp"

namespace xg::nn::parallel {

// DistributedDataParallel's keyword arguments (PyTorch's names and defaults).
struct DistributedDataParallelOptions {
    bool broadcast_buffers = true;  // rank 0's buffers (BatchNorm's running stats) before each forward
    double bucket_cap_mb = 25.0;    // gradients per all_reduce, in MB
};

// What every handle of one DistributedDataParallel shares (the backward-end hook holds it weakly).
struct DdpState {
    DistributedDataParallelOptions options;
    Module* module = nullptr;   // the registered child, owned by the registry
    bool require_sync = true;   // false inside no_sync()
    bool sync_pending = false;  // a forward ran in grad mode: the backward through it averages
    // The node that made that forward's output: averaging waits for the backward that reaches and
    // frees it, so a backward of another graph (another model's loss) leaves these gradients alone.
    std::weak_ptr<autograd::Node> pending_node;
    std::uint64_t hook_id = 0;
    bool hooked = false;
    ~DdpState();
    void average_gradients();
};

class DistributedDataParallel : public Module {
public:
    // Wraps a handle to `module` (sharing its parameters, as register_module does).
    template <class M>
    explicit DistributedDataParallel(const M& module, DistributedDataParallelOptions options = {})
        : DistributedDataParallel(options) {
        wrap(register_module("module", module));
    }
    DistributedDataParallel(const DistributedDataParallel&) = default;  // a handle: shares the sync state
    DistributedDataParallel& operator=(const DistributedDataParallel&) = default;

    // Rank 0's buffers (if broadcast_buffers), then the wrapped module's forward; in grad mode
    // the next backward() averages the gradients (unless inside no_sync()).
    Tensor forward(const Tensor& input) override;
    // The wrapped module, as ddp.module.
    Module& module() const { return *state_->module; }

    // Gradient accumulation: backward() inside a no_sync scope keeps the gradients local; the
    // first backward after it averages everything accumulated.
    //   { auto guard = model.no_sync(); cross_entropy(model(x1), y1).backward(); }
    //   cross_entropy(model(x2), y2).backward();   // averages the sum of both
    class NoSyncGuard {
    public:
        ~NoSyncGuard() { state_->require_sync = previous_; }
        NoSyncGuard(const NoSyncGuard&) = delete;
        NoSyncGuard& operator=(const NoSyncGuard&) = delete;

    private:
        friend class DistributedDataParallel;
        explicit NoSyncGuard(std::shared_ptr<DdpState> state);
        std::shared_ptr<DdpState> state_;
        bool previous_;
    };
    [[nodiscard]] NoSyncGuard no_sync() { return NoSyncGuard(state_); }

    std::string name() const override { return "DistributedDataParallel"; }

private:
    explicit DistributedDataParallel(DistributedDataParallelOptions options);
    void wrap(Module& module);  // the checks, rank 0's weights, the hook
    std::shared_ptr<DdpState> state_;
};

inline DistributedDataParallel::NoSyncGuard::NoSyncGuard(std::shared_ptr<DdpState> state)
    : state_(std::move(state)), previous_(state_->require_sync) {
    state_->require_sync = false;
}

}  // namespace xg::nn::parallel
