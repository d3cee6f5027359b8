// The per-thread block cache behind PoolAllocator (core/pool.hpp).
#include "core/pool.hpp"

#include <cstdint>

namespace xg::detail {

namespace {

constexpr bool pooling = pooling_enabled;

constexpr std::size_t granule = 16;             // size classes: 16, 32, ..., 512 bytes
constexpr std::size_t classes = 32;             // the largest pooled block: 512 bytes
constexpr std::uint32_t kept_per_class = 4096;  // beyond this, blocks go back to the heap
struct FreeBlock {
    FreeBlock* next;
};

// One free list per size class. A block freed on another thread than the one that made it simply
// joins this thread's list: every block is plain operator new memory.
struct Cache {
    FreeBlock* head[classes] = {};
    std::uint32_t count[classes] = {};
    ~Cache();
};
thread_local Cache cache;
// False once this thread's cache is destroyed: a block freed later (a static tensor, at exit)
// goes straight back to the heap.
thread_local bool cache_open = true;

Cache::~Cache() {
    cache_open = false;
    for (FreeBlock*& h : head) {
        while (h) {
            FreeBlock* next = h->next;
            ::operator delete(h);
            h = next;
        }
    }
}

// The size class of a block of `bytes`, or `classes` when it is not pooled.
std::size_t class_of(std::size_t bytes) {
    const std::size_t c = (bytes + granule - 1) / granule - 1;
    return pooling && bytes != 0 && c < classes ? c : classes;
}

}  // namespace

void* pool_allocate(std::size_t bytes) {
    const std::size_t c = class_of(bytes);
    if (c == classes) return ::operator new(bytes);
    if (cache_open && cache.head[c]) {
        FreeBlock* b = cache.head[c];
        cache.head[c] = b->next;
        --cache.count[c];
        return b;
    }
    return ::operator new((c + 1) * granule);
}

void pool_free(void* p, std::size_t bytes) noexcept {
    const std::size_t c = class_of(bytes);
    if (c == classes || !cache_open || cache.count[c] >= kept_per_class) {
        ::operator delete(p);
        return;
    }
    auto* b = static_cast<FreeBlock*>(p);
    b->next = cache.head[c];
    cache.head[c] = b;
    ++cache.count[c];
}

}  // namespace xg::detail
