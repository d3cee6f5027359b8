// A per-thread cache of small freed blocks for the tape's own objects: tensor handles
// (TensorImpl), the holders of their values and nodes, allocated through PoolAllocator.
//
// Why it exists: a training step makes a few hundred of these and frees them together when the
// graph dies. glibc keeps only 7 freed blocks of each size in its per-thread cache; the rest go
// to its shared bins, which it sorts and merges again (malloc_consolidate) whenever a larger
// buffer is asked for next, and activations are such buffers. On the PINN step (bench_pinn) that
// cost about a fifth of the time; kept here, a freed block comes back for the price of a pointer
// pop. Blocks above 512 bytes, and every block under AddressSanitizer (so that it still sees a
// use after free), go straight to operator new and delete. A thread keeps at most 4096 blocks of
// each of the 32 sizes (about 35 MB if all were full) until it exits; the memory is not trimmed.
#pragma once

#include <cstddef>
#include <new>

namespace xg::detail {

// False under AddressSanitizer (gcc's or clang's): every block goes to operator new and delete.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool pooling_enabled = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
inline constexpr bool pooling_enabled = false;
#else
inline constexpr bool pooling_enabled = true;
#endif
#else
inline constexpr bool pooling_enabled = true;
#endif

void* pool_allocate(std::size_t bytes);
void pool_free(void* p, std::size_t bytes) noexcept;

// For std::allocate_shared: std::allocate_shared<TensorImpl>(PoolAllocator<TensorImpl>()).
template <class T>
struct PoolAllocator {
    using value_type = T;
    PoolAllocator() = default;
    template <class U>
    PoolAllocator(const PoolAllocator<U>&) noexcept {}
    T* allocate(std::size_t n) {
        static_assert(alignof(T) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__, "pool blocks have operator new's alignment");
        return static_cast<T*>(pool_allocate(n * sizeof(T)));
    }
    void deallocate(T* p, std::size_t n) noexcept { pool_free(p, n * sizeof(T)); }
    template <class U>
    bool operator==(const PoolAllocator<U>&) const noexcept {
        return true;
    }
};

}  // namespace xg::detail
