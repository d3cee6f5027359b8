// How many threads xgrad's kernels may use (today: OpenBLAS's), as torch::set_num_threads.
#pragma once

namespace xg {
void set_num_threads(int n);  // n >= 1
int get_num_threads();
}  // namespace xg
