// The thread setting, the per-shape thread count, and the gate that keeps OpenBLAS's one global
// count steady under every running product (see parallel.hpp).
#include "core/parallel.hpp"

#include <cblas.h>

#include <condition_variable>
#include <mutex>

#include "core/error.hpp"
#include "core/format.hpp"

namespace xg {

namespace {

struct Gate {
    std::mutex mutex;
    std::condition_variable changed;
    int setting = 0;    // what set_num_threads asked for (0: not asked; OpenBLAS's default then)
    int current = -1;   // what OpenBLAS is set to now (-1: not set by us yet)
    int running = 0;    // products running at `current` threads
    int switching = 0;  // products waiting for the others to finish so they can change `current`
};

Gate& gate() {
    static Gate g;
    return g;
}

// The setting, read from OpenBLAS the first time if no one called set_num_threads. Under the lock.
int setting(Gate& g) {
    if (g.setting == 0) g.setting = openblas_get_num_threads();
    return g.setting;
}

}  // namespace

void set_num_threads(int n) {
    if (n < 1) throw Error("set_num_threads: need at least 1 thread, got " + format_number(n));
    Gate& g = gate();
    std::lock_guard lock(g.mutex);
    g.setting = n;  // OpenBLAS itself is set by the next product that needs another count
}

int get_num_threads() {
    Gate& g = gate();
    std::lock_guard lock(g.mutex);
    return setting(g);
}

namespace parallel {

namespace {
int threads_for(std::size_t m, std::size_t n, std::size_t k, int setting) {
    const double work = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k);  // no overflow
    return work >= static_cast<double>(gemm_threads_from) ? setting : 1;
}
}  // namespace

int gemm_threads(std::size_t m, std::size_t n, std::size_t k) {
    Gate& g = gate();
    std::lock_guard lock(g.mutex);
    return threads_for(m, n, k, setting(g));
}

GemmThreads::GemmThreads(std::size_t m, std::size_t n, std::size_t k) {
    Gate& g = gate();
    std::unique_lock lock(g.mutex);
    threads_ = threads_for(m, n, k, setting(g));
    if (g.current == threads_ && g.switching == 0) {
        ++g.running;  // the common case: the count is already right; join the products running at it
        return;
    }
    // Wait until no product runs, then set the count. Products that could join the current count
    // wait too while one is switching, so a stream of them can't starve it.
    ++g.switching;
    g.changed.wait(lock, [&] { return g.running == 0; });
    --g.switching;
    if (g.current != threads_) {
        openblas_set_num_threads(threads_);
        g.current = threads_;
    }
    ++g.running;
}

GemmThreads::~GemmThreads() {
    Gate& g = gate();
    std::lock_guard lock(g.mutex);
    if (--g.running == 0) g.changed.notify_all();
}

}  // namespace parallel
}  // namespace xg
