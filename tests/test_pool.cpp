// The per-thread block cache behind tensor handles and nodes (core/pool.hpp).
#include "helpers.hpp"

#include <thread>

#include "core/pool.hpp"

using namespace xg;

TEST_CASE("pool: a freed block of a size class is handed out again, larger blocks are not pooled", "[pool]") {
    void* a = detail::pool_allocate(72);
    detail::pool_free(a, 72);
    void* b = detail::pool_allocate(80);  // same 16-byte class as 72
    detail::pool_free(b, 80);
    if (detail::pooling_enabled) CHECK(a == b);
    void* big = detail::pool_allocate(4096);  // straight from operator new
    detail::pool_free(big, 4096);
}

TEST_CASE("pool: tensors made on one thread and freed on another", "[pool][threads]") {
    std::vector<Tensor> made;
    std::thread maker([&] {
        for (int i = 0; i < 1000; ++i) made.push_back(Tensor::full({2}, static_cast<float>(i)).requires_grad_() * 2.0f);
    });
    maker.join();  // its cache is gone; the tensors' blocks are freed here, into this thread's
    CHECK(made[999].data()(1) == 1998.0f);
    made.clear();
    Tensor x = Tensor::ones({3}).requires_grad_();
    sum(x * x).backward();
    CHECK(test::all_close(x.grad(), Tensor::full({3}, 2.0f)));
}
