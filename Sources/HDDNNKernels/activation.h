// The scalar epilogue activation every kernel applies when it stores (internal header).
#pragma once
#include "hddnn_kernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define HDDNN_X86 1
#endif

static inline float hddnn_activate(float v, int activation, float lo, float hi) {
    switch (activation) {
    case HDDNN_ACT_RELU: return v > 0.0f ? v : 0.0f;
    case HDDNN_ACT_CLIP: return v < lo ? lo : (v > hi ? hi : v);
    case HDDNN_ACT_LEAKY_RELU: return v < 0.0f ? lo * v : v;
    default: return v;
    }
}

// dst[i] = act(src[i] + residual[i]) for a row, the activation chosen once outside the loop so
// the loop vectorises (inlined into each instruction-set wrapper).
#define HDDNN_ACTIVATE_LOOP(EXPR)                                                           \
    do {                                                                                    \
        if (residual) for (int i = 0; i < n; i++) { float v = src[i] + residual[i]; dst[i] = (EXPR); } \
        else for (int i = 0; i < n; i++) { float v = src[i]; dst[i] = (EXPR); }             \
    } while (0)

static inline __attribute__((always_inline)) void hddnn_activate_row(float *restrict dst, const float *restrict src,
                                                                     const float *restrict residual, int n,
                                                                     int activation, float lo, float hi) {
    switch (activation) {
    case HDDNN_ACT_RELU: HDDNN_ACTIVATE_LOOP(v > 0.0f ? v : 0.0f); break;
    case HDDNN_ACT_CLIP: HDDNN_ACTIVATE_LOOP(v < lo ? lo : (v > hi ? hi : v)); break;
    case HDDNN_ACT_LEAKY_RELU: HDDNN_ACTIVATE_LOOP(v < 0.0f ? lo * v : v); break;
    default: HDDNN_ACTIVATE_LOOP(v); break;
    }
}

#if HDDNN_X86
// The same activations on 16 lanes, for the AVX-512 stores of the GEMM and the NHWC kernels.
__attribute__((target("avx512f")))
static inline __m512 hddnn_activate512(__m512 v, int activation, float lo, float hi) {
    switch (activation) {
    case HDDNN_ACT_RELU: return _mm512_max_ps(v, _mm512_setzero_ps());
    case HDDNN_ACT_CLIP: return _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(lo)), _mm512_set1_ps(hi));
    case HDDNN_ACT_LEAKY_RELU: {
        __mmask16 neg = _mm512_cmp_ps_mask(v, _mm512_setzero_ps(), _CMP_LT_OQ);
        return _mm512_mask_mul_ps(v, neg, v, _mm512_set1_ps(lo));
    }
    default: return v;
    }
}
#endif
