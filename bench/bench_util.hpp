// Shared by the benchmarks: a clock, medians, peak memory, and the RESULT line format.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
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

}  // namespace bench
