// Shape formatting and dim checks shared by every op's error messages.
#include "core/error.hpp"

#include <sstream>

namespace xg {

namespace {
template <class Seq>
std::string join_dims(const Seq& dims) {
    std::ostringstream s;
    s << '[';
    for (std::size_t i = 0; i < dims.size(); ++i) s << (i ? ", " : "") << dims[i];
    s << ']';
    return s.str();
}
}  // namespace

std::string shape_str(const Shape& shape) { return join_dims(shape); }
std::string shape_str(const std::vector<std::int64_t>& shape) { return join_dims(shape); }

std::size_t normalize_dim(const char* op, std::int64_t dim, std::size_t ndim, const Shape& shape) {
    const auto n = static_cast<std::int64_t>(ndim);
    if (dim < -n || dim >= n || n == 0) {
        throw Error(std::string(op) + ": dim " + std::to_string(dim) + " is out of range for a tensor of shape " +
                    shape_str(shape) + " (valid: " + std::to_string(-n) + " to " + std::to_string(n - 1) + ")");
    }
    return static_cast<std::size_t>(dim < 0 ? dim + n : dim);
}

}  // namespace xg
