// optim::Optimizer: the base of SGD, Adam and AdamW. It holds the parameters (Tensor handles
// shared with the model), the learning rate, and per-parameter state that save()/load()
// write to a safetensors file so training resumes exactly where it stopped.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/tensor.hpp"

namespace xg::optim {

class Optimizer {
public:
    explicit Optimizer(std::vector<Tensor> params, double lr);
    virtual ~Optimizer() = default;

    // One update of every parameter that has a gradient; parameters without one are skipped.
    // Updates write the parameters' values in place and are never recorded on the tape.
    virtual void step() = 0;
    void zero_grad();  // clears the grads (PyTorch's set_to_none=True)

    double lr() const { return lr_; }
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
    };
    virtual State state() const = 0;
    virtual void set_state(const State& s) = 0;
    virtual std::string kind() const = 0;
    static void check_hyper(bool ok, const std::string& what);

    std::vector<Tensor> params_;
    double lr_;
};

// Rescales every gradient so their total norm is at most max_norm (norm_type 2, or infinity),
// as torch.nn.utils.clip_grad_norm_; returns the total norm before clipping.
double clip_grad_norm_(const std::vector<Tensor>& params, double max_norm, double norm_type = 2.0);

}  // namespace xg::optim
