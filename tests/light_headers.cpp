// Compiled on its own by a CTest test, not linked into xgrad_tests: the headers a file needs to
// throw xg::Error and format numbers must not bring in xtensor.
#include "core/error.hpp"
#include "core/format.hpp"

#include <vector>

#if defined(XTENSOR_VERSION_MAJOR) || defined(XTL_VERSION_MAJOR) || defined(XSIMD_VERSION_MAJOR)
#error "core/error.hpp or core/format.hpp includes xtensor"
#endif

// Callers pass shapes of every kind: a vector, an array, a 0-d shape.
inline std::string light_headers_use(const std::vector<std::size_t>& v) {
    const std::size_t a[2] = {2, 3};
    return xg::shape_str(v) + xg::shape_str(a) + xg::shape_str(std::span<const std::size_t>()) + xg::format_number(0.1);
}
