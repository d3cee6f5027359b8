#!/usr/bin/python3
# The PyTorch twin of examples/char_lm.cpp (with char_lm_data.hpp and char_lm_model.hpp): a
# character-level language model in the spirit of Karpathy's makemore, trained on Debian's word
# list, that invents new words. The same data pipeline (word list, split, batches, all drawn from
# splitmix64 so both twins see the same words in the same order), the same three models with the
# same parameter names, AdamW with warm-up and cosine decay, clipping at 1.0, and the same sampler.
# Only the initial weights differ (torch's generator is not xgrad's; the distributions are the same).
#   /usr/bin/python3 examples/pytorch/char_lm.py --model transformer [--steps N] [--threads 2] ...
import argparse
import math
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from common import load_safetensors, save_safetensors

# ---- data: the twin of examples/char_lm_data.hpp ----

SPLIT_KEY = 2003  # the split is fixed (not --seed): every run validates on the same words
SAMPLE_KEY = 0x5EED  # xor-ed with --seed for the sampler's draws
MASK64 = (1 << 64) - 1


def splitmix64(key, k):
    """Draw k of splitmix64 seeded with key: mix(key + (k + 1)·γ), as C++'s (Python ints, wrapped to 64 bits)."""
    z = (key + (k + 1) * 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def uniform(key, k):
    """A double in [0, 1) from the top 53 bits of draw k."""
    return (splitmix64(key, k) >> 11) * 2.0**-53


class Words:
    """The word list: lower-cased (ASCII only, as C++'s), only words of a-z, each once, in file
    order; then split 90/10 by a seeded Fisher-Yates shuffle. Token 0 is '.', the start and end of
    every word; 'a'..'z' are 1..26."""

    def __init__(self, path):
        try:
            with open(path, "rb") as f:
                lines = f.read().split(b"\n")
        except OSError as e:
            raise FileNotFoundError(f"word list '{path}' cannot be read ({e.strerror}); "
                                    "apt-get install wamerican installs /usr/share/dict/american-english")
        seen, words = set(), []
        for line in lines:
            w = (line[:-1] if line.endswith(b"\r") else line).lower()
            if w and all(97 <= c <= 122 for c in w) and w not in seen:
                seen.add(w)
                words.append(w.decode())
        if len(words) < 10:
            raise ValueError(f"word list '{path}' has {len(words)} words of the letters a-z; "
                             "the 90/10 split needs at least 10")
        for i in range(len(words) - 1, 0, -1):  # Fisher-Yates: draw n-1-i picks the word for place i
            j = splitmix64(SPLIT_KEY, len(words) - 1 - i) % (i + 1)
            words[i], words[j] = words[j], words[i]
        n_val = len(words) // 10
        self.val, self.train = words[:n_val], words[n_val:]
        self.max_length = max(len(w) for w in words)
        self.train_set = set(self.train)


def encode(word):
    return [ord(c) - 96 for c in word]


def sequence_batch(words):
    """x [B, T] = '.' + word, y [B, T] = word + '.', T = the longest word + 1; after each word
    y is -1 (ignored by the loss) and x is '.' (never seen by a real target: the models are causal)."""
    T = max(len(w) for w in words) + 1
    x = torch.zeros(len(words), T)
    y = torch.full((len(words), T), -1.0)
    for b, w in enumerate(words):
        t = torch.tensor(encode(w), dtype=torch.float32)
        x[b, 1:len(w) + 1] = t
        y[b, :len(w)] = t
        y[b, len(w)] = 0
    return x.long(), y.long()


def window_batch(words, block_size):
    """One row per target character of every word (its letters, then '.'): x [M, block_size] the
    block_size characters before it ('.' before the word's start), y [M] the character."""
    xs, ys = [], []
    for w in words:
        seq = [0] * block_size + encode(w) + [0]
        for t in range(len(w) + 1):
            xs.append(seq[t:t + block_size])
            ys.append(seq[t + block_size])
    return torch.tensor(xs), torch.tensor(ys)


def batch_words(train, step, batch_size, seed):
    """The step's batch_size training words, drawn with replacement (makemore's InfiniteDataLoader)."""
    return [train[splitmix64(seed, step * batch_size + b) % len(train)] for b in range(batch_size)]


# ---- models: the twin of examples/char_lm_model.hpp ----

class LMConfig:
    """The sizes of a model, as LMConfig::defaults in C++: block_size is the MLP's context, or the
    longest word + 1 for the LSTM and the transformer (the rows of its position table)."""

    def __init__(self, model, block_size):
        self.vocab_size, self.block_size = 27, block_size
        if model == "mlp":
            self.n_embd, self.n_hidden = 16, 384
        elif model == "lstm":
            self.n_embd, self.n_hidden = 32, 256
        else:
            self.n_embd, self.n_layer, self.n_head = 64, 4, 4


def mlp_lm(c):
    """x [N, block_size] -> logits [N, 27]: Bengio et al. 2003, the context's vectors side by side, one tanh layer."""
    return nn.Sequential(nn.Embedding(c.vocab_size, c.n_embd), nn.Flatten(),
                         nn.Linear(c.block_size * c.n_embd, c.n_hidden), nn.Tanh(),
                         nn.Linear(c.n_hidden, c.vocab_size))


class LstmLM(nn.Module):
    """idx [B, T] -> logits [B, T, 27]: the LSTM's state after characters 0..t predicts character t + 1."""

    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c.vocab_size, c.n_embd)
        self.lstm = nn.LSTM(c.n_embd, c.n_hidden, batch_first=True)
        self.lm_head = nn.Linear(c.n_hidden, c.vocab_size)

    def forward(self, idx):
        out, _ = self.lstm(self.wte(idx))
        return self.lm_head(out)


class CausalSelfAttention(nn.Module):
    """x [B, T, E] -> [B, T, E]: each position reads the positions up to itself, in n_head heads.
    Written out (torch 1.13 has no scaled_dot_product_attention), with the same mask as C++'s."""

    def __init__(self, c):
        super().__init__()
        self.n_head = c.n_head
        self.c_attn = nn.Linear(c.n_embd, 3 * c.n_embd)
        self.c_proj = nn.Linear(c.n_embd, c.n_embd)

    def forward(self, x):
        B, T, E = x.shape
        q, k, v = self.c_attn(x).split(E, dim=2)
        q, k, v = (t.reshape(B, T, self.n_head, E // self.n_head).transpose(1, 2) for t in (q, k, v))
        att = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(E // self.n_head))
        future = torch.triu(torch.ones(T, T), 1)
        att = att.masked_fill(future == 1, float("-inf")).softmax(-1)
        return self.c_proj((att @ v).transpose(1, 2).reshape(B, T, E))


class Block(nn.Module):
    """Pre-norm: x + attn(ln_1(x)), then x + mlp(ln_2(x))."""

    def __init__(self, c):
        super().__init__()
        self.ln_1 = nn.LayerNorm(c.n_embd)
        self.attn = CausalSelfAttention(c)
        self.ln_2 = nn.LayerNorm(c.n_embd)
        self.mlp = nn.Sequential(nn.Linear(c.n_embd, 4 * c.n_embd), nn.GELU(), nn.Linear(4 * c.n_embd, c.n_embd))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TransformerLM(nn.Module):
    """idx [B, T] -> logits [B, T, 27]: token + position embeddings, n_layer Blocks, ln_f, lm_head."""

    def __init__(self, c):
        super().__init__()
        self.wte = nn.Embedding(c.vocab_size, c.n_embd)
        self.wpe = nn.Embedding(c.block_size, c.n_embd)
        self.h = nn.ModuleList([Block(c) for _ in range(c.n_layer)])
        self.ln_f = nn.LayerNorm(c.n_embd)
        self.lm_head = nn.Linear(c.n_embd, c.vocab_size)

    def forward(self, idx):
        x = self.wte(idx) + self.wpe(torch.arange(idx.shape[1]))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


# ---- training: the twin of examples/char_lm.cpp ----

DEFAULTS = {  # model: (steps, batch size, learning rate)
    "mlp": (8000, 64, 3e-3),
    "lstm": (5000, 32, 3e-3),
    "transformer": (5000, 32, 5e-3),
}


def lr_factor(step, steps):
    """LambdaLR's factor: linear warm-up over the first 5% of the steps, then a cosine down to 0."""
    warmup = max(1, steps // 20)
    if step < warmup:
        return (step + 1) / warmup
    return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup)))


def make_batch(args, words):
    return window_batch(words, args.block_size) if args.model == "mlp" else sequence_batch(words)


@torch.no_grad()
def evaluate(model, args, words, batch_size=512):
    model.eval()
    total, count = 0.0, 0
    for i in range(0, len(words), batch_size):
        x, y = make_batch(args, words[i:i + batch_size])
        logits = model(x)
        total += F.cross_entropy(logits.reshape(-1, 27), y.reshape(-1), ignore_index=-1, reduction="sum").item()
        count += int((y != -1).sum())
    model.train()
    return total / count


@torch.no_grad()
def sample(model, args, max_length, n):
    if n == 0:
        return []
    model.eval()
    rows = [[0] for _ in range(n)]
    done = [False] * n
    draw = 0
    for _ in range(max_length + 1):
        if args.model == "mlp":
            x = torch.tensor([([0] * args.block_size + r)[-args.block_size:] for r in rows])
            logits = model(x)
        else:
            logits = model(torch.tensor(rows))[:, -1, :]
        probs = F.softmax(logits / args.temperature, dim=-1).double().numpy()
        for b in range(n):
            u = uniform(args.seed ^ SAMPLE_KEY, draw)
            draw += 1
            c = int(np.searchsorted(np.cumsum(probs[b]), u, side="right"))
            c = min(c, 26)
            rows[b].append(0 if done[b] else c)
            done[b] = done[b] or c == 0
    words = []
    for r in rows:
        w = r[1:]
        w = w[:w.index(0)] if 0 in w else w[:max_length]
        words.append("".join(chr(96 + c) for c in w))
    return words


def main():
    p = argparse.ArgumentParser(description="Train a character-level language model on a word list, then invent words.")
    p.add_argument("--model", choices=["mlp", "lstm", "transformer"], default="transformer")
    p.add_argument("--steps", type=int, help="training steps (default: the model's); 0 with --load evaluates and samples")
    p.add_argument("--batch-size", type=int, help="words per step (default: the model's)")
    p.add_argument("--lr", type=float, help="peak learning rate of AdamW (default: the model's)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--samples", type=int, default=20)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--words", default="/usr/share/dict/american-english")
    p.add_argument("--save", metavar="FILE", help="write the trained weights to FILE (safetensors, as xgrad's nn::save)")
    p.add_argument("--load", metavar="FILE", help="start from the weights in FILE (safetensors, e.g. written by the C++ twin)")
    p.add_argument("--quiet", action="store_true")
    args = p.parse_args()
    if not 1e-3 <= args.temperature <= 1e3:  # as the C++ twin's CLI::Range
        p.error(f"--temperature: {args.temperature} not in [0.001 - 1000]")
    for flag in ("steps", "batch_size", "lr", "threads"):
        value = getattr(args, flag)
        if value is not None and (value <= 0 if flag != "steps" else value < 0):
            p.error(f"--{flag.replace('_', '-')}: {value} is not allowed")
    steps, batch_size, lr = DEFAULTS[args.model]
    args.steps = steps if args.steps is None else args.steps
    args.batch_size = batch_size if args.batch_size is None else args.batch_size
    args.lr = lr if args.lr is None else args.lr
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)

    try:
        words = Words(args.words)
    except (OSError, ValueError) as e:
        print(f"char_lm: {e}", file=sys.stderr)
        sys.exit(2)
    print(f"data: {args.words}: {len(words.train)} training and {len(words.val)} validation words, "
          f"the longest {words.max_length} letters")
    args.block_size = 8 if args.model == "mlp" else words.max_length + 1
    c = LMConfig(args.model, args.block_size)
    model = mlp_lm(c) if args.model == "mlp" else LstmLM(c) if args.model == "lstm" else TransformerLM(c)
    if args.load:
        model.load_state_dict(load_safetensors(args.load))
    print(f"model: {args.model}, {sum(p.numel() for p in model.parameters())} parameters")

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.99), weight_decay=0.01)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_factor(s, args.steps))
    start, running = time.perf_counter(), []
    for step in range(args.steps):
        x, y = make_batch(args, batch_words(words.train, step, args.batch_size, args.seed))
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, 27), y.reshape(-1), ignore_index=-1)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        running = (running + [loss.item()])[-100:]
        if not args.quiet and ((step + 1) % max(1, args.steps // 10) == 0 or step + 1 == args.steps):
            print(f"step {step + 1}/{args.steps}: loss {sum(running) / len(running):.4f}, "
                  f"{time.perf_counter() - start:.1f} s", flush=True)
    seconds = time.perf_counter() - start
    train_loss = evaluate(model, args, words.train[:len(words.val)])  # as many words as validation has
    val_loss = evaluate(model, args, words.val)
    print(f"train loss {train_loss:.4f}, val loss {val_loss:.4f} (nats per character), "
          f"trained in {seconds:.1f} s")
    if args.save:
        save_safetensors(model.state_dict(), args.save)
        print(f"saved the weights to {args.save}")
    val_set = set(words.val)
    for w in sample(model, args, words.max_length, args.samples):
        print(w + ("" if w in words.train_set else "  (new; a real word it never saw)" if w in val_set else "  (new)"))


if __name__ == "__main__":
    main()
