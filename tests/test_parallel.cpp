// set_num_threads and the per-shape GEMM thread choice (core/parallel) used from several threads
// at once; run under ThreadSanitizer by scripts/test.sh ([threads]).
#include "helpers.hpp"

#include <atomic>
#include <thread>

using namespace xg;

TEST_CASE("parallel: GEMM tickets stay valid while another thread calls set_num_threads", "[parallel][threads]") {
    const int before = get_num_threads();
    set_num_threads(2);
    std::atomic<bool> done{false};
    std::atomic<int> bad_counts{0};
    // Each worker takes tickets for its own shapes and hands them back, as a matrix product does;
    // meanwhile set_num_threads forgets every shape, freeing the statistics the tickets point to.
    auto worker = [&](std::size_t m) {
        for (int i = 0; i < 20000; ++i) {
            const parallel::GemmTicket ticket = parallel::begin_gemm(m, 8 + i % 3, 8, false, i % 2 == 0);
            if (ticket.threads != 1 && ticket.threads != 2) ++bad_counts;
            std::this_thread::yield();  // the product
            parallel::end_gemm(ticket, 1e-6 * (1 + i % 5));
        }
    };
    std::thread resetter([&] {
        while (!done) set_num_threads(2);
    });
    std::thread a(worker, 16), b(worker, 32);
    a.join();
    b.join();
    done = true;
    resetter.join();
    CHECK(bad_counts == 0);
    CHECK(get_num_threads() == 2);
    set_num_threads(before);
}
