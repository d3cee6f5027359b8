// optim::Adagrad: torch.optim.Adagrad's rule (PyTorch 1.13, _single_tensor_adagrad), operation by
// operation, with its defaults (lr 1e-2, eps 1e-10). As in PyTorch, every parameter's state (step
// 0, sum = initial_accumulator_value) exists from construction, so state_dict() has it at once.
#pragma once

#include <optional>

#include "optim/optimizer.hpp"

namespace xg::optim {

struct AdagradOptions {
    double lr = 1e-2;
    double lr_decay = 0.0;
    double weight_decay = 0.0;
    double initial_accumulator_value = 0.0;
    double eps = 1e-10;
    bool maximize = false;
};

// What one parameter group changes; an unset field is the optimizer's default.
struct AdagradGroupOptions {
    std::optional<double> lr = {};
    std::optional<double> lr_decay = {};
    std::optional<double> weight_decay = {};
    std::optional<double> initial_accumulator_value = {};
    std::optional<double> eps = {};
    std::optional<bool> maximize = {};
};

// t += 1;  g = ±grad + weight_decay·p;  clr = lr / (1 + (t - 1)·lr_decay);
// sum = sum + g²;  p = p - clr · g / (√sum + eps)
class Adagrad : public OptimizerWith<AdagradOptions, AdagradGroupOptions> {
public:
    Adagrad(std::vector<Tensor> params, AdagradOptions options = {});
    Adagrad(std::vector<Tensor> params, LearningRate lr) : Adagrad(std::move(params), AdagradOptions{.lr = lr.value}) {}
    Adagrad(std::vector<GroupSpec> groups, AdagradOptions defaults = {});
    Adagrad(std::vector<GroupSpec> groups, LearningRate lr)
        : Adagrad(std::move(groups), AdagradOptions{.lr = lr.value}) {}
    void step() override;
    std::string kind() const override { return "Adagrad"; }

private:
    std::vector<Hyperparameter> fields(AdagradOptions& o) const override;
    AdagradOptions merge(const AdagradGroupOptions& overrides, AdagradOptions o) const override;
    void check_options(const AdagradOptions& o) const override;
    std::vector<std::string> state_names(const AdagradOptions&) const override { return {"sum"}; }
    void on_group_added(std::size_t group) override;
};

}  // namespace xg::optim
