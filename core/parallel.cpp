// Thread count and the per-shape GEMM thread choice (see parallel.hpp).
#include "core/parallel.hpp"

#include <cblas.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "core/error.hpp"
#include "core/format.hpp"

namespace xg {

namespace {

constexpr int trials = 6;      // timed calls per thread count before a shape decides
constexpr int recheck = 4096;  // calls after which a shape measures again: the machine changes

struct ShapeStats {
    std::vector<double> one, many;
    int decided = 0;  // 0: measuring; otherwise the thread count to use
    int calls = 0;    // since the decision
};

struct Tuner {
    std::mutex mutex;
    int threads = 0;               // what set_num_threads asked for (0: OpenBLAS's own default)
    int current = -1;              // what OpenBLAS is set to now
    std::uint64_t generation = 0;  // bumped whenever `shapes` is cleared
    std::map<std::tuple<std::size_t, std::size_t, std::size_t, bool, bool>, ShapeStats> shapes;
};

Tuner& tuner() {
    static Tuner t;
    return t;
}

void apply(Tuner& t, int n) {
    if (t.current != n) {
        openblas_set_num_threads(n);
        t.current = n;
    }
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

void set_num_threads(int n) {
    if (n < 1) throw Error("set_num_threads: need at least 1 thread, got " + format_number(n));
    Tuner& t = tuner();
    std::lock_guard lock(t.mutex);
    t.threads = n;
    t.shapes.clear();  // choices made for another count no longer hold
    ++t.generation;    // and tickets still out point into the old map
    apply(t, n);
}

int get_num_threads() {
    Tuner& t = tuner();
    std::lock_guard lock(t.mutex);
    return t.threads ? t.threads : openblas_get_num_threads();
}

namespace parallel {

GemmTicket begin_gemm(std::size_t m, std::size_t n, std::size_t k, bool ta, bool tb) {
    Tuner& t = tuner();
    std::lock_guard lock(t.mutex);
    if (t.threads == 0) t.threads = openblas_get_num_threads();
    GemmTicket ticket;
    if (t.threads <= 1) {
        apply(t, 1);
        return ticket;
    }
    ShapeStats& s = t.shapes[{m, n, k, ta, tb}];
    if (s.decided && ++s.calls >= recheck) s = ShapeStats{};
    if (s.decided) {
        ticket.threads = s.decided;
    } else {
        ticket.slot = &s;  // std::map nodes don't move; the map is only ever cleared as a whole
        ticket.generation = t.generation;
        ticket.use_n = s.many.size() < s.one.size();
        ticket.threads = ticket.use_n ? t.threads : 1;
    }
    apply(t, ticket.threads);
    return ticket;
}

void end_gemm(const GemmTicket& ticket, double seconds) {
    if (!ticket.slot) return;
    Tuner& t = tuner();
    std::lock_guard lock(t.mutex);
    if (ticket.generation != t.generation) return;  // set_num_threads freed the slot meanwhile
    auto& s = *static_cast<ShapeStats*>(ticket.slot);
    if (s.decided) return;
    (ticket.use_n ? s.many : s.one).push_back(seconds);
    if (s.one.size() >= trials && s.many.size() >= trials) {
        s.decided = median(s.many) < 0.9 * median(s.one) ? t.threads : 1;
    }
}

}  // namespace parallel
}  // namespace xg
