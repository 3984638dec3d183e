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
