// How many threads xgrad's kernels may use, as torch::set_num_threads: OpenBLAS's for matrix
// products (and which products get them), and detail::run_tasks's for the convolution, pooling
// and batch_norm kernels and oneDNN's convolutions (core/conv_onednn.cpp).
//
// Reproducibility: the thread count of every product, and how a kernel splits its work, is a
// function of the shapes and the thread setting alone, never of a clock or of the machine's load.
// So the same seed and the same thread setting give the same bits, run after run
// (tests/test_determinism.cpp and tests/determinism_check.sh check it). A different thread count
// may change the last bits: OpenBLAS rounds differently at 1 and at N threads, and oneDNN's
// convolutions sum the weight gradient over one part of the batch per thread. The setting is
// set_num_threads(n), or, when a program never calls it, OpenBLAS's default (OPENBLAS_NUM_THREADS,
// else the core count).
#pragma once

#include <cstddef>
#include <functional>

namespace xg {

void set_num_threads(int n);  // n >= 1
int get_num_threads();

namespace parallel {

// Products of at least this many multiply-adds (m·n·k) run on get_num_threads() threads; smaller
// ones on one. Measured once with bench/gemm_threads.cpp (cblas_sgemm on the trainers' shapes at
// 1 and 2 threads, interleaved, 301 rounds) in three runs on the 2-vCPU AMD EPYC VM of
// bench/README.md (OpenBLAS 0.3.21) while other jobs shared it. When the second core was free
// (a shape's fastest round), 2 threads ran 1.4-1.6x faster at 0.4-0.9M multiply-adds, 1.7-1.9x at
// 2-4M and 1.9-2.1x from 6.4M up. When it was busy (the median round), 2 threads ran at 0.54-0.88x
// of 1 thread's speed below 2.1M, and anywhere from 0.2x to 2x above. Below 2²² ≈ 4.2M (160³) a
// second thread saves at most ~35 µs a product and can cost as much, so those stay on one thread;
// the MLPs' big layers (64x128x784 = 6.4M at batch 64 and up) get every thread.
inline constexpr std::size_t gemm_threads_from = std::size_t{1} << 22;

// The thread count for a product of m·n·k multiply-adds: from the shape and the setting alone.
int gemm_threads(std::size_t m, std::size_t n, std::size_t k);

// OpenBLAS has one thread count for the whole process. A product holds a GemmThreads for as long
// as it runs: it sets the count the product needs and keeps every product that needs another
// count waiting until it is done (products needing the same count run side by side). So a
// thread calling set_num_threads, or running a product of another size, never changes the count
// under a running product.
class GemmThreads {
public:
    GemmThreads(std::size_t m, std::size_t n, std::size_t k);
    ~GemmThreads();
    GemmThreads(const GemmThreads&) = delete;
    GemmThreads& operator=(const GemmThreads&) = delete;
    int threads() const { return threads_; }

private:
    int threads_;
};

}  // namespace parallel
}  // namespace xg

namespace xg::detail {

// A small pool for the memory-bound kernels (im2col chunks, pooling planes, batch_norm channels):
// fn(0) ... fn(tasks - 1) on up to get_num_threads() threads (the calling thread is one of them).
// Tasks go to whichever thread is free, so no task's result may depend on another's. Returns the
// number of threads used; when it is more than one, matrix products inside fn must run on one
// thread (gemm's one_thread flag). Runs inline when another run_tasks is in progress.
int run_tasks(std::size_t tasks, const std::function<void(std::size_t task, bool parallel)>& fn);

// Items 0 ... n - 1 (a pool's planes, say) in at most 8 runs of consecutive items, fn(first, last)
// for each [first, last) by run_tasks. The runs depend on n alone, never on the thread count.
void run_ranges(std::size_t n, const std::function<void(std::size_t first, std::size_t last)>& fn);

}  // namespace xg::detail
