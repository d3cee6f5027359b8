// Hooks that run when backward() finishes: the tape's one extension point for code that acts on
// all the gradients at once, as DistributedDataParallel averaging them across processes (the
// callback PyTorch's DDP queues on its autograd engine). Implemented in core/autograd.cpp.
#pragma once

#include <cstdint>
#include <functional>

namespace xg::autograd {

// `hook` runs after every backward() (in any thread) has delivered all its gradients, until
// remove_backward_end_hook(id). Not after grad(), which leaves .grad alone, nor after a backward
// that threw. A hook may throw: backward() then throws it, the gradients already in place. With no
// hook registered, backward pays one relaxed atomic load.
std::uint64_t register_backward_end_hook(std::function<void()> hook);
void remove_backward_end_hook(std::uint64_t id);

}  // namespace xg::autograd
