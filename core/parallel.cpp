// Thread count: forwarded to OpenBLAS, which runs every matmul.
#include "core/parallel.hpp"

#include <cblas.h>

#include <string>

#include "core/error.hpp"

namespace xg {
void set_num_threads(int n) {
    if (n < 1) throw Error("set_num_threads: need at least 1 thread, got " + std::to_string(n));
    openblas_set_num_threads(n);
}
int get_num_threads() { return openblas_get_num_threads(); }
}  // namespace xg
