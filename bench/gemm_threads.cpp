// How core/parallel.cpp's gemm_threads_from (the multiply-add count from which a product runs on
// every thread) was measured: cblas_sgemm at 1 and at 2 OpenBLAS threads on the product shapes
// xgrad's trainers run, interleaved, the median of many rounds each. Not built by CMake (it is
// run once per machine type, by hand):
//   g++ -O2 -std=c++20 bench/gemm_threads.cpp -o /tmp/gemm_threads -lopenblas && /tmp/gemm_threads
// Prints one line per shape: m n k, m·n·k, then the median and the fastest round's µs per call at 1
// and at 2 threads, each with the ratio 1-thread time / 2-thread time (above 1: two threads win).
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

namespace {

struct Shape {
    int m, n, k;
    bool ta, tb;
};

// Seconds per call of C[m, n] = op(A) op(B), over enough calls to last about 1 ms.
double time_gemm(const Shape& s, int threads, std::vector<float>& a, std::vector<float>& b, std::vector<float>& c) {
    openblas_set_num_threads(threads);
    const double work = static_cast<double>(s.m) * s.n * s.k;
    const int calls = std::max(1, static_cast<int>(1e-3 / (work / 20e9)));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < calls; ++i)
        cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, s.m, s.n, s.k,
                    1.0f, a.data(), s.ta ? s.m : s.k, b.data(), s.tb ? s.k : s.n, 0.0f, c.data(), s.n);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / calls;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main() {
    // The MLPs' products (forward x·Wᵀ, then g·W and gᵀ·x in backward) at batch 64 and 256, the
    // CNN's im2col products ([O, C·k·k] · [C·k·k, N·L]), and squares around the crossover.
    const std::vector<Shape> shapes = {
        {64, 32, 784, false, true},    {64, 64, 784, false, true},    {64, 128, 784, false, true},
        {64, 784, 128, false, false},  {128, 784, 64, true, false},   {64, 256, 784, false, true},
        {64, 784, 256, false, false},  {256, 784, 64, true, false},   {64, 128, 256, false, true},
        {128, 256, 64, true, false},   {256, 128, 784, false, true},  {256, 784, 128, false, false},
        {128, 784, 256, true, false},  {8, 12544, 36, false, false},  {16, 3136, 72, false, false},
        {16, 12544, 72, false, false}, {64, 96, 64, false, false},    {80, 80, 80, false, false},
        {96, 96, 96, false, false},    {128, 128, 128, false, false}, {160, 160, 160, false, false},
        {192, 192, 192, false, false}, {256, 256, 256, false, false}, {384, 384, 384, false, false},
        {512, 512, 512, false, false},
    };
    // Rounds go over every shape in turn, 1 then 2 threads, so that each shape meets the moments
    // the other core is free (on a shared machine it comes and goes) as often as the others.
    const int rounds = 301;
    struct Buffers {
        std::vector<float> a, b, c;
    };
    std::vector<Buffers> buffers;
    for (const Shape& s : shapes)
        buffers.push_back({std::vector<float>(static_cast<std::size_t>(s.m) * s.k, 0.5f),
                           std::vector<float>(static_cast<std::size_t>(s.k) * s.n, 0.25f),
                           std::vector<float>(static_cast<std::size_t>(s.m) * s.n)});
    std::vector<std::vector<double>> one(shapes.size()), two(shapes.size());
    for (int r = 0; r < rounds; ++r)
        for (std::size_t i = 0; i < shapes.size(); ++i) {
            one[i].push_back(time_gemm(shapes[i], 1, buffers[i].a, buffers[i].b, buffers[i].c));
            two[i].push_back(time_gemm(shapes[i], 2, buffers[i].a, buffers[i].b, buffers[i].c));
        }
    std::printf("%6s %6s %6s %12s %10s %10s %8s %10s %10s %8s\n", "m", "n", "k", "m*n*k", "median 1", "median 2", "1/2",
                "fastest 1", "fastest 2", "1/2");
    for (std::size_t i = 0; i < shapes.size(); ++i) {
        const Shape& s = shapes[i];
        // The fastest round estimates an idle machine; the median, this one as it was.
        const double t1 = median(one[i]), t2 = median(two[i]);
        const double f1 = *std::min_element(one[i].begin(), one[i].end());
        const double f2 = *std::min_element(two[i].begin(), two[i].end());
        std::printf("%6d %6d %6d %12.0f %10.1f %10.1f %8.2f %10.1f %10.1f %8.2f\n", s.m, s.n, s.k,
                    static_cast<double>(s.m) * s.n * s.k, t1 * 1e6, t2 * 1e6, t1 / t2, f1 * 1e6, f2 * 1e6, f1 / f2);
    }
    return 0;
}
