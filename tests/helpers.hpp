// Test helpers: value comparison, and the gradcheck table that every op file adds rows to.
//
// To check a new op's gradient, add a row to the table in its test file:
//   {"mul: grad, broadcast [3, 1] * [1, 4]", {{3, 1}, {1, 4}}, [](auto& x) { return x[0] * x[1]; }},
// Each row becomes its own test case (tagged [grad]) and its own CTest entry.
#pragma once

#include <catch2/catch.hpp>

#include <functional>
#include <string>
#include <vector>

#include <xgrad.hpp>

namespace xg::test {

// Where inputs are drawn from, to keep them off an op's kinks and out of its domain's edges.
enum class Domain {
    any,             // U(-1, 1)
    positive,        // U(0.5, 2): log, sqrt, pow with a tensor exponent, division
    off_zero,        // ±U(0.2, 1): relu, abs, leaky_relu
    distinct,        // a shuffled ramp, gaps of 0.1: max and other ties-sensitive ops
};

struct GradCase {
    std::string name;
    std::vector<Shape> shapes;  // one per input; every input requires grad
    autograd::GradcheckFn fn;
    Domain domain = Domain::any;
    float atol = 1e-3f;
    float rtol = 1e-2f;
};

// Registers each case as a Catch2 test case; returns true so it can initialise a static.
bool register_grad_cases(std::vector<GradCase> cases);

// Inputs for a case, drawn from its domain with a generator seeded by the case's name.
std::vector<Tensor> make_inputs(const GradCase& c);

// Element-wise |a - b| <= tol, with shapes equal; prints both on failure.
bool all_close(const Array& a, const Array& b, float tol = 1e-5f);
inline bool all_close(const Tensor& a, const Tensor& b, float tol = 1e-5f) { return all_close(a.data(), b.data(), tol); }

// The numbers recorded under `name` in tests/reference/reference.txt (made by PyTorch).
std::vector<float> reference(const std::string& name);
// A path inside the source tree / a fresh temporary file path for this test run.
std::string source_path(const std::string& relative);
std::string temp_path(const std::string& file_name);

}  // namespace xg::test
