// char_lm's three language models, from the simplest to the one that works best, each mapping
// tokens to logits over the 27 characters (examples/char_lm_data.hpp has the tokens and batches):
//   mlp_lm         Bengio et al. 2003: the last block_size characters -> the next one (a Sequential)
//   LstmLM         an LSTM reads the word so far, its state predicts the next character
//   TransformerLM  decoder blocks of causal self-attention (Block, CausalSelfAttention), as GPT
// They follow Karpathy's makemore; examples/pytorch/char_lm.py defines the same models with the same
// parameter names (wte.weight, h.0.attn.c_attn.weight, ...), so --save in one loads with --load in the
// other. Every layer starts from PyTorch's default initialisation.
#pragma once

#include <cmath>
#include <cstddef>
#include <string>

#include <xgrad.hpp>

namespace examples {

using namespace xg;

// The sizes of a model. block_size is the longest input a model sees: the MLP's fixed context, or
// for the LSTM and the transformer a whole word and its start token (the transformer's table of
// positions has that many rows).
struct LMConfig {
    std::size_t vocab_size = 27;
    std::size_t block_size = 8;
    std::size_t n_embd = 64;    // the size of a character's (and a position's) vector
    std::size_t n_hidden = 64;  // the MLP's hidden layer, the LSTM's state
    std::size_t n_layer = 4;    // transformer blocks
    std::size_t n_head = 4;     // attention heads per block, n_embd / n_head dims each

    // Each model's defaults, chosen to train in a few minutes on two cores (see the README);
    // max_length is the longest word in the list.
    static LMConfig defaults(const std::string& model, std::size_t max_length) {
        if (model == "mlp") return {.block_size = 8, .n_embd = 16, .n_hidden = 384};
        if (model == "lstm") return {.block_size = max_length + 1, .n_embd = 32, .n_hidden = 256};
        return {.block_size = max_length + 1, .n_embd = 64, .n_layer = 4, .n_head = 4};
    }
};

// x [N, block_size] (the context, oldest first) -> logits [N, vocab_size]. Each character becomes
// an n_embd vector, the block_size vectors side by side are one input of block_size·n_embd to a
// tanh hidden layer. It only ever sees block_size characters: what came before is forgotten.
inline nn::Sequential mlp_lm(const LMConfig& c) {
    return nn::Sequential(nn::Embedding(c.vocab_size, c.n_embd),  // [N, block_size, n_embd]
                          nn::Flatten(),                          // [N, block_size·n_embd]
                          nn::Linear(c.block_size * c.n_embd, c.n_hidden), nn::Tanh(),
                          nn::Linear(c.n_hidden, c.vocab_size));
}

// idx [B, T] -> logits [B, T, vocab_size]: the LSTM's state after reading characters 0..t predicts
// character t + 1. The state is carried from step to step, so nothing is forgotten by design;
// backward runs back through every step (gradients multiplied by each step's Jacobian, which is
// why the training loop clips their norm).
struct LstmLM : nn::Module {
    nn::Embedding wte;
    nn::LSTM lstm;
    nn::Linear lm_head;

    explicit LstmLM(const LMConfig& c)
        : wte(c.vocab_size, c.n_embd), lstm(c.n_embd, c.n_hidden, nn::LSTMOptions{.batch_first = true}),
          lm_head(c.n_hidden, c.vocab_size) {
        register_module("wte", wte);
        register_module("lstm", lstm);
        register_module("lm_head", lm_head);
    }

    Tensor forward(const Tensor& idx) override {
        auto [out, state] = lstm(wte(idx));  // out [B, T, n_hidden]: h at every step; the final state unused
        return lm_head(out);
    }
};

// x [B, T, n_embd] -> [B, T, n_embd]: every position gathers from the positions before it (and
// itself), weighted by how well its query matches their keys, in n_head heads of their own.
struct CausalSelfAttention : nn::Module {
    const std::size_t n_head;
    nn::Linear c_attn;  // the query, key and value projections side by side: n_embd -> 3·n_embd
    nn::Linear c_proj;  // the heads' outputs mixed back together

    explicit CausalSelfAttention(const LMConfig& c)
        : n_head(c.n_head), c_attn(c.n_embd, 3 * c.n_embd), c_proj(c.n_embd, c.n_embd) {
        if (c.n_head == 0 || c.n_embd % c.n_head != 0)
            throw Error("CausalSelfAttention: n_embd " + std::to_string(c.n_embd) + " is not a multiple of n_head " +
                        std::to_string(c.n_head));
        register_module("c_attn", c_attn);
        register_module("c_proj", c_proj);
    }

    Tensor forward(const Tensor& x) override {
        const auto B = static_cast<std::int64_t>(x.shape()[0]), T = static_cast<std::int64_t>(x.shape()[1]),
                   E = static_cast<std::int64_t>(x.shape()[2]), H = static_cast<std::int64_t>(n_head);
        auto qkv = split(c_attn(x), E, 2);  // q, k, v, each [B, T, E]
        auto heads = [&](const Tensor& t) { return t.reshape({B, T, H, E / H}).transpose(1, 2); };  // [B, H, T, E/H]
        Tensor q = heads(qkv[0]), k = heads(qkv[1]), v = heads(qkv[2]);
        // att[b, h, t, s]: how much position t reads from position s, before the softmax.
        Tensor att = matmul(q, k.transpose(-2, -1)) * (1.0f / std::sqrt(static_cast<float>(E / H)));
        // The causal mask: position t may not read s > t (a later character, which is what it has to
        // predict). -inf there becomes an exact 0 after the softmax, so no gradient flows to the future.
        Tensor future = triu(Tensor::ones({x.shape()[1], x.shape()[1]}), 1);  // 1 above the diagonal
        att = softmax(masked_fill(att, future, -INFINITY), -1);
        Tensor y = matmul(att, v);                            // [B, H, T, E/H]
        return c_proj(y.transpose(1, 2).reshape({B, T, E}));  // the heads side by side again
    }
};

// One transformer block, pre-norm as GPT-2: x + attn(ln_1(x)), then x + mlp(ln_2(x)). The
// residual sums let each block add a correction to its input, and carry the gradient straight
// down to the embeddings; LayerNorm before each part keeps its input at a fixed scale.
struct Block : nn::Module {
    nn::LayerNorm ln_1;
    CausalSelfAttention attn;
    nn::LayerNorm ln_2;
    nn::Sequential mlp;  // per position: n_embd -> 4·n_embd -> GELU -> n_embd

    explicit Block(const LMConfig& c)
        : ln_1(c.n_embd), attn(c), ln_2(c.n_embd),
          mlp(nn::Linear(c.n_embd, 4 * c.n_embd), nn::GELU(), nn::Linear(4 * c.n_embd, c.n_embd)) {
        register_module("ln_1", ln_1);
        register_module("attn", attn);
        register_module("ln_2", ln_2);
        register_module("mlp", mlp);
    }

    Tensor forward(const Tensor& x) override {
        Tensor h = x + attn(ln_1(x));  // the positions talk to each other
        return h + mlp(ln_2(h));       // each position thinks on its own
    }
};

// idx [B, T] (T <= block_size) -> logits [B, T, vocab_size]. A character's vector plus its
// position's vector (attention itself doesn't know the order), n_layer Blocks, a final LayerNorm
// and a Linear head.
struct TransformerLM : nn::Module {
    nn::Embedding wte, wpe;  // token and position embeddings
    nn::ModuleList h;        // the Blocks
    nn::LayerNorm ln_f;
    nn::Linear lm_head;

    explicit TransformerLM(const LMConfig& c)
        : wte(c.vocab_size, c.n_embd), wpe(c.block_size, c.n_embd), ln_f(c.n_embd), lm_head(c.n_embd, c.vocab_size) {
        for (std::size_t i = 0; i < c.n_layer; ++i) h.push_back(Block(c));
        register_module("wte", wte);
        register_module("wpe", wpe);
        register_module("h", h);
        register_module("ln_f", ln_f);
        register_module("lm_head", lm_head);
    }

    Tensor forward(const Tensor& idx) override {
        // Position t's vector is row t of wpe; [T, n_embd] broadcasts over the batch. Embedding
        // reports a sequence longer than block_size (an index past its table).
        Tensor tok = wte(idx);                                                 // [B, T, n_embd]
        Tensor pos = wpe(Tensor::arange(static_cast<float>(idx.shape()[1])));  // [T, n_embd]
        Tensor x = tok + pos;
        for (nn::Module& block : h) x = block(x);
        return lm_head(ln_f(x));
    }
};

}  // namespace examples
