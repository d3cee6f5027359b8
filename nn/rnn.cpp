// RNN, LSTM and GRU: the hyperparameter checks, the weights under PyTorch's names, and the loop over
// layers, directions and time. The step equations are in nn/rnn_cells.cpp.
#include "nn/rnn.hpp"

#include <cmath>
#include <cstdio>

#include "core/format.hpp"
#include "core/ops.hpp"
#include "nn/functional.hpp"
#include "nn/init.hpp"

namespace xg::detail {

using nn::LSTMOutput;
using nn::LSTMState;

namespace {

std::size_t gate_count(RNNMode mode) {
    switch (mode) {
        case RNNMode::lstm: return 4;  // i, f, g, o
        case RNNMode::gru: return 3;   // r, z, n
        default: return 1;
    }
}

std::string kind(RNNMode mode, bool cell) {
    const std::string k = mode == RNNMode::lstm ? "LSTM" : mode == RNNMode::gru ? "GRU" : "RNN";
    return cell ? k + "Cell" : k;
}

void check_config(const RNNConfig& c, bool cell) {
    const std::string who = kind(c.mode, cell);
    if (c.input_size == 0 || c.hidden_size == 0) {
        throw Error(who + ": input_size and hidden_size must be positive, got " + who + "(" +
                    std::to_string(c.input_size) + ", " + std::to_string(c.hidden_size) + ")");
    }
    if (c.num_layers == 0) throw Error(who + ": num_layers must be at least 1, got 0");
    if (!(c.dropout >= 0.0f && c.dropout <= 1.0f)) {  // NaN fails too
        throw Error(who + ": dropout must be between 0 and 1 (the probability of zeroing an element), got " +
                    format_number(c.dropout));
    }
    if (!cell && c.dropout > 0.0f && c.num_layers == 1) {  // PyTorch's UserWarning, word for word
        std::fprintf(stderr,
                     "warning: %s: dropout option adds dropout after all but last recurrent layer, so non-zero "
                     "dropout expects num_layers greater than 1, but got dropout=%s and num_layers=1\n",
                     who.c_str(), format_number(c.dropout).c_str());
    }
}

// input [L, N, input_size] ([N, L, ...] with batch_first) or unbatched [L, input_size].
void check_input(const RNNConfig& c, const std::string& who, const Tensor& input) {
    const std::string in = std::to_string(c.input_size);
    if (input.dim() != 2 && input.dim() != 3) {
        throw Error(who + ": input must be " + (c.batch_first ? "[N, L, " : "[L, N, ") + in + "] or unbatched [L, " +
                    in + "], got " + shape_str(input.shape()));
    }
    if (input.shape().back() != c.input_size) {
        throw Error(who + ": input " + shape_str(input.shape()) + " has " + std::to_string(input.shape().back()) +
                    " features, expected input_size " + in);
    }
    const std::size_t length = input.shape()[input.dim() == 3 && c.batch_first ? 1 : 0];
    if (length == 0) throw Error(who + ": input " + shape_str(input.shape()) + " is a sequence of length 0");
}

// h0 or c0 as [num_layers·D, N, H] (zeros if undefined), checked against the input's batch.
Tensor initial_state(const RNNConfig& c, const std::string& who, const Tensor& t, const char* name, const Tensor& input,
                     std::size_t batch) {
    const std::size_t layers = c.num_layers * (c.bidirectional ? 2 : 1);
    if (!t.defined()) return Tensor::zeros({layers, batch, c.hidden_size});
    const bool batched = input.dim() == 3;
    const Shape want = batched ? Shape{layers, batch, c.hidden_size} : Shape{layers, c.hidden_size};
    if (t.shape() != want) {
        throw Error(who + ": " + name + " " + shape_str(t.shape()) + " should be " + shape_str(want) + " ([" +
                    (c.bidirectional ? "2·" : "") + "num_layers, " + (batched ? "N, " : "") +
                    "hidden_size]) for input " + shape_str(input.shape()));
    }
    return batched ? t : unsqueeze(t, 1);
}

// seq [L, N, F] -> its L steps, each [N, F], appended to `steps`. A slice's gradient is a zero tensor
// of its input's whole shape with the slice's part filled in, so taking the L steps one by one
// would cost L gradients of seq's size in backward; halving recursively costs 2 per level, log2(L)
// levels in all (for L = 32: 10 rather than 32).
void unbind_steps(const Tensor& seq, std::vector<Tensor>& steps) {
    const auto length = static_cast<std::int64_t>(seq.shape()[0]);
    if (length == 1) {
        steps.push_back(squeeze(seq, 0));
        return;
    }
    unbind_steps(slice(seq, 0, 0, length / 2), steps);
    unbind_steps(slice(seq, 0, length / 2, length), steps);
}

// One layer in one direction over the steps xs[t] [N, in] -> each step's h [N, H]. `state` comes in
// as the initial state and leaves as the last step's (for reverse, the step at t = 0).
// The input's part x_t·W_ihᵀ + b_ih is computed step by step, not for the whole sequence in one
// matmul as cuDNN does: picking step t out of a [L, N, gates·H] projection would cost a gradient of
// the projection's whole size per step (see unbind_steps), and that was slower: LSTM(64 -> 128),
// L = 32, N = 32, forward and backward 24 ms, against 15 ms this way.
std::vector<Tensor> run_direction(RNNMode mode, const std::vector<Tensor>& xs, const std::vector<Tensor>& w,
                                  LSTMState& state, bool reverse) {
    const bool bias = w.size() == 4;
    const std::size_t length = xs.size();
    std::vector<Tensor> hs(length);
    for (std::size_t i = 0; i < length; ++i) {
        const std::size_t t = reverse ? length - 1 - i : i;
        const Tensor xw = linear(xs[t], w[0], bias ? w[2] : Tensor());  // [N, in] -> [N, gates·H]
        state = rnn_step(mode, xw, state, w[1], bias ? w[3] : Tensor());
        hs[t] = state.h;
    }
    return hs;
}

}  // namespace

RNNMode rnn_mode(const std::string& nonlinearity, const std::string& who) {
    if (nonlinearity == "tanh") return RNNMode::rnn_tanh;
    if (nonlinearity == "relu") return RNNMode::rnn_relu;
    throw Error(who + ": unknown nonlinearity '" + nonlinearity + "' (use \"tanh\" or \"relu\")");
}

std::vector<std::vector<Tensor>> make_rnn_weights(const RNNConfig& c, bool cell, const AddParameter& add) {
    check_config(c, cell);
    const std::size_t rows = gate_count(c.mode) * c.hidden_size, directions = c.bidirectional ? 2 : 1;
    std::vector<std::vector<Tensor>> all;
    for (std::size_t layer = 0; layer < c.num_layers; ++layer) {
        for (std::size_t d = 0; d < directions; ++d) {
            // A cell's are weight_ih, ...; a layer's weight_ih_l0, ..., weight_ih_l0_reverse, ...
            const std::string suffix = cell ? "" : "_l" + std::to_string(layer) + (d == 1 ? "_reverse" : "");
            const std::size_t in = layer == 0 ? c.input_size : directions * c.hidden_size;
            std::vector<Tensor> w{add("weight_ih" + suffix, Tensor::zeros({rows, in})),
                                  add("weight_hh" + suffix, Tensor::zeros({rows, c.hidden_size}))};
            if (c.bias) {
                w.push_back(add("bias_ih" + suffix, Tensor::zeros({rows})));
                w.push_back(add("bias_hh" + suffix, Tensor::zeros({rows})));
            }
            all.push_back(std::move(w));
        }
    }
    // PyTorch's reset_parameters(): every one U(-1/√H, 1/√H), in registration order.
    const double bound = 1.0 / std::sqrt(static_cast<double>(c.hidden_size));
    for (const std::vector<Tensor>& w : all)
        for (const Tensor& t : w) nn::init::uniform_(t, -bound, bound);
    return all;
}

std::string rnn_repr(const RNNConfig& c, bool cell) {
    std::string s = std::to_string(c.input_size) + ", " + std::to_string(c.hidden_size);
    if (!cell && c.num_layers != 1) s += ", num_layers=" + std::to_string(c.num_layers);
    if (!c.bias) s += ", bias=false";
    if (cell) return c.mode == RNNMode::rnn_relu ? s + ", nonlinearity=relu" : s;
    if (c.batch_first) s += ", batch_first=true";
    if (c.dropout != 0.0f) s += ", dropout=" + format_number(c.dropout);
    if (c.bidirectional) s += ", bidirectional=true";
    return s;
}

std::string rnn_label(const RNNConfig& c, bool cell) { return kind(c.mode, cell) + "(" + rnn_repr(c, cell) + ")"; }

LSTMOutput run_rnn(const RNNConfig& c, const std::vector<std::vector<Tensor>>& weights, const Tensor& input,
                   const LSTMState& initial, bool training) {
    const std::string who = rnn_label(c, false);
    check_input(c, who, input);
    const bool lstm = c.mode == RNNMode::lstm, batched = input.dim() == 3;
    if (lstm && initial.h.defined() != initial.c.defined()) {
        throw Error(who + ": give both h0 and c0 of the initial state, or neither (zeros)");
    }
    // Time-major inside: seq [L, N, features].
    Tensor seq = !batched ? unsqueeze(input, 1) : c.batch_first ? transpose(input, 0, 1) : input;
    const std::size_t batch = seq.shape()[1], directions = c.bidirectional ? 2 : 1;
    const Tensor h0 = initial_state(c, who, initial.h, "h0", input, batch);
    const Tensor c0 = lstm ? initial_state(c, who, initial.c, "c0", input, batch) : Tensor();
    std::vector<Tensor> xs;  // the current layer's input, step by step: L x [N, features]
    unbind_steps(seq, xs);
    std::vector<Tensor> h_n, c_n;
    for (std::size_t layer = 0; layer < c.num_layers; ++layer) {
        // PyTorch drops from each layer's output but the last: the same as from each input but the first.
        if (layer > 0 && training && c.dropout > 0.0f)
            for (Tensor& x : xs) x = nn::functional::dropout(x, c.dropout, true);
        std::vector<std::vector<Tensor>> outputs;  // per direction, L x [N, H]
        for (std::size_t d = 0; d < directions; ++d) {
            const auto k = static_cast<std::int64_t>(layer * directions + d);
            LSTMState state{select(h0, 0, k), lstm ? select(c0, 0, k) : Tensor()};
            outputs.push_back(run_direction(c.mode, xs, weights[static_cast<std::size_t>(k)], state, d == 1));
            h_n.push_back(state.h);
            c_n.push_back(state.c);
        }
        for (std::size_t t = 0; t < xs.size(); ++t)  // both directions side by side: [N, D·H]
            xs[t] = directions == 1 ? outputs[0][t] : cat({outputs[0][t], outputs[1][t]}, 1);
    }
    seq = stack(xs, 0);  // [L, N, D·H]
    // Back to the caller's layout.
    LSTMOutput out{seq, {stack(h_n, 0), lstm ? stack(c_n, 0) : Tensor()}};
    if (!batched) return {squeeze(out.output, 1), {squeeze(out.state.h, 1), lstm ? squeeze(out.state.c, 1) : Tensor()}};
    if (c.batch_first) out.output = transpose(out.output, 0, 1);
    return out;
}

}  // namespace xg::detail

namespace xg::nn {

RNN::RNN(std::size_t input_size, std::size_t hidden_size, RNNOptions o)
    : RNNBase(detail::rnn_mode(o.nonlinearity, "RNN"), input_size, hidden_size, o.num_layers, o.bias, o.batch_first,
              o.dropout, o.bidirectional),
      nonlinearity(o.nonlinearity) {}
RNNOutput RNN::forward(Tensor input) { return forward(input, Tensor()); }
RNNOutput RNN::forward(const Tensor& input, const Tensor& h0) {
    LSTMOutput out = run(input, {h0, Tensor()});
    return {out.output, out.state.h};
}

LSTM::LSTM(std::size_t input_size, std::size_t hidden_size, LSTMOptions o)
    : RNNBase(detail::RNNMode::lstm, input_size, hidden_size, o.num_layers, o.bias, o.batch_first, o.dropout,
              o.bidirectional) {}
LSTMOutput LSTM::forward(Tensor input) { return run(input, {}); }
LSTMOutput LSTM::forward(const Tensor& input, const LSTMState& state) { return run(input, state); }

GRU::GRU(std::size_t input_size, std::size_t hidden_size, GRUOptions o)
    : RNNBase(detail::RNNMode::gru, input_size, hidden_size, o.num_layers, o.bias, o.batch_first, o.dropout,
              o.bidirectional) {}
RNNOutput GRU::forward(Tensor input) { return forward(input, Tensor()); }
RNNOutput GRU::forward(const Tensor& input, const Tensor& h0) {
    LSTMOutput out = run(input, {h0, Tensor()});
    return {out.output, out.state.h};
}

}  // namespace xg::nn
