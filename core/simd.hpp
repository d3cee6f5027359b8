// Runtime CPU dispatch for hot elementwise loops: XGRAD_TARGET_CLONES compiles a function for
// AVX-512, AVX2 and baseline x86-64 and picks one when the program starts (GCC's
// target_clones), so the default build stays portable and still uses wide vectors.
//
// The pick is made by an ifunc resolver that the dynamic loader runs while it relocates the
// program, before any sanitizer runtime has initialised. Instrumented (TSan's function-entry
// hooks, ASan's), the resolver crashes before main. So sanitizer builds use the baseline
// version: the compiler says so for ASan and TSan, and CMake defines XGRAD_NO_TARGET_CLONES
// for any XGRAD_SANITIZE setting (UBSan has no macro of its own).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__) && \
    !defined(__SANITIZE_THREAD__) && !defined(XGRAD_NO_TARGET_CLONES)
#define XGRAD_TARGET_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define XGRAD_TARGET_CLONES
#endif
