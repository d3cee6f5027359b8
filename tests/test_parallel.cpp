// set_num_threads and the per-shape GEMM thread count (core/parallel), also used from several
// threads at once; the [threads] cases run under ThreadSanitizer in scripts/test.sh.
#include <cblas.h>

#include <atomic>
#include <thread>

#include "helpers.hpp"

using namespace xg;

TEST_CASE("parallel: a product's thread count comes from its shape and the setting alone", "[parallel][determinism]") {
    const int before = get_num_threads();
    const std::size_t edge = parallel::gemm_threads_from;
    set_num_threads(2);
    CHECK(parallel::gemm_threads(64, 128, 784) == 2);  // 6.4M multiply-adds: the 784-128 MLP's first layer
    CHECK(parallel::gemm_threads(edge, 1, 1) == 2);
    CHECK(parallel::gemm_threads(edge - 1, 1, 1) == 1);
    CHECK(parallel::gemm_threads(96, 96, 96) == 1);
    CHECK(parallel::gemm_threads(1 << 30, 1 << 30, 1 << 30) == 2);  // m·n·k beyond 2^64 doesn't wrap
    for (int call = 0; call < 50; ++call) {                         // the same answer every call: nothing is measured
        Tensor c = matmul(Tensor::ones({64, 784}), Tensor::ones({784, 128}));
        REQUIRE(parallel::gemm_threads(64, 128, 784) == 2);
    }
    set_num_threads(1);
    CHECK(parallel::gemm_threads(64, 128, 784) == 1);
    set_num_threads(before);
    CHECK_THROWS_WITH(set_num_threads(0), Catch::Contains("set_num_threads: need at least 1 thread, got 0"));
}

// Before GemmThreads, a product on one thread set OpenBLAS's count for its shape while another
// thread's product was running at another count (95 of 40,000 products saw it change).
TEST_CASE("parallel: no thread changes OpenBLAS's count under another thread's running product",
          "[parallel][threads]") {
    const int before = get_num_threads();
    set_num_threads(2);
    std::atomic<bool> done{false};
    std::atomic<int> changed{0}, products{0};
    auto worker = [&](std::size_t m) {
        for (int i = 0; i < 5000; ++i) {
            const parallel::GemmThreads threads(m, 64, 64);  // what blas.cpp holds around cblas_sgemm
            std::this_thread::yield();                       // the product
            if (openblas_get_num_threads() != threads.threads()) ++changed;
            ++products;
        }
    };
    std::thread resetter([&] {  // set_num_threads from a third thread must not touch a running product either
        while (!done) set_num_threads(2);
    });
    std::thread small(worker, 16), large(worker, 4096);  // 1 thread and 2 threads
    small.join();
    large.join();
    done = true;
    resetter.join();
    CHECK(products == 10000);
    CHECK(changed == 0);
    set_num_threads(before);
}

TEST_CASE("parallel: matrix products from several threads at once agree with one thread's", "[parallel][threads]") {
    const int before = get_num_threads();
    set_num_threads(2);
    manual_seed(5);
    const Tensor small_a = Tensor::randn({16, 64}), small_b = Tensor::randn({64, 300});  // 0.3M: 1 thread
    const Tensor big_a = Tensor::randn({64, 784}), big_b = Tensor::randn({784, 128});    // 6.4M: 2 threads
    const Array small_want = matmul(small_a, small_b).data(), big_want = matmul(big_a, big_b).data();
    std::atomic<int> wrong{0};
    auto worker = [&](bool big) {
        for (int i = 0; i < 200; ++i) {
            const Array got = big ? matmul(big_a, big_b).data() : matmul(small_a, small_b).data();
            if (got != (big ? big_want : small_want)) ++wrong;  // same count, same bits
        }
    };
    std::thread a(worker, false), b(worker, true), c(worker, true);
    a.join();
    b.join();
    c.join();
    CHECK(wrong == 0);
    set_num_threads(before);
}
