// The scalar epilogue activation every kernel applies when it stores (internal header).
#pragma once
#include "hddnn_kernels.h"

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
