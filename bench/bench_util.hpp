// Shared by the benchmarks: a clock, medians, peak memory, and the RESULT line format.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "core/format.hpp"

namespace bench {

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n == 0 ? 0.0 : (n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]));
}

// Peak resident memory of this process so far, in MB.
inline double max_rss_mb() {
    rusage r{};
    getrusage(RUSAGE_SELF, &r);
    return static_cast<double>(r.ru_maxrss) / 1024.0;
}

// Every digit (format_number's shortest round trip): run.py reads the value back as a double.
inline void result(const std::string& key, double value) {
    std::printf("RESULT %s=%s\n", key.c_str(), xg::format_number(value).c_str());
}

// Runs `step` (one training step, returning its loss) `steps` times per repeat, `repeats` times,
// then reports the median time per step (us_per_step, steps_per_s), the peak RSS, and the last
// loss on stderr (a check that the peers train the same thing).
template <class Step>
void time_steps(int steps, int repeats, Step&& step) {
    std::vector<double> per_step;
    float last = 0.0f;
    for (int r = 0; r < repeats; ++r) {
        const auto t = Clock::now();
        for (int s = 0; s < steps; ++s) last = step();
        per_step.push_back(seconds_since(t) / steps);
    }
    std::fprintf(stderr, "final loss %.6f\n", last);
    result("us_per_step", 1e6 * median(per_step));
    result("steps_per_s", 1.0 / median(per_step));
    result("max_rss_mb", max_rss_mb());
}

// main's body, with an error (a missing data folder, a bad --arch) printed as "name: message" and
// exit code 2 rather than std::terminate's abort.
template <class Body>
int run_main(const char* name, Body&& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s: %s\n", name, e.what());
        return 2;
    }
}

}  // namespace bench
