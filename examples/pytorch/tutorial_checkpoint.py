#!/usr/bin/python3
# The PyTorch script that examples/tutorial_checkpoint.cpp ports line for line: a module with its
# own forward, a layer kept frozen for the first epoch, no weight decay on biases (parameter
# groups), gradient accumulation, a linear warm-up, keeping the best weights, and one checkpoint
# holding model, optimizer, scheduler, epoch and random state, from which --resume continues.
#   /usr/bin/python3 examples/pytorch/tutorial_checkpoint.py [--epochs 3] [--resume] ...
import argparse
import copy

import torch
from torch import nn
from torch.utils.data import DataLoader

from common import MNIST, save_safetensors


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 256), nn.ReLU(), nn.Dropout(0.2))
        self.head = nn.Linear(256, 10)

    def forward(self, x):
        return self.head(self.features(x))


def accuracy(model, loader):
    model.eval()
    with torch.no_grad():
        correct = 0
        for x, y in loader:
            correct += (model(x).argmax(1) == y).sum().item()
    return correct / len(loader.dataset)


def main():
    p = argparse.ArgumentParser(description="Frozen layer, parameter groups, gradient accumulation, warm-up, best model and exact resume.",
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--data", default="/usr/share/datasets/fashion-mnist", help="folder with the four Fashion-MNIST IDX files")
    p.add_argument("--epochs", type=int, default=3, help="train until this many epochs are done")
    p.add_argument("--micro-batch", type=int, default=16, help="examples per backward pass")
    p.add_argument("--accumulate", type=int, default=4, help="backward passes per optimizer step")
    p.add_argument("--warmup", type=int, default=200, help="optimizer steps of linear warm-up")
    p.add_argument("--seed", type=int, default=0, help="manual_seed for the initial weights, dropout and shuffling")
    p.add_argument("--checkpoint", default="checkpoint.pt", help="the run's checkpoint, written after every epoch")
    p.add_argument("--resume", action="store_true", help="continue the run saved in --checkpoint")
    p.add_argument("--save", help="write the best model's weights to FILE (safetensors)")
    args = p.parse_args()
    torch.manual_seed(args.seed)

    train_loader = DataLoader(MNIST(args.data, True), batch_size=args.micro_batch, shuffle=True)
    test_loader = DataLoader(MNIST(args.data, False), batch_size=1000)
    model = Classifier()
    loss_fn = nn.CrossEntropyLoss()

    # No weight decay on biases: two parameter groups.
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (no_decay if name.endswith("bias") else decay).append(p)
    optimizer = torch.optim.AdamW([{"params": decay}, {"params": no_decay, "weight_decay": 0.0}], lr=1e-3, weight_decay=0.05)
    # Warm-up: the lr climbs from a tenth to its full value over the first `warmup` steps.
    scheduler = torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=args.warmup)

    start_epoch = 0
    best_accuracy = 0
    if args.resume:
        ckpt = torch.load(args.checkpoint)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        start_epoch = ckpt["epoch"]
        best_accuracy = ckpt["best_accuracy"]
        torch.set_rng_state(ckpt["rng_state"])
        print(f"resumed from {args.checkpoint} after epoch {start_epoch}")
    # The best weights so far: a snapshot (state_dict() shares the model's values; deepcopy copies them).
    best_state = ckpt["best"] if args.resume else copy.deepcopy(model.state_dict())

    for epoch in range(start_epoch, args.epochs):
        # The first Linear stays as initialised for one epoch while the head settles.
        model.features.requires_grad_(epoch >= 1)
        model.train()
        total = 0
        micro_step = 0
        for x, y in train_loader:
            loss = loss_fn(model(x), y) / args.accumulate
            loss.backward()  # gradients add up over `accumulate` micro-batches
            total += loss.item()
            micro_step += 1
            if micro_step % args.accumulate == 0:
                optimizer.step()
                optimizer.zero_grad()
                scheduler.step()
        optimizer.zero_grad()  # a last partial accumulation is dropped, as in the C++
        acc = accuracy(model, test_loader)
        print(f"epoch {epoch + 1}  train loss {total * args.accumulate / micro_step:.4f}  "
              f"test accuracy {100 * acc:.2f}%  lr {scheduler.get_last_lr()[0]:.6f}")
        if acc > best_accuracy:
            best_accuracy = acc
            best_state = copy.deepcopy(model.state_dict())
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(), "best": best_state, "epoch": epoch + 1,
                    "best_accuracy": best_accuracy, "rng_state": torch.get_rng_state()}, args.checkpoint)
    best = copy.deepcopy(model)  # a deep copy with its own parameters, not a second handle
    best.load_state_dict(best_state)
    print(f"best test accuracy {100 * best_accuracy:.2f}% (the best model scores {100 * accuracy(best, test_loader):.2f}%)")
    if args.save:
        save_safetensors(best.state_dict(), args.save)


if __name__ == "__main__":
    main()
