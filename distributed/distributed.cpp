// The process group on Open MPI: init/destroy, the collectives with their cross-rank checks, the
// watchdog, and the handler that ends the job when a rank's exception escapes main.
#include "distributed/distributed.hpp"

#include <mpi.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "core/error.hpp"

namespace xg::distributed {

namespace {

using Clock = std::chrono::steady_clock;

// Ends the job when a collective waits longer than the timeout. It never calls MPI (an MPI call
// from a second thread would need MPI_THREAD_MULTIPLE, and the stuck main thread holds MPI):
// it prints and _exits, and mpirun, seeing a rank die, ends the others.
class Watchdog {
public:
    Watchdog(int rank, int world_size, std::chrono::milliseconds timeout)
        : rank_(rank), world_size_(world_size), timeout_(timeout), thread_([this] { run(); }) {}
    ~Watchdog() {
        {
            std::lock_guard lock(mutex_);
            stop_ = true;
        }
        wake_.notify_all();
        thread_.join();
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

    void start(std::string what) {
        std::lock_guard lock(mutex_);
        what_ = std::move(what);
        started_ = Clock::now();
        busy_ = true;
    }
    void finish() {
        std::lock_guard lock(mutex_);
        busy_ = false;
    }

private:
    void run() {
        // Checks often enough that the job ends within about a tenth of the timeout after it.
        const auto poll = std::clamp(timeout_ / 10, std::chrono::milliseconds(1), std::chrono::milliseconds(1000));
        std::unique_lock lock(mutex_);
        while (!stop_) {
            wake_.wait_for(lock, poll);
            if (stop_ || !busy_ || Clock::now() - started_ <= timeout_) continue;
            const double waited = std::chrono::duration<double>(Clock::now() - started_).count();
            char message[1024];
            const int n = std::snprintf(
                message, sizeof message,
                "xgrad.distributed: rank %d of %d: %s has waited %.1f s for the other ranks, longer than the "
                "timeout of %.1f s; ending the job. A rank stopped calling collectives (it hangs, or it left "
                "early), or the ranks called them in different orders.\n",
                rank_, world_size_, what_.c_str(), waited, std::chrono::duration<double>(timeout_).count());
            if (n > 0) {
                const ssize_t written = ::write(2, message, std::min<std::size_t>(std::size_t(n), sizeof message - 1));
                (void)written;  // nothing left to do if stderr is gone
            }
            ::_exit(1);
        }
    }

    const int rank_, world_size_;
    const std::chrono::milliseconds timeout_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stop_ = false, busy_ = false;
    std::string what_;  // "all_reduce #12 (sum of 1024 values)"
    Clock::time_point started_;
    std::thread thread_;  // last: starts once the members it reads exist
};

struct Group {
    bool initialized = false;
    bool mpi = false;       // launched by mpirun: MPI_Init was called (by us, or before us)
    bool owns_mpi = false;  // we called MPI_Init, so we call MPI_Finalize
    int rank = 0, size = 1;
    std::uint64_t seq = 0;  // collectives called so far: the watchdog's and errors' "#12"
    std::unique_ptr<Watchdog> watchdog;
    std::terminate_handler previous_terminate = nullptr;

    // At exit, for a rank that didn't call destroy_process_group: typically one that caught an
    // error and returned 1 from main. MPI_Finalize would wait for the other ranks, which may be
    // waiting for this one; ending the job says why at once (and mpirun would end it anyway on
    // seeing a rank exit without finalizing).
    ~Group() {
        if (!initialized || !mpi) return;
        std::fprintf(stderr,
                     "xgrad.distributed: rank %d of %d is exiting without destroy_process_group(); ending the job so "
                     "that the other ranks don't wait for it\n",
                     rank, size);
        std::fflush(stderr);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
};

Group& group() {
    static Group g;
    return g;
}

// Set by mpirun (Open MPI), or by a PMI/PMIx launcher (srun, other MPIs' mpiexec).
bool launched_by_mpi() {
    return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMIX_RANK") || std::getenv("PMI_RANK");
}

// A rank whose exception escapes main would otherwise die alone while the others wait for it in
// their next collective; MPI_Abort ends them all, after saying why.
[[noreturn]] void end_job_on_terminate() {
    std::string why = "std::terminate was called";
    if (std::exception_ptr e = std::current_exception()) {
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& x) {
            why = std::string("uncaught exception: ") + x.what();
        } catch (...) {
            why = "uncaught exception of a type not derived from std::exception";
        }
    }
    std::fprintf(stderr, "xgrad.distributed: rank %d of %d: %s; ending the job\n", group().rank, group().size,
                 why.c_str());
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, 1);
    std::abort();
}

// What each collective compares across ranks before moving data, and names in errors.
enum class Kind : std::int64_t { all_reduce = 1, broadcast, all_gather, barrier, broadcast_text, all_gather_int };
const char* kind_name(std::int64_t k) {
    static const char* names[] = {"?",       "all_reduce",     "broadcast",     "all_gather",
                                  "barrier", "broadcast_text", "all_gather_int"};
    return k >= 1 && k <= 6 ? names[k] : "?";
}
const char* op_name(std::int64_t op) {
    static const char* names[] = {"sum", "mean", "max", "min"};
    return op >= 0 && op <= 3 ? names[op] : "?";
}

// One collective, from the cross-rank check to the end of its data transfer: numbered, watched.
class Collective {
public:
    Collective(const std::string& who, Kind kind, std::int64_t count, std::int64_t arg, std::string detail)
        : who_(who), seq_(++group().seq) {
        detail::require_initialized(who.c_str());
        if (!group().mpi) return;
        group().watchdog->start(std::string(kind_name(static_cast<std::int64_t>(kind))) + " #" + std::to_string(seq_) +
                                " (" + detail + ")");
        watched_ = true;
        try {
            check_same(kind, count, arg);
        } catch (...) {  // a constructor that throws runs no destructor: stop the watch here
            group().watchdog->finish();
            throw;
        }
    }
    ~Collective() {
        if (watched_) group().watchdog->finish();
    }
    Collective(const Collective&) = delete;
    Collective& operator=(const Collective&) = delete;
    bool mpi() const { return group().mpi; }

private:
    // Every rank learns the largest and the smallest (kind, count, arg) of all ranks in one
    // MPI_Allreduce (max of v and of -v), so they all see a mismatch and all throw the same
    // Error: no rank goes on to a transfer the others won't join.
    void check_same(Kind kind, std::int64_t count, std::int64_t arg) {
        const std::int64_t mine[3] = {static_cast<std::int64_t>(kind), count, arg};
        std::int64_t v[6] = {mine[0], mine[1], mine[2], -mine[0], -mine[1], -mine[2]};
        MPI_Allreduce(MPI_IN_PLACE, v, 6, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
        const std::string at =
            who_ + " (collective #" + std::to_string(seq_) + ") on rank " + std::to_string(group().rank) + ": ";
        if (v[0] != -v[3]) {
            throw Error(at + "this rank called " + kind_name(mine[0]) + " while another rank called " +
                        kind_name(v[0] == mine[0] ? -v[3] : v[0]) +
                        "; every rank must call the same collectives in the same order");
        }
        if (v[1] != -v[4]) {
            throw Error(at + "this rank passes " + std::to_string(count) + " values, but the ranks pass between " +
                        std::to_string(-v[4]) + " and " + std::to_string(v[1]) +
                        "; every rank must pass a tensor of the same shape");
        }
        if (v[2] != -v[5]) {
            const bool op = kind == Kind::all_reduce;
            auto name = [&](std::int64_t a) { return op ? std::string(op_name(a)) : std::to_string(a); };
            throw Error(at + "this rank passes " + (op ? "op " : "src ") + name(arg) + " but another rank passes " +
                        name(v[2] == arg ? -v[5] : v[2]) + "; every rank must pass the same " + (op ? "op" : "src"));
        }
    }

    std::string who_;
    std::uint64_t seq_;
    bool watched_ = false;
};

int checked_count(std::size_t count, const std::string& who) {
    if (count > static_cast<std::size_t>(INT_MAX))
        throw Error(who + ": " + std::to_string(count) + " values is more than one MPI call moves (INT_MAX)");
    return static_cast<int>(count);
}

void check_src(int src, const std::string& who) {
    if (src < 0 || src >= group().size)
        throw Error(who + ": src " + std::to_string(src) + " is not a rank (world size " +
                    std::to_string(group().size) + ")");
}

}  // namespace

void init_process_group(ProcessGroupOptions options) {
    Group& g = group();
    if (g.initialized) throw Error("init_process_group: already initialized (call destroy_process_group() first)");
    if (options.timeout <= std::chrono::milliseconds(0))
        throw Error("init_process_group: timeout must be positive, got " + std::to_string(options.timeout.count()) +
                    " ms");
    g.seq = 0;
    g.mpi = launched_by_mpi();
    if (g.mpi) {
        int already = 0;
        MPI_Initialized(&already);
        if (!already) {
            // A rank waiting in a collective yields its core (sched_yield) instead of spinning, unless
            // the user set this: on a machine shared with other work, spinning took the core the
            // slower rank needed (bench_ddp, 2 ranks on 2 busy cores: 11k samples/s spinning, 24k
            // yielding); with nothing else to run, a yield returns at once.
            setenv("OMPI_MCA_mpi_yield_when_idle", "1", /*overwrite=*/0);
            // Only the main thread calls MPI; the watchdog never does.
            int provided = 0;
            MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
            g.owns_mpi = true;
        }
        MPI_Comm_rank(MPI_COMM_WORLD, &g.rank);
        MPI_Comm_size(MPI_COMM_WORLD, &g.size);
        g.watchdog = std::make_unique<Watchdog>(g.rank, g.size, options.timeout);
        g.previous_terminate = std::set_terminate(end_job_on_terminate);
    } else {
        g.rank = 0;
        g.size = 1;
    }
    g.initialized = true;
}

void destroy_process_group() {
    Group& g = group();
    if (!g.initialized) return;
    if (g.mpi) {
        {
            // MPI_Finalize waits for the other ranks (Open MPI's finalize is a fence): watched too.
            g.watchdog->start("destroy_process_group #" + std::to_string(++g.seq) + " (MPI_Finalize)");
            if (g.owns_mpi) MPI_Finalize();
            g.watchdog->finish();
        }
        g.watchdog.reset();
        std::set_terminate(g.previous_terminate);
    }
    g.initialized = false;
    g.mpi = g.owns_mpi = false;
    g.rank = 0;
    g.size = 1;
}

bool is_initialized() { return group().initialized; }
int get_rank() { return group().rank; }
int get_world_size() { return group().size; }

void detail::require_initialized(const char* who) {
    if (!group().initialized)
        throw Error(std::string(who) +
                    ": the process group is not initialized; call distributed::init_process_group() first");
}

void detail::all_reduce(float* values, std::size_t count, ReduceOp op, const char* who) {
    const auto code = static_cast<std::int64_t>(op);
    Collective c(who, Kind::all_reduce, static_cast<std::int64_t>(count), code,
                 std::string(op_name(code)) + " of " + std::to_string(count) + " values");
    if (!c.mpi()) return;  // one rank: the sum, mean, max and min of one value is that value
    const MPI_Op mpi_op = op == ReduceOp::max ? MPI_MAX : op == ReduceOp::min ? MPI_MIN : MPI_SUM;
    MPI_Allreduce(MPI_IN_PLACE, values, checked_count(count, who), MPI_FLOAT, mpi_op, MPI_COMM_WORLD);
    if (op == ReduceOp::mean) {
        const float n = static_cast<float>(group().size);
        for (std::size_t i = 0; i < count; ++i) values[i] /= n;
    }
}

void detail::broadcast(float* values, std::size_t count, int src, const char* who) {
    check_src(src, who);
    Collective c(who, Kind::broadcast, static_cast<std::int64_t>(count), src,
                 std::to_string(count) + " values from rank " + std::to_string(src));
    if (c.mpi()) MPI_Bcast(values, checked_count(count, who), MPI_FLOAT, src, MPI_COMM_WORLD);
}

std::string detail::broadcast_text(const std::string& text, int src, const char* who) {
    check_src(src, who);
    Collective c(who, Kind::broadcast_text, 0, src, "text from rank " + std::to_string(src));
    if (!c.mpi()) return text;
    std::int64_t length = static_cast<std::int64_t>(text.size());
    MPI_Bcast(&length, 1, MPI_INT64_T, src, MPI_COMM_WORLD);
    std::string out = group().rank == src ? text : std::string(static_cast<std::size_t>(length), '\0');
    MPI_Bcast(out.data(), checked_count(out.size(), who), MPI_CHAR, src, MPI_COMM_WORLD);
    return out;
}

std::vector<std::int64_t> detail::all_gather_int(std::int64_t value, const char* who) {
    Collective c(who, Kind::all_gather_int, 1, 0, "one integer");
    std::vector<std::int64_t> out(static_cast<std::size_t>(group().size), value);
    if (c.mpi()) MPI_Allgather(&value, 1, MPI_INT64_T, out.data(), 1, MPI_INT64_T, MPI_COMM_WORLD);
    return out;
}

void all_reduce(Tensor& tensor, ReduceOp op) {
    const std::string who = "all_reduce of " + shape_str(tensor.shape());
    detail::all_reduce(tensor.data().data(), tensor.numel(), op, who.c_str());
}

void broadcast(Tensor& tensor, int src) {
    const std::string who = "broadcast of " + shape_str(tensor.shape());
    detail::broadcast(tensor.data().data(), tensor.numel(), src, who.c_str());
}

std::vector<Tensor> all_gather(const Tensor& tensor) {
    const std::string who = "all_gather of " + shape_str(tensor.shape());
    const std::size_t n = tensor.numel();
    Collective c(who, Kind::all_gather, static_cast<std::int64_t>(n), 0, std::to_string(n) + " values");
    const auto size = static_cast<std::size_t>(group().size);
    std::vector<float> all(n * size);
    const float* mine = tensor.data().data();
    if (c.mpi()) {
        const int count = checked_count(n, who);
        MPI_Allgather(mine, count, MPI_FLOAT, all.data(), count, MPI_FLOAT, MPI_COMM_WORLD);
    } else {
        std::copy(mine, mine + n, all.begin());
    }
    std::vector<Tensor> out;
    for (std::size_t r = 0; r < size; ++r) out.push_back(Tensor::from_values(tensor.shape(), all.data() + r * n));
    return out;
}

void barrier() {
    Collective c("barrier", Kind::barrier, 0, 0, "barrier");
    if (c.mpi()) MPI_Barrier(MPI_COMM_WORLD);
}

}  // namespace xg::distributed
