// How many threads xgrad's kernels may use (today: OpenBLAS's, for matrix products), as
// torch::set_num_threads, and the per-shape choice between 1 thread and that many.
#pragma once

#include <cstddef>
#include <cstdint>

namespace xg {

void set_num_threads(int n);  // n >= 1
int get_num_threads();

namespace parallel {

// Splitting a small product across threads can cost more than it saves, and on a shared
// machine the second core may not be free at all. So for each GEMM shape the first calls
// alternate between 1 thread and get_num_threads(), timed; after that the shape keeps the
// count that was clearly faster (N must beat 1 by 10%), and measures again every 4,096 calls,
// since what the other core is doing changes. GemmTicket carries one call's choice.
// A ticket outlives its lock: set_num_threads may forget every shape while the product runs,
// so end_gemm trusts `slot` only if the ticket's generation is still the current one.
struct GemmTicket {
    int threads = 1;
    void* slot = nullptr;  // the shape's statistics while it is still being measured
    bool use_n = false;
    std::uint64_t generation = 0;
};
GemmTicket begin_gemm(std::size_t m, std::size_t n, std::size_t k, bool ta, bool tb);
void end_gemm(const GemmTicket& ticket, double seconds);

}  // namespace parallel
}  // namespace xg
