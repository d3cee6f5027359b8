// The exception xgrad throws on bad input, and the helpers that make its messages name shapes.
// Light on purpose: files that only throw don't pay for xtensor. Shapes come in as spans, so an
// xg::Shape, a std::vector or a std::array of dims all convert without a copy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>

namespace xg {

// Every error xgrad reports about user input. The message names the op, what is wrong and
// the shapes involved, e.g. "matmul: shapes [64, 10] and [20, 1] don't line up (10 != 20)".
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// "[64, 10]"; a 0-d shape prints as "[]".
std::string shape_str(std::span<const std::size_t> shape);
std::string shape_str(std::span<const std::int64_t> shape);

// A dim in [-ndim, ndim) turned into [0, ndim); `op` names the caller in the error.
std::size_t normalize_dim(const char* op, std::int64_t dim, std::size_t ndim, std::span<const std::size_t> shape);

}  // namespace xg
