// Shape formatting and dim checks shared by every op's error messages.
#include "core/error.hpp"

#include "core/format.hpp"

namespace xg {

namespace {
template <class T>
std::string join_dims(std::span<const T> dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i) s += ", ";
        s += format_number(dims[i]);
    }
    return s += "]";
}
}  // namespace

std::string shape_str(std::span<const std::size_t> shape) { return join_dims(shape); }
std::string shape_str(std::span<const std::int64_t> shape) { return join_dims(shape); }

std::size_t normalize_dim(const char* op, std::int64_t dim, std::size_t ndim, std::span<const std::size_t> shape) {
    const auto n = static_cast<std::int64_t>(ndim);
    if (dim < -n || dim >= n || n == 0) {
        throw Error(std::string(op) + ": dim " + format_number(dim) + " is out of range for a tensor of shape " +
                    shape_str(shape) + " (valid: " + format_number(-n) + " to " + format_number(n - 1) + ")");
    }
    return static_cast<std::size_t>(dim < 0 ? dim + n : dim);
}

}  // namespace xg
