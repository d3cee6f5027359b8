// The thread setting, the per-shape thread count, and the gate that keeps OpenBLAS's one global
// count steady under every running product (see parallel.hpp).
#include "core/parallel.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

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

namespace xg::detail {

namespace {

// Waits for done() by spinning, for at most 50 µs: waking a thread that sleeps in the kernel
// costs tens of µs on a virtual machine, and in a training step run_tasks' jobs come that close
// together (measured: bench/README.md, fourth session). Returns whether done() became true.
template <class Done>
bool spin_until(Done done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    while (!done()) {
        for (int i = 0; i < 64; ++i) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();  // tells the core this is a spin: it slows down, and a sibling runs
#endif
        }
        if (std::chrono::steady_clock::now() > until) return false;
    }
    return true;
}

// Workers that wait for run_tasks' next job. Created when a run first needs them; they stay
// (their scratch buffers with them) until the program ends.
class Runner {
public:
    ~Runner() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        for (std::thread& t : workers_) t.join();
    }

    // The caller holds busy_; threads > 1.
    void run(std::size_t tasks, int threads, const std::function<void(std::size_t, bool)>& fn) {
        while (static_cast<int>(workers_.size()) < threads - 1) {
            const int id = static_cast<int>(workers_.size()) + 1;
            workers_.emplace_back([this, id] { work(id); });
        }
        {
            std::lock_guard lock(mutex_);
            job_ = &fn;
            tasks_ = tasks;
            threads_ = threads;
            next_ = 0;
            pending_ = threads - 1;
            error_ = nullptr;
            ++generation_;
        }
        wake_.notify_all();
        std::exception_ptr mine;
        try {
            share();
        } catch (...) {
            mine = std::current_exception();
        }
        spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; });
        std::unique_lock lock(mutex_);
        done_.wait(lock, [&] { return pending_ == 0; });
        if (mine) std::rethrow_exception(mine);
        if (error_) std::rethrow_exception(error_);
    }

    std::mutex busy;  // one run at a time; a second caller runs its tasks inline

private:
    // Tasks go to whichever thread is free (on a shared machine one thread may get no core for
    // a while); no result depends on which thread ran a task.
    void share() {
        for (std::size_t t = next_++; t < tasks_; t = next_++) (*job_)(t, true);
    }

    void work(int id) {
        std::uint64_t seen = 0;
        for (;;) {
            spin_until([&] {
                return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen;
            });
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
                if (stop_) return;
                seen = generation_;
                if (id >= threads_) continue;  // not needed this time
            }
            std::exception_ptr error;
            try {
                share();
            } catch (...) {
                error = std::current_exception();
            }
            std::lock_guard lock(mutex_);
            if (error && !error_) error_ = error;
            if (--pending_ == 0) done_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_, done_;
    std::vector<std::thread> workers_;
    const std::function<void(std::size_t, bool)>* job_ = nullptr;
    std::size_t tasks_ = 0;
    std::atomic<std::size_t> next_ = 0;
    int threads_ = 1;
    // Written under mutex_; atomic because the spinning threads read them without it.
    std::atomic<int> pending_ = 0;
    std::atomic<std::uint64_t> generation_ = 0;
    std::atomic<bool> stop_ = false;
    std::exception_ptr error_;
};

Runner& runner() {
    static Runner r;
    return r;
}

}  // namespace

void run_ranges(std::size_t n, const std::function<void(std::size_t, std::size_t)>& fn) {
    const std::size_t per_task = std::max<std::size_t>(1, (n + 7) / 8);  // so at most 8 runs
    run_tasks((n + per_task - 1) / per_task,
              [&](std::size_t t, bool) { fn(t * per_task, std::min(n, (t + 1) * per_task)); });
}

int run_tasks(std::size_t tasks, const std::function<void(std::size_t, bool)>& fn) {
    const int threads = static_cast<int>(std::min<std::size_t>(tasks, static_cast<std::size_t>(get_num_threads())));
    if (threads > 1) {
        Runner& r = runner();
        std::unique_lock busy(r.busy, std::try_to_lock);
        if (busy) {
            r.run(tasks, threads, fn);
            return threads;
        }
    }
    for (std::size_t t = 0; t < tasks; ++t) fn(t, false);
    return 1;
}

}  // namespace xg::detail
