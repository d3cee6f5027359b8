// DistributedDataParallel: the construction checks, rank 0's weights, buffer broadcast before
// forward, and the gradient averaging the backward-end hook runs.
#include "distributed/data_parallel.hpp"

#include <algorithm>
#include <sstream>

#include "core/autograd.hpp"
#include "core/error.hpp"

namespace xg::nn::parallel {

namespace dist = xg::distributed;

namespace {

// One line per parameter and buffer, "parameter fc1.weight [128, 784]": what every rank must agree on.
std::vector<std::string> layout_lines(const Module& m) {
    std::vector<std::string> lines;
    for (const auto& [name, p] : m.named_parameters())
        lines.push_back("parameter '" + name + "' " + shape_str(p.shape()));
    for (const auto& [name, b] : m.named_buffers()) lines.push_back("buffer '" + name + "' " + shape_str(b.shape()));
    return lines;
}

std::string join(const std::vector<std::string>& lines) {
    std::string out;
    for (const std::string& l : lines) out += l + "\n";
    return out;
}

std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
    return lines;
}

// Index of the first line where `mine` differs from `theirs`, or -1 if they are the same.
std::int64_t first_difference(const std::vector<std::string>& mine, const std::vector<std::string>& theirs) {
    for (std::size_t i = 0; i < std::max(mine.size(), theirs.size()); ++i)
        if (i >= mine.size() || i >= theirs.size() || mine[i] != theirs[i]) return static_cast<std::int64_t>(i);
    return -1;
}

// Every rank compares its layout with rank 0's; if some rank differs, every rank learns the first
// such rank's differing line (a second broadcast, from that rank) and throws the same Error.
void check_same_layout(const Module& m) {
    const char* who = "DistributedDataParallel";
    const std::vector<std::string> mine = layout_lines(m);
    const std::vector<std::string> rank0 = split_lines(dist::detail::broadcast_text(join(mine), 0, who));
    const std::vector<std::int64_t> diffs = dist::detail::all_gather_int(first_difference(mine, rank0), who);
    for (std::size_t r = 0; r < diffs.size(); ++r) {
        if (diffs[r] < 0) continue;
        const std::vector<std::string> theirs = split_lines(dist::detail::broadcast_text(join(mine), int(r), who));
        const auto i = static_cast<std::size_t>(diffs[r]);
        const std::string rank = "rank " + std::to_string(r);
        std::string what;
        if (i >= theirs.size()) what = rank + " has no " + rank0[i] + ", which rank 0 has";
        else if (i >= rank0.size()) what = rank + " has " + theirs[i] + ", which rank 0 doesn't have";
        else what = rank + " has " + theirs[i] + " where rank 0 has " + rank0[i];
        throw Error(std::string(who) + ": every rank must hold the same model, but " + what + " (" +
                    std::to_string(theirs.size()) + " parameters and buffers on " + rank + ", " +
                    std::to_string(rank0.size()) + " on rank 0)");
    }
}

// Copies rank 0's values of `tensors` to every rank, in one broadcast.
void broadcast_from_rank0(const std::vector<Tensor>& tensors, const char* who) {
    std::size_t total = 0;
    for (const Tensor& t : tensors) total += t.numel();
    if (total == 0) return;
    std::vector<float> flat;
    flat.reserve(total);
    for (const Tensor& t : tensors) flat.insert(flat.end(), t.data().data(), t.data().data() + t.numel());
    dist::detail::broadcast(flat.data(), flat.size(), 0, who);
    std::size_t at = 0;
    for (Tensor t : tensors) {
        std::copy(flat.begin() + std::ptrdiff_t(at), flat.begin() + std::ptrdiff_t(at + t.numel()), t.data().data());
        at += t.numel();
    }
}

// All-reduces the gradients of `params` as one flat buffer followed by one flag per parameter
// (1 where this rank has a gradient), then sets each gradient some rank had to the mean.
void average_bucket(const std::vector<Tensor>& params) {
    std::size_t total = 0;
    for (const Tensor& p : params) total += p.numel();
    std::vector<float> flat(total + params.size(), 0.0f);
    std::size_t at = 0;
    for (std::size_t i = 0; i < params.size(); ++i) {
        const Tensor g = params[i].grad();
        if (g.defined()) {
            std::copy(g.data().data(), g.data().data() + g.numel(), flat.begin() + std::ptrdiff_t(at));
            flat[total + i] = 1.0f;
        }
        at += params[i].numel();
    }
    dist::detail::all_reduce(flat.data(), flat.size(), dist::ReduceOp::sum, "DistributedDataParallel (gradients)");
    const float ranks = static_cast<float>(dist::get_world_size());
    at = 0;
    for (std::size_t i = 0; i < params.size(); ++i) {
        Tensor p = params[i];
        const std::size_t n = p.numel();
        if (flat[total + i] > 0.0f) {
            if (!p.grad().defined()) p.mutable_grad() = Tensor::zeros(p.shape());
            float* g = p.grad().data().data();
            for (std::size_t k = 0; k < n; ++k) g[k] = flat[at + k] / ranks;
        }
        at += n;
    }
}

}  // namespace

DistributedDataParallel::DistributedDataParallel(DistributedDataParallelOptions options)
    : state_(std::make_shared<DdpState>()) {
    if (!(options.bucket_cap_mb > 0.0))
        throw Error("DistributedDataParallel: bucket_cap_mb must be positive, got " +
                    std::to_string(options.bucket_cap_mb));
    state_->options = options;
}

void DistributedDataParallel::wrap(Module& module) {
    dist::detail::require_initialized("DistributedDataParallel");
    state_->module = &module;
    if (dist::get_world_size() > 1) {
        check_same_layout(module);
        std::vector<Tensor> state = module.parameters();
        for (const Tensor& b : module.buffers()) state.push_back(b);
        broadcast_from_rank0(state, "DistributedDataParallel (rank 0's parameters and buffers)");
    }
    std::weak_ptr<DdpState> weak = state_;
    state_->hook_id = autograd::register_backward_end_hook([weak] {
        if (auto s = weak.lock()) s->average_gradients();
    });
    state_->hooked = true;
}

Tensor DistributedDataParallel::forward(const Tensor& input) {
    // As PyTorch: buffers are synced, and a sync is owed, only in grad mode outside no_sync().
    const bool sync = autograd::is_grad_enabled() && state_->require_sync;
    if (sync && state_->options.broadcast_buffers && dist::get_world_size() > 1)
        broadcast_from_rank0(state_->module->buffers(), "DistributedDataParallel (rank 0's buffers)");
    Tensor out = (*state_->module)(input);
    state_->sync_pending = sync && out.grad_fn() != nullptr;
    state_->pending_node = out.grad_fn();
    return out;
}

DdpState::~DdpState() {
    if (hooked) autograd::remove_backward_end_hook(hook_id);
}

void DdpState::average_gradients() {
    if (!sync_pending) return;
    if (const auto node = pending_node.lock(); node && !node->released) return;  // not this graph's backward
    sync_pending = false;
    if (dist::get_world_size() == 1) return;
    // Buckets in reverse registration order, as PyTorch's (the order backward produces them).
    std::vector<Tensor> params;
    for (const Tensor& p : module->parameters())
        if (p.requires_grad()) params.push_back(p);
    const auto cap = static_cast<std::size_t>(options.bucket_cap_mb * 1024 * 1024 / sizeof(float));
    std::vector<Tensor> bucket;
    std::size_t filled = 0;
    for (auto it = params.rbegin(); it != params.rend(); ++it) {
        if (!bucket.empty() && filled + it->numel() > cap) {
            average_bucket(bucket);
            bucket.clear();
            filled = 0;
        }
        bucket.push_back(*it);
        filled += it->numel();
    }
    if (!bucket.empty()) average_bucket(bucket);
}

}  // namespace xg::nn::parallel
