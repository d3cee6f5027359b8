#!/usr/bin/python3
"""PyTorch's numbers for xgrad's optimizer and scheduler tests (tests/test_optim.cpp,
tests/test_lr_scheduler.cpp). Run with Debian's python3-torch (1.13):

    /usr/bin/python3 tests/reference/make_optim_reference.py

Writes optim.txt, one check per line: a name, then numbers (parameters as %.9g: they are
float32; learning rates and momenta as %.17g: they are Python floats, which xgrad's schedulers
reproduce in double). The output is committed; the tests never need PyTorch.
"""
import math
import os

import torch

torch.set_default_dtype(torch.float32)
here = os.path.dirname(os.path.abspath(__file__))
lines = []


def emit(name, values, fmt="%.9g"):
    flat = torch.as_tensor(values, dtype=torch.float64).flatten().tolist()
    lines.append(name + " " + " ".join(fmt % v for v in flat))


# ---- optimizers: 5 steps on a fixed least-squares problem (the one of make_reference.py) ----
X = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5], [-1.0, 1.0, 0.75], [0.0, -0.5, 1.25]])
Y = torch.tensor([[1.0, -1.0], [0.5, 2.0], [-1.5, 0.0], [0.25, 0.75]])
W0 = torch.tensor([[0.1, -0.2, 0.3], [-0.4, 0.5, -0.6]])
B0 = torch.tensor([0.05, -0.05])


def problem():
    return W0.clone().requires_grad_(True), B0.clone().requires_grad_(True)


def loss_of(w, b):
    return ((X @ w.t() + b - Y) ** 2).mean()


O = torch.optim
configs = {
    "sgd": lambda w, b: O.SGD([w, b], lr=0.1),
    "sgd_momentum": lambda w, b: O.SGD([w, b], lr=0.1, momentum=0.9),
    "sgd_dampening": lambda w, b: O.SGD([w, b], lr=0.1, momentum=0.9, dampening=0.5),
    "sgd_nesterov": lambda w, b: O.SGD([w, b], lr=0.1, momentum=0.9, nesterov=True),
    "sgd_weight_decay": lambda w, b: O.SGD([w, b], lr=0.1, momentum=0.9, weight_decay=0.01),
    "sgd_maximize": lambda w, b: O.SGD([w, b], lr=0.01, momentum=0.5, maximize=True),
    "adam": lambda w, b: O.Adam([w, b], lr=0.01),
    "adam_weight_decay": lambda w, b: O.Adam([w, b], lr=0.01, weight_decay=0.1),
    "adam_amsgrad": lambda w, b: O.Adam([w, b], lr=0.01, amsgrad=True, betas=(0.8, 0.9)),
    "adamw": lambda w, b: O.AdamW([w, b], lr=0.01),
    "adamw_amsgrad": lambda w, b: O.AdamW([w, b], lr=0.01, weight_decay=0.1, amsgrad=True),
    "rmsprop": lambda w, b: O.RMSprop([w, b]),
    "rmsprop_alpha_eps": lambda w, b: O.RMSprop([w, b], lr=0.02, alpha=0.9, eps=1e-3),
    "rmsprop_weight_decay": lambda w, b: O.RMSprop([w, b], lr=0.01, weight_decay=0.1),
    "rmsprop_momentum": lambda w, b: O.RMSprop([w, b], lr=0.01, momentum=0.9),
    "rmsprop_centered": lambda w, b: O.RMSprop([w, b], lr=0.01, centered=True),
    "rmsprop_all": lambda w, b: O.RMSprop([w, b], lr=0.005, alpha=0.95, weight_decay=0.05, momentum=0.5,
                                          centered=True),
    "rmsprop_maximize": lambda w, b: O.RMSprop([w, b], lr=0.01, momentum=0.3, maximize=True),
    "adagrad": lambda w, b: O.Adagrad([w, b], lr=0.1),
    "adagrad_lr_decay": lambda w, b: O.Adagrad([w, b], lr=0.1, lr_decay=0.5),
    "adagrad_weight_decay": lambda w, b: O.Adagrad([w, b], lr=0.1, weight_decay=0.2),
    "adagrad_initial_accumulator": lambda w, b: O.Adagrad([w, b], lr=0.1, initial_accumulator_value=0.5),
    "adagrad_eps": lambda w, b: O.Adagrad([w, b], lr=0.1, eps=0.1),
    "adagrad_maximize": lambda w, b: O.Adagrad([w, b], lr=0.05, lr_decay=0.1, maximize=True),
    # parameter groups: no decay on the bias; a smaller lr for the "pretrained" weight
    "groups_sgd": lambda w, b: O.SGD([{"params": [w]}, {"params": [b], "weight_decay": 0.0}],
                                     lr=0.1, momentum=0.9, weight_decay=0.05),
    "groups_adam": lambda w, b: O.Adam([{"params": [w], "lr": 0.001}, {"params": [b]}], lr=0.01,
                                       weight_decay=0.1),
    "groups_rmsprop": lambda w, b: O.RMSprop([{"params": [w], "centered": True}, {"params": [b], "momentum": 0.5}],
                                             lr=0.01),
    "groups_adagrad": lambda w, b: O.Adagrad([{"params": [w]}, {"params": [b], "lr": 0.5, "lr_decay": 0.1}], lr=0.1),
}
for name, make in configs.items():
    w, b = problem()
    opt = make(w, b)
    for step in range(1, 6):
        opt.zero_grad()
        loss_of(w, b).backward()
        opt.step()
        emit("optim/%s/step%d" % (name, step), torch.cat([w.detach().flatten(), b.detach()]))

# ---- schedulers: every group's lr after each of 30 scheduler steps (two groups, lr 0.1 and 0.02) ----
S = torch.optim.lr_scheduler


def sgd2():
    w, b = problem()
    return O.SGD([{"params": [w]}, {"params": [b], "lr": 0.02}], lr=0.1, momentum=0.9)


def adam2():
    w, b = problem()
    return O.Adam([{"params": [w]}, {"params": [b], "lr": 0.02}], lr=0.1, betas=(0.9, 0.99))


schedulers = {
    "steplr": (sgd2, lambda o: S.StepLR(o, step_size=3, gamma=0.5)),
    "multisteplr": (sgd2, lambda o: S.MultiStepLR(o, milestones=[5, 12, 12, 20], gamma=0.3)),
    "exponentiallr": (sgd2, lambda o: S.ExponentialLR(o, gamma=0.9)),
    "cosine": (sgd2, lambda o: S.CosineAnnealingLR(o, T_max=7, eta_min=0.001)),
    "lambdalr_one": (sgd2, lambda o: S.LambdaLR(o, lambda e: 0.95 ** e)),
    "lambdalr_each": (sgd2, lambda o: S.LambdaLR(o, [lambda e: 0.95 ** e, lambda e: 1.0 / (e + 1)])),
    "linearlr": (sgd2, lambda o: S.LinearLR(o)),
    "linearlr_custom": (sgd2, lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=10)),
    "onecycle": (sgd2, lambda o: S.OneCycleLR(o, max_lr=[1.0, 0.1], total_steps=30)),
    "onecycle_linear_three_phase": (adam2, lambda o: S.OneCycleLR(o, max_lr=0.5, epochs=5, steps_per_epoch=6,
                                                                  pct_start=0.25, anneal_strategy="linear",
                                                                  div_factor=10.0, final_div_factor=100.0,
                                                                  three_phase=True)),
    "sequentiallr": (sgd2, lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=4),
                                                        S.ExponentialLR(o, gamma=0.9)], milestones=[5])),
    "sequentiallr_three": (sgd2, lambda o: S.SequentialLR(o, [S.ExponentialLR(o, gamma=0.8), S.StepLR(o, 2, 0.5),
                                                              S.CosineAnnealingLR(o, T_max=6, eta_min=0.005)],
                                                          milestones=[4, 11])),
}
for name, (make_opt, make) in schedulers.items():
    opt = make_opt()
    sched = make(opt)
    lrs, momenta = [], []
    for _ in range(30):
        opt.step()
        sched.step()
        lrs += [g["lr"] for g in opt.param_groups]
        momenta += [g["momentum"] if "momentum" in g else g["betas"][0] for g in opt.param_groups]
    emit("sched/%s/lr" % name, lrs, "%.17g")
    if name.startswith("onecycle"):
        emit("sched/%s/momentum" % name, momenta, "%.17g")

# ReduceLROnPlateau: step(metric) with a fixed sequence of metrics
metrics = [1.0, 0.9, 0.85, 0.85, 0.86, 0.84, 0.9, 0.9, 0.9, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69999, 0.7, 0.7,
           0.7, 0.7, 0.7, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5]
emit("sched/plateau/metrics", metrics, "%.17g")
for name, make in {
    "plateau_min_rel": lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2, cooldown=1, min_lr=[0.01, 0.004]),
    "plateau_max_abs": lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=1, threshold=0.05,
                                                     threshold_mode="abs", eps=1e-4),
}.items():
    opt = sgd2()
    sched = make(opt)
    lrs = []
    for m in metrics:
        opt.step()
        sched.step(m)
        lrs += [g["lr"] for g in opt.param_groups]
    emit("sched/%s/lr" % name, lrs, "%.17g")

# ---- clip_grad_norm_: 2-norm, 3-norm and inf-norm ----
for name, norm_type in {"two": 2.0, "three": 3.0, "inf": math.inf}.items():
    w, b = problem()
    loss_of(w, b).backward()
    total = torch.nn.utils.clip_grad_norm_([w, b], max_norm=0.5, norm_type=norm_type)
    emit("clip/%s/total_norm" % name, [float(total)])
    emit("clip/%s/grads" % name, torch.cat([w.grad.flatten(), b.grad]))

with open(os.path.join(here, "optim.txt"), "w") as f:
    f.write("# made by make_optim_reference.py with torch %s; one check per line: name values...\n" % torch.__version__)
    f.write("\n".join(lines) + "\n")
