// char_lm's data: the word list (Debian's wamerican), its fixed 90/10 split, and the two batch
// layouts the models read. examples/pytorch/char_lm.py does the same, step for step.
//
// Every random choice here (the split, which words a step trains on) comes from splitmix64, a
// generator short enough to write in both twins, so xgrad and PyTorch train on the same words in
// the same order and their losses can be compared (their initial weights still differ: xgrad's
// generator is not torch's).
//
// Tokens: 0 is '.', which starts and ends every word; 'a'..'z' are 1..26: a vocabulary of 27.
// Indices travel as whole-number floats (xgrad is float32-only; nn::Embedding and cross_entropy
// read them as indices).
#pragma once

#include <cstddef>
#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

#include <xgrad.hpp>

#include "splitmix64.hpp"

namespace examples {

using namespace xg;

constexpr std::size_t vocab_size = 27;
constexpr std::uint64_t split_key = 2003;  // the split is fixed (not --seed): every run validates on the same words

using examples::splitmix64;  // examples/splitmix64.hpp: draws the Python twin computes alike
using examples::uniform;

// The word list can't be used: char_lm exits with 2, as mnist_mlp does without its data.
struct WordListError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Words {
    std::vector<std::string> train, val;  // 90% and 10%, in shuffled order
    std::size_t max_length = 0;           // the longest word, in letters (either split)
    std::unordered_set<std::string> train_set;
};

// The file's words, lower-cased (ASCII), keeping only those of the letters a-z (wamerican also
// has "Zürich" and "Aaron's"), each once, in file order; then a Fisher-Yates shuffle by
// splitmix64(split_key) and the first tenth held out for validation.
inline Words load_words(const std::string& path) {
    std::ifstream in(path);
    if (!in)
        throw WordListError("word list '" + path +
                            "' cannot be read; apt-get install wamerican installs /usr/share/dict/american-english");
    std::vector<std::string> words;
    std::unordered_set<std::string> seen;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        bool letters = !line.empty();
        for (char& c : line) {
            if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
            letters = letters && c >= 'a' && c <= 'z';
        }
        if (letters && seen.insert(line).second) words.push_back(line);
    }
    if (words.size() < 10)
        throw WordListError("word list '" + path + "' has " + std::to_string(words.size()) +
                            " words of the letters a-z; the 90/10 split needs at least 10");

    for (std::size_t i = words.size() - 1; i > 0; --i) {  // draw n-1-i picks the word for place i
        const std::size_t j = splitmix64(split_key, words.size() - 1 - i) % (i + 1);
        std::swap(words[i], words[j]);
    }
    Words w;
    const std::size_t n_val = words.size() / 10;
    w.val.assign(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(n_val));
    w.train.assign(words.begin() + static_cast<std::ptrdiff_t>(n_val), words.end());
    for (const std::string& s : words) w.max_length = std::max(w.max_length, s.size());
    w.train_set.insert(w.train.begin(), w.train.end());
    return w;
}

inline float token(char c) { return static_cast<float>(c - 'a' + 1); }

// A batch as the model and the loss read it: input tokens x and target tokens y (-1 = no target).
struct Batch {
    Tensor x, y;
};

// Two ways to turn words into examples, as makemore does:
//
// sequence_batch, for the LSTM and the transformer, which read a whole word and predict every next
// character at once: x [B, T] = '.' + word, y [B, T] = word + '.', T = the batch's longest word + 1.
// A shorter word is padded: its x with '.', its y with -1, which cross_entropy(ignore_index = -1)
// leaves out of the loss and out of the mean's count. The padding can't change a real position's
// output either, since both models only look backwards (the LSTM by construction, the transformer
// by its causal mask). So the loss is a mean over exactly the words' characters, each end token
// included, which is what "nats per character" means below.
inline Batch sequence_batch(const std::vector<std::string>& words) {
    std::size_t T = 0;
    for (const std::string& w : words) T = std::max(T, w.size() + 1);
    xt::xarray<float> x = xt::zeros<float>({words.size(), T}), y = xt::full_like(x, -1.0f);
    for (std::size_t b = 0; b < words.size(); ++b) {
        const std::string& w = words[b];
        for (std::size_t t = 0; t < w.size(); ++t) x(b, t + 1) = y(b, t) = token(w[t]);
        y(b, w.size()) = 0.0f;  // the end token
    }
    return {Tensor(std::move(x)), Tensor(std::move(y))};
}

// window_batch, for the MLP, which sees a fixed context of block_size characters (Bengio et al.
// 2003): one row per target character of every word (its letters, then '.'): x [M, block_size] the
// block_size characters before the target ('.' before the word's start), y [M] the target. The same
// characters as sequence_batch's targets, so the losses are comparable; nothing to pad.
inline Batch window_batch(const std::vector<std::string>& words, std::size_t block_size) {
    std::size_t rows = 0;
    for (const std::string& w : words) rows += w.size() + 1;
    xt::xarray<float> x = xt::zeros<float>({rows, block_size}), y = xt::zeros<float>({rows});
    std::size_t r = 0;
    for (const std::string& w : words) {
        std::vector<float> seq(block_size, 0.0f);  // '.' * block_size + word + '.'
        for (char c : w) seq.push_back(token(c));
        seq.push_back(0.0f);
        for (std::size_t t = 0; t <= w.size(); ++t, ++r) {
            for (std::size_t j = 0; j < block_size; ++j) x(r, j) = seq[t + j];
            y(r) = seq[t + block_size];
        }
    }
    return {Tensor(std::move(x)), Tensor(std::move(y))};
}

// The step's batch_size training words, drawn with replacement (makemore's InfiniteDataLoader):
// word b of step s is train[splitmix64(seed, s·batch_size + b) mod n].
inline std::vector<std::string> batch_words(const std::vector<std::string>& train, std::size_t step,
                                            std::size_t batch_size, std::uint64_t seed) {
    std::vector<std::string> out;
    for (std::size_t b = 0; b < batch_size; ++b)
        out.push_back(train[splitmix64(seed, step * batch_size + b) % train.size()]);
    return out;
}

}  // namespace examples
