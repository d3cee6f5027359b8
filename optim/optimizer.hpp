// optim::Optimizer: the base of SGD, Adam and AdamW. It holds the parameters (Tensor handles
// shared with the model) and gives access to the learning rate, which lives once, in the
// subclass's options; save()/load() write the per-parameter state to a safetensors file so
// training resumes exactly where it stopped.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.hpp"

namespace xg::optim {

class Optimizer {
public:
    explicit Optimizer(std::vector<Tensor> params);
    virtual ~Optimizer() = default;

    // One update of every parameter that has a gradient; parameters without one are skipped.
    // Updates write the parameters' values in place and are never recorded on the tape.
    virtual void step() = 0;
    void zero_grad();  // clears the grads (PyTorch's set_to_none=True)

    // The learning rate every step uses and save() writes: options().lr, the only copy (PyTorch
    // keeps it with the other hyperparameters in param_groups[0]['lr']). Schedulers go through set_lr.
    double lr() const { return lr_ref(); }
    void set_lr(double lr);
    const std::vector<Tensor>& params() const { return params_; }

    // State as named arrays ("3.exp_avg": state of parameter 3) plus text metadata (step counts,
    // hyperparameters). load() checks the optimizer kind and every shape before changing anything.
    void save(const std::string& path) const;
    void load(const std::string& path);

protected:
    struct State {
        std::map<std::string, Array> tensors;
        std::map<std::string, std::string> metadata;
        std::string origin;  // the file it was loaded from, for error messages
    };
    virtual State state() const = 0;
    virtual void set_state(const State& s) = 0;  // all or nothing: throws before changing anything
    virtual std::string kind() const = 0;
    // The subclass's options().lr. A reference, not a copy, so there is nothing to keep in sync.
    virtual const double& lr_ref() const = 0;
    double& lr_ref() { return const_cast<double&>(std::as_const(*this).lr_ref()); }
    static void check_hyper(bool ok, const std::string& what);
    static void check_lr(double lr);

    std::vector<Tensor> params_;
};

// Rescales every gradient so their total norm is at most max_norm (norm_type 2, or infinity),
// as torch.nn.utils.clip_grad_norm_; returns the total norm before clipping.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);

}  // namespace xg::optim
