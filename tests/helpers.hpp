// Test helpers: value comparison, and the gradient tables that every op file adds rows to.
//
// To check a new op, add a row to the table in its test file:
//   {"mul: grad, broadcast [3, 1] * [1, 4]", {{3, 1}, {1, 4}}, [](V x) { return x[0] * x[1]; }},
// and the same row (name, shapes, domain, the op in PyTorch) to tests/reference/make_op_reference.py,
// then run that script. Each row becomes its own test case (tagged [grad]) and its own CTest entry,
// which checks, on inputs both languages draw from the row's name:
//   - the gradient against central differences (gradcheck);
//   - for ops registered with Order::second, the second derivatives too (gradgradcheck);
//   - for op tables (register_op_cases), the forward values, the gradients and the second
//     derivatives against PyTorch's, from tests/reference/ops.txt.
#pragma once

#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace xg::test {

// Where inputs are drawn from, to keep them off an op's kinks and out of its domain's edges.
enum class Domain {
    any,       // U(-1, 1)
    positive,  // U(0.5, 2): log, sqrt, pow with a tensor exponent, division
    off_zero,  // ±U(0.2, 1): relu, abs, leaky_relu
    distinct,  // a shuffled ramp, gaps of 0.1: max and other ties-sensitive ops
};

// The highest order of derivative an op claims (fused first-order kernels: Order::first).
enum class Order { first, second };

struct GradCase {
    std::string name;
    std::vector<Shape> shapes;  // one per input; every input requires grad
    autograd::GradcheckFn fn;
    Domain domain = Domain::any;
    float atol = 1e-3f;
    float rtol = 1e-2f;
};

// Registers each case as a Catch2 test case, checked numerically to `order`; returns true so it
// can initialise a static. For rows whose inputs PyTorch can't reproduce (layers drawing their
// own weights): layer tables mix fused kernels in, so they check the first order unless told.
bool register_grad_cases(std::vector<GradCase> cases, Order order = Order::first);
// The same, and every row must also match PyTorch's reference numbers: the op tables.
bool register_op_cases(std::vector<GradCase> cases, Order order = Order::second);

// Inputs for a case, drawn from its domain with a generator seeded by the case's name (the
// same numbers make_op_reference.py draws).
std::vector<Tensor> make_inputs(const GradCase& c);

// A small generator both this file and make_op_reference.py implement: FNV-1a of a text seeds
// splitmix64; uniform() gives multiples of 2^-24 in [0, 1), exact in float.
class Stream {
public:
    explicit Stream(const std::string& seed);
    std::uint64_t next();
    double uniform() { return static_cast<double>(next() >> 40) * 0x1p-24; }

private:
    std::uint64_t state_;
};

// Element-wise |a - b| <= tol, with shapes equal; prints both on failure.
bool all_close(const Array& a, const Array& b, float tol = 1e-5f);
inline bool all_close(const Tensor& a, const Tensor& b, float tol = 1e-5f) {
    return all_close(a.data(), b.data(), tol);
}

// PyTorch's numbers for `kind` ("forward", "grad.0", ...) of `row` in tests/reference/ops.txt
// (made by make_op_reference.py); an Error names a row the script doesn't have.
const std::vector<float>& op_reference(const std::string& row, const std::string& kind);

// The numbers recorded under `name` in tests/reference/reference.txt (made by PyTorch).
std::vector<float> reference(const std::string& name);
// A tensor of `shape` drawn from `s` in [-1, 1), as the reference scripts' random_like.
Tensor random_like(Stream& s, const Shape& shape);
// |got - want| <= atol + rtol·|want| everywhere (NaN matching NaN, inf matching itself), naming
// `what` and the first element that isn't, against PyTorch's numbers `want`.
void check_against(const std::string& what, const Tensor& got, const std::vector<float>& want, float atol, float rtol);

// "row<TAB>kind<TAB>values" lines of a reference file under tests/reference/ (made by `script`),
// as a map from "row<TAB>kind" to the values; read once per file.
const std::map<std::string, std::vector<float>>& reference_table(const std::string& file, const std::string& script);

// Bytes for hand-made data files: a big-endian 32-bit number (IDX headers), and `raw` as one
// gzip member (zlib, best compression).
std::string be32(std::uint32_t v);
std::string gzip(const std::string& raw);

// A path inside the source tree / a fresh temporary file path for this test run.
std::string source_path(const std::string& relative);
std::string temp_path(const std::string& file_name);

}  // namespace xg::test
