// CPU feature queries for choosing a kernel build at run time (LeafXKernelsAVX2).
#ifndef LEAFX_CPU_FEATURES_H
#define LEAFX_CPU_FEATURES_H

/// 1 when the CPU and the OS support AVX2 (the OS must save the YMM state), else 0.
static inline int leafx_cpu_supports_avx2(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

#endif
