// Recurrent layers (PyTorch's torch/nn/modules/rnn.py): RNN (tanh or relu), LSTM and GRU over whole
// sequences, and the one-step cells RNNCell, LSTMCell and GRUCell. Parameter names and shapes, gate
// order and initialisation are PyTorch's, so a PyTorch state dict loads and gives PyTorch's output.
// The loop over time and the checks are in nn/rnn.cpp; each step's equations in nn/rnn_cells.cpp.
//
//   nn::LSTM lstm(10, 20, {.num_layers = 2, .batch_first = true});
//   auto [output, state] = lstm(x);              // x [N, L, 10] -> output [N, L, 20], state.h/.c [2, N, 20]
//   auto [out2, state2] = lstm(x2, state);       // carry the state on; or lstm(x, {h0, c0})
//   nn::GRU gru(10, 20);  auto [y, h_n] = gru(x, h0);
//
// Shapes (L = sequence length, N = batch, D = 2 if bidirectional else 1, H = hidden_size):
// input [L, N, input_size] ([N, L, input_size] with batch_first, [L, input_size] unbatched);
// h0, c0, h_n, c_n [num_layers·D, N, H] ([num_layers·D, H] unbatched); output [L, N, D·H] (batch_first:
// [N, L, D·H]), the last layer's h at every step, both directions side by side.
// proj_size (LSTM with projections) is not implemented.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "nn/module.hpp"

namespace xg::nn {

// An LSTM's state, PyTorch's (h, c): h [num_layers·D, N, H] and c alike for LSTM, [N, H] for LSTMCell.
struct LSTMState {
    Tensor h, c;
};
// RNN's and GRU's result, PyTorch's (output, h_n): `auto [output, h_n] = gru(x);`.
struct RNNOutput {
    Tensor output;
    Tensor h_n;
};
// LSTM's result, PyTorch's (output, (h_n, c_n)): `auto [output, state] = lstm(x);`, then state.h, state.c.
struct LSTMOutput {
    Tensor output;
    LSTMState state;
};

// RNN's keyword arguments, PyTorch's names, order and defaults.
struct RNNOptions {
    std::size_t num_layers = 1;
    std::string nonlinearity = "tanh";  // or "relu"
    bool bias = true;                   // b_ih and b_hh; false: no biases at all
    bool batch_first = false;           // input and output [N, L, features] (h0 and h_n stay [layers, N, H])
    float dropout = 0.0f;               // on each layer's output but the last's, in training mode
    bool bidirectional = false;         // a second pass, last step to first, concatenated on the features
};
// LSTM's and GRU's keyword arguments: RNN's without the nonlinearity.
struct LSTMOptions {
    std::size_t num_layers = 1;
    bool bias = true;
    bool batch_first = false;
    float dropout = 0.0f;
    bool bidirectional = false;
};
using GRUOptions = LSTMOptions;

}  // namespace xg::nn

namespace xg::detail {

// What the layers and cells share (used through RNNBase and RNNCellBase). In xg::detail, as tensors_of:
// an xg::nn::detail would hide xg::detail from the code in xg::nn that says detail::.
// Internally an RNN's or GRU's state also travels as an LSTMState, with c undefined.

// Which recurrence a layer or cell runs.
enum class RNNMode { rnn_tanh, rnn_relu, lstm, gru };
// The hyperparameters the shared code (nn/rnn.cpp) needs.
struct RNNConfig {
    RNNMode mode;
    std::size_t input_size, hidden_size, num_layers;
    bool bias, batch_first;
    float dropout;
    bool bidirectional;
};
RNNMode rnn_mode(const std::string& nonlinearity, const std::string& who);  // "tanh"/"relu", or an Error
// Checks `c` (an Error naming the layer) and makes the weights of every layer and direction, each
// [w_ih, w_hh, b_ih, b_hh] (no biases when !c.bias), drawn from U(-1/√H, 1/√H) and registered
// through `add` under PyTorch's names (weight_ih_l0, ..., weight_ih_l0_reverse, ...), in its order.
using AddParameter = std::function<Tensor(std::string name, Tensor tensor)>;
std::vector<std::vector<Tensor>> make_rnn_weights(const RNNConfig& c, bool cell, const AddParameter& add);
// The layer as printed, PyTorch's extra_repr: "10, 20, num_layers=2, batch_first=true". As in PyTorch,
// a cell shows nonlinearity=relu and an RNN doesn't.
std::string rnn_repr(const RNNConfig& c, bool cell);
// How errors name the layer: "LSTM(10, 20, num_layers=2)", "GRUCell(10, 20)".
std::string rnn_label(const RNNConfig& c, bool cell);
// Runs the layers over the sequence (nn/rnn.cpp); h0 and c0 may be undefined (zeros).
nn::LSTMOutput run_rnn(const RNNConfig& c, const std::vector<std::vector<Tensor>>& weights, const Tensor& input,
                       const nn::LSTMState& initial, bool training);
// One step of a cell on input [N, input_size] or [input_size] (nn/rnn_cells.cpp); h, c may be undefined.
nn::LSTMState run_cell(const RNNConfig& c, const std::vector<Tensor>& weights, const Tensor& input,
                       const nn::LSTMState& state);
// One step of the recurrence, given the input's projection xw = x·W_ihᵀ + b_ih [N, gates·H], the
// previous state (c only for LSTM) and W_hh [gates·H, H], b_hh (nn/rnn_cells.cpp).
nn::LSTMState rnn_step(RNNMode mode, const Tensor& xw, const nn::LSTMState& state, const Tensor& w_hh,
                       const Tensor& b_hh);

}  // namespace xg::detail

namespace xg::nn {

// What RNN, LSTM and GRU share, as PyTorch's RNNBase: the hyperparameters (const, PyTorch's
// names), the weights, printing. Derived is the layer's own class (see ModuleBase).
template <class Derived>
class RNNBase : public ModuleBase<Derived> {
public:
    const std::size_t input_size, hidden_size, num_layers;
    const bool bias, batch_first;
    const float dropout;
    const bool bidirectional;
    // PyTorch's all_weights: per layer, then direction, {weight_ih, weight_hh, bias_ih, bias_hh}
    // (the first two only when bias is false); the registered parameters themselves.
    std::vector<std::vector<Tensor>> all_weights;

    std::string extra_repr() const override { return detail::rnn_repr(config(), false); }

protected:
    RNNBase(detail::RNNMode mode, std::size_t input_size_, std::size_t hidden_size_, std::size_t num_layers_,
            bool bias_, bool batch_first_, float dropout_, bool bidirectional_)
        : input_size(input_size_), hidden_size(hidden_size_), num_layers(num_layers_), bias(bias_),
          batch_first(batch_first_), dropout(dropout_), bidirectional(bidirectional_), mode_(mode) {
        all_weights = detail::make_rnn_weights(config(), false, [this](std::string name, Tensor t) {
            return this->register_parameter(std::move(name), std::move(t));
        });
    }
    detail::RNNConfig config() const {
        return {mode_, input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional};
    }
    LSTMOutput run(const Tensor& input, const LSTMState& initial) {
        return detail::run_rnn(config(), all_weights, input, initial, this->is_training());
    }

private:
    const detail::RNNMode mode_;
};

// Elman RNN: h_t = act(x_t·W_ihᵀ + b_ih + h_{t-1}·W_hhᵀ + b_hh), act tanh or relu, per layer; a
// layer's input is the previous layer's output (after dropout in training, all but the last).
class RNN : public RNNBase<RNN> {
public:
    RNN(std::size_t input_size, std::size_t hidden_size, RNNOptions options = {});
    // Positional, as nn.RNN(10, 20, 2) (LSTM and GRU alike).
    RNN(std::size_t input_size, std::size_t hidden_size, std::size_t num_layers)
        : RNN(input_size, hidden_size, RNNOptions{.num_layers = num_layers}) {}
    RNNOutput forward(Tensor input);  // h0 = zeros
    RNNOutput forward(const Tensor& input, const Tensor& h0);
    const std::string nonlinearity;
};

// Long short-term memory, gates i, f, g, o (nn/rnn_cells.cpp has the equations); each layer
// carries h and c. lstm(x), lstm(x, {h0, c0}), lstm(x, state).
class LSTM : public RNNBase<LSTM> {
public:
    LSTM(std::size_t input_size, std::size_t hidden_size, LSTMOptions options = {});
    LSTM(std::size_t input_size, std::size_t hidden_size, std::size_t num_layers)
        : LSTM(input_size, hidden_size, LSTMOptions{.num_layers = num_layers}) {}
    LSTMOutput forward(Tensor input);  // h0 = c0 = zeros
    LSTMOutput forward(const Tensor& input, const LSTMState& state);
    // So that lstm(x, {h0, c0}) compiles: a braced list can't be deduced by ModuleBase's template.
    using ModuleBase<LSTM>::operator();
    LSTMOutput operator()(const Tensor& input, const LSTMState& state) {
        return ModuleBase<LSTM>::operator()(input, state);
    }
};

// Gated recurrent unit, gates r, z, n (nn/rnn_cells.cpp has the equations).
class GRU : public RNNBase<GRU> {
public:
    GRU(std::size_t input_size, std::size_t hidden_size, GRUOptions options = {});
    GRU(std::size_t input_size, std::size_t hidden_size, std::size_t num_layers)
        : GRU(input_size, hidden_size, GRUOptions{.num_layers = num_layers}) {}
    RNNOutput forward(Tensor input);  // h0 = zeros
    RNNOutput forward(const Tensor& input, const Tensor& h0);
};

// What the cells share, as PyTorch's RNNCellBase: one step, x [N, input_size] (or [input_size]) and
// h [N, H] (or [H]) to the next h. weight_ih [gates·H, input_size], weight_hh [gates·H, H], bias_ih
// and bias_hh [gates·H] (undefined without bias), all U(-1/√H, 1/√H).
template <class Derived>
class RNNCellBase : public ModuleBase<Derived> {
public:
    const std::size_t input_size, hidden_size;
    const bool bias;
    Tensor weight_ih, weight_hh, bias_ih, bias_hh;

    std::string extra_repr() const override { return detail::rnn_repr(config(), true); }

protected:
    RNNCellBase(detail::RNNMode mode, std::size_t input_size_, std::size_t hidden_size_, bool bias_)
        : input_size(input_size_), hidden_size(hidden_size_), bias(bias_), mode_(mode) {
        const auto w = detail::make_rnn_weights(config(), true, [this](std::string name, Tensor t) {
            return this->register_parameter(std::move(name), std::move(t));
        });
        weight_ih = w[0][0];
        weight_hh = w[0][1];
        if (bias) {
            bias_ih = w[0][2];
            bias_hh = w[0][3];
        }
    }
    detail::RNNConfig config() const { return {mode_, input_size, hidden_size, 1, bias, false, 0.0f, false}; }
    LSTMState step(const Tensor& input, const LSTMState& state) {
        std::vector<Tensor> w{weight_ih, weight_hh};
        if (bias) w.insert(w.end(), {bias_ih, bias_hh});
        return detail::run_cell(config(), w, input, state);
    }

private:
    const detail::RNNMode mode_;
};

// h' = act(x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh), act tanh or relu. cell(x) starts from h = 0.
class RNNCell : public RNNCellBase<RNNCell> {
public:
    RNNCell(std::size_t input_size, std::size_t hidden_size, bool bias = true,
            const std::string& nonlinearity = "tanh");
    Tensor forward(const Tensor& input) override;  // hx = zeros; one tensor in and out (fits a Sequential)
    Tensor forward(const Tensor& input, const Tensor& hx);
    const std::string nonlinearity;
};

// One LSTM step: (h, c) to (h', c'). cell(x), cell(x, {h, c}), cell(x, state).
class LSTMCell : public RNNCellBase<LSTMCell> {
public:
    LSTMCell(std::size_t input_size, std::size_t hidden_size, bool bias = true);
    LSTMState forward(Tensor input);  // h = c = zeros
    LSTMState forward(const Tensor& input, const LSTMState& state);
    using ModuleBase<LSTMCell>::operator();
    LSTMState operator()(const Tensor& input, const LSTMState& state) {
        return ModuleBase<LSTMCell>::operator()(input, state);
    }
};

// One GRU step: h to h'.
class GRUCell : public RNNCellBase<GRUCell> {
public:
    GRUCell(std::size_t input_size, std::size_t hidden_size, bool bias = true);
    Tensor forward(const Tensor& input) override;  // hx = zeros
    Tensor forward(const Tensor& input, const Tensor& hx);
};

}  // namespace xg::nn
