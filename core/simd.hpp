// Runtime CPU dispatch for hot elementwise loops: XGRAD_TARGET_CLONES compiles a function for
// AVX-512, AVX2 and baseline x86-64 and picks one when the program starts (GCC's
// target_clones), so the default build stays portable and still uses wide vectors.
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define XGRAD_TARGET_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define XGRAD_TARGET_CLONES
#endif
