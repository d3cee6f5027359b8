// One step of each recurrence (the equations, as PyTorch's docs write them), and the cell modules
// RNNCell, LSTMCell, GRUCell. The layers (nn/rnn.cpp) run the same steps over time. Everything is
// built from differentiable ops (linear, sigmoid, tanh, chunk, *, +), so backward, and the
// backward of backward, come from theirs.
#include "nn/rnn.hpp"

#include "core/ops.hpp"

namespace xg::detail {

using nn::LSTMState;

namespace {

// LSTM. The rows of W_ih, W_hh, b_ih and b_hh hold the four gates in PyTorch's order i, f, g, o,
// hidden_size rows each; xw is the input's part, x·W_ihᵀ + b_ih [N, 4H]:
//   i  = σ(W_ii x + b_ii + W_hi h + b_hi)       input gate: how much of g to write
//   f  = σ(W_if x + b_if + W_hf h + b_hf)       forget gate: how much of c to keep
//   g  = tanh(W_ig x + b_ig + W_hg h + b_hg)    the candidate values
//   o  = σ(W_io x + b_io + W_ho h + b_ho)       output gate: how much of the cell to show
//   c' = f * c + i * g
//   h' = o * tanh(c')
LSTMState lstm_step(const Tensor& xw, const LSTMState& state, const Tensor& w_hh, const Tensor& b_hh) {
    const std::vector<Tensor> gates = chunk(xw + linear(state.h, w_hh, b_hh), 4, -1);  // 4 x [N, H]
    const Tensor i = sigmoid(gates[0]), f = sigmoid(gates[1]), g = tanh(gates[2]), o = sigmoid(gates[3]);
    const Tensor c = f * state.c + i * g;
    return {o * tanh(c), c};
}

// GRU. Gates in PyTorch's order r, z, n; xw = x·W_ihᵀ + b_ih [N, 3H]:
//   r  = σ(W_ir x + b_ir + W_hr h + b_hr)            reset gate
//   z  = σ(W_iz x + b_iz + W_hz h + b_hz)            update gate
//   n  = tanh(W_in x + b_in + r * (W_hn h + b_hn))   the candidate; r scales h's part, its bias included
//   h' = (1 - z) * n + z * h
// Because of r * (W_hn h + b_hn), the input's and h's parts are kept apart, not added first.
Tensor gru_step(const Tensor& xw, const Tensor& h, const Tensor& w_hh, const Tensor& b_hh) {
    const std::vector<Tensor> xr_xz_xn = chunk(xw, 3, -1), hr_hz_hn = chunk(linear(h, w_hh, b_hh), 3, -1);
    const Tensor r = sigmoid(xr_xz_xn[0] + hr_hz_hn[0]);
    const Tensor z = sigmoid(xr_xz_xn[1] + hr_hz_hn[1]);
    const Tensor n = tanh(xr_xz_xn[2] + r * hr_hz_hn[2]);
    return (1.0f - z) * n + z * h;
}

}  // namespace

// Elman RNN: h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act tanh or relu.
LSTMState rnn_step(RNNMode mode, const Tensor& xw, const LSTMState& state, const Tensor& w_hh, const Tensor& b_hh) {
    switch (mode) {
        case RNNMode::rnn_tanh: return {tanh(xw + linear(state.h, w_hh, b_hh)), Tensor()};
        case RNNMode::rnn_relu: return {relu(xw + linear(state.h, w_hh, b_hh)), Tensor()};
        case RNNMode::lstm: return lstm_step(xw, state, w_hh, b_hh);
        case RNNMode::gru: return {gru_step(xw, state.h, w_hh, b_hh), Tensor()};
    }
    throw Error("rnn_step: unknown mode");  // unreachable: every RNNMode is handled above
}

LSTMState run_cell(const RNNConfig& c, const std::vector<Tensor>& w, const Tensor& input, const LSTMState& state) {
    const std::string who = rnn_label(c, true), in = std::to_string(c.input_size);
    if (input.dim() != 1 && input.dim() != 2) {
        throw Error(who + ": input must be [N, " + in + "] or unbatched [" + in + "], got " + shape_str(input.shape()));
    }
    if (input.shape().back() != c.input_size) {
        throw Error(who + ": input " + shape_str(input.shape()) + " has " + std::to_string(input.shape().back()) +
                    " features, expected input_size " + in);
    }
    const bool lstm = c.mode == RNNMode::lstm, batched = input.dim() == 2;
    if (lstm && state.h.defined() != state.c.defined()) {
        throw Error(who + ": give both h and c of the state, or neither (zeros)");
    }
    const std::size_t n = batched ? input.shape()[0] : 1;
    const Shape want = batched ? Shape{n, c.hidden_size} : Shape{c.hidden_size};
    // A missing state is zeros; an unbatched one gets a batch dim of 1, as the input does.
    auto initial = [&](const Tensor& t, const char* name) {
        if (!t.defined()) return Tensor::zeros({n, c.hidden_size});
        if (t.shape() != want) {
            throw Error(who + ": " + name + " " + shape_str(t.shape()) + " should be " + shape_str(want) +
                        " for input " + shape_str(input.shape()));
        }
        return batched ? t : unsqueeze(t, 0);
    };
    const LSTMState start{initial(state.h, "hx"), lstm ? initial(state.c, "cx") : Tensor()};
    const Tensor x = batched ? input : unsqueeze(input, 0);  // [N, input_size]
    const bool bias = w.size() == 4;
    LSTMState next = rnn_step(c.mode, linear(x, w[0], bias ? w[2] : Tensor()), start, w[1], bias ? w[3] : Tensor());
    if (batched) return next;
    return {squeeze(next.h, 0), lstm ? squeeze(next.c, 0) : Tensor()};
}

}  // namespace xg::detail

namespace xg::nn {

RNNCell::RNNCell(std::size_t input_size, std::size_t hidden_size, bool bias, const std::string& nonlinearity_)
    : RNNCellBase(detail::rnn_mode(nonlinearity_, "RNNCell"), input_size, hidden_size, bias),
      nonlinearity(nonlinearity_) {}
Tensor RNNCell::forward(const Tensor& input) { return step(input, {}).h; }
Tensor RNNCell::forward(const Tensor& input, const Tensor& hx) { return step(input, {hx, Tensor()}).h; }

LSTMCell::LSTMCell(std::size_t input_size, std::size_t hidden_size, bool bias)
    : RNNCellBase(detail::RNNMode::lstm, input_size, hidden_size, bias) {}
LSTMState LSTMCell::forward(Tensor input) { return step(input, {}); }
LSTMState LSTMCell::forward(const Tensor& input, const LSTMState& state) { return step(input, state); }

GRUCell::GRUCell(std::size_t input_size, std::size_t hidden_size, bool bias)
    : RNNCellBase(detail::RNNMode::gru, input_size, hidden_size, bias) {}
Tensor GRUCell::forward(const Tensor& input) { return step(input, {}).h; }
Tensor GRUCell::forward(const Tensor& input, const Tensor& hx) { return step(input, {hx, Tensor()}).h; }

}  // namespace xg::nn
