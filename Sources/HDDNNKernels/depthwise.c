// Depthwise convolution, one channel plane at a time (MobileNet's 3x3 layers).
//
// A GEMM is the wrong tool here: with one input channel per group, K = KH * KW = 9, and packing
// would dominate. Instead the plane is copied into a zero-padded scratch and each output row is
// a sum of KH * KW scaled, shifted input rows; the compiler vectorises the column loop for the
// instruction set of each wrapper below.
#include "hddnn_kernels.h"
#include "activation.h"

#include <string.h>

#define DW_LANES 16

size_t hddnn_depthwise_scratch_count(int H, int W, int pt, int pl, int pb, int pr) {
    // The padded plane, plus (for the flat stride-1 path) an output plane at the padded width;
    // or, for the channel-lanes path, DW_LANES channels of input, taps and output (a kernel and
    // an output plane are never larger than the padded plane).
    const size_t padded = (size_t)(H + pt + pb) * (W + pl + pr);
    const size_t plane = padded * 2 + 64;
    const size_t lanes = ((size_t)H * W + 2 * padded) * DW_LANES + 64;
    return plane > lanes ? plane : lanes;
}

// Small planes (MobileNet's late layers: 2x2 to 8x8) spend their time on per-plane set-up, not
// arithmetic. This path computes DW_LANES neighbouring channels at once instead, one vector
// lane per channel (the NCHWc idea of ONNX Runtime's MLAS, on a transposed copy): the channels'
// pixels are interleaved into `x[pixel][lane]`, the taps into `t[tap][lane]`, every output
// pixel is a sum of KH * KW lane-wise products, and the block is transposed back on the store.
static inline __attribute__((always_inline)) void depthwise_lanes_body(
    const float *in, int lanes, int H, int W, const float *w, int KH, int KW, int sh, int sw, int dh, int dw,
    int pt, int pl, int OH, int OW, const float *bias, const float *residual, int act, float lo, float hi,
    float *out, float *scratch) {
    const int HW = H * W, OHW = OH * OW, taps = KH * KW;
    float *restrict x = scratch, *restrict t = x + (size_t)HW * DW_LANES, *restrict o = t + (size_t)taps * DW_LANES;
    for (int i = 0; i < HW; i++)
        for (int l = 0; l < DW_LANES; l++) x[i * DW_LANES + l] = l < lanes ? in[(size_t)l * HW + i] : 0.0f;
    for (int k = 0; k < taps; k++)
        for (int l = 0; l < DW_LANES; l++) t[k * DW_LANES + l] = l < lanes ? w[(size_t)l * taps + k] : 0.0f;
    float b[DW_LANES];
    for (int l = 0; l < DW_LANES; l++) b[l] = bias && l < lanes ? bias[l] : 0.0f;
    for (int oh = 0; oh < OH; oh++)
        for (int ow = 0; ow < OW; ow++) {
            float acc[DW_LANES];
            for (int l = 0; l < DW_LANES; l++) acc[l] = b[l];
            for (int kh = 0; kh < KH; kh++) {
                const int ih = oh * sh - pt + kh * dh;
                if ((unsigned)ih >= (unsigned)H) continue;
                for (int kw = 0; kw < KW; kw++) {
                    const int iw = ow * sw - pl + kw * dw;
                    if ((unsigned)iw >= (unsigned)W) continue;
                    const float *restrict xv = x + (size_t)(ih * W + iw) * DW_LANES;
                    const float *restrict tv = t + (size_t)(kh * KW + kw) * DW_LANES;
                    for (int l = 0; l < DW_LANES; l++) acc[l] += tv[l] * xv[l];
                }
            }
            float *restrict ov = o + (size_t)(oh * OW + ow) * DW_LANES;
            for (int l = 0; l < DW_LANES; l++) ov[l] = acc[l];
        }
    for (int l = 0; l < lanes; l++) {
        float *dst = out + (size_t)l * OHW;
        const float *r = residual ? residual + (size_t)l * OHW : NULL;
        for (int i = 0; i < OHW; i++) dst[i] = hddnn_activate(o[i * DW_LANES + l] + (r ? r[i] : 0.0f), act, lo, hi);
    }
}

#define LANES_ARGS const float *in, int lanes, int H, int W, const float *w, int KH, int KW, int sh, int sw, int dh, int dw, \
    int pt, int pl, int OH, int OW, const float *bias, const float *residual, int act, float lo, float hi, float *out, float *scratch
#define LANES_PASS in, lanes, H, W, w, KH, KW, sh, sw, dh, dw, pt, pl, OH, OW, bias, residual, act, lo, hi, out, scratch

static void depthwise_lanes_generic(LANES_ARGS) { depthwise_lanes_body(LANES_PASS); }
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void depthwise_lanes_avx2(LANES_ARGS) { depthwise_lanes_body(LANES_PASS); }
__attribute__((target("avx512f"))) static void depthwise_lanes_avx512(LANES_ARGS) { depthwise_lanes_body(LANES_PASS); }
#endif

static void depthwise_lanes(hddnn_isa isa, LANES_ARGS) {
#if defined(__x86_64__)
    if (isa == HDDNN_ISA_AVX512) { depthwise_lanes_avx512(LANES_PASS); return; }
    if (isa == HDDNN_ISA_AVX2) { depthwise_lanes_avx2(LANES_PASS); return; }
#endif
    (void)isa;
    depthwise_lanes_generic(LANES_PASS);
}

static inline __attribute__((always_inline)) void depthwise_body(
    const float *in, int H, int W, const float *w, int KH, int KW, int sh, int sw, int dh, int dw,
    int pt, int pl, int pb, int pr, int OH, int OW, float bias, const float *residual, int act, float lo, float hi,
    float *out, float *pad) {
    const int PW = W + pl + pr, PH = H + pt + pb;
    memset(pad, 0, sizeof(float) * (size_t)pt * PW);
    for (int h = 0; h < H; h++) {
        float *row = pad + (size_t)(h + pt) * PW;
        for (int i = 0; i < pl; i++) row[i] = 0.0f;
        memcpy(row + pl, in + (size_t)h * W, sizeof(float) * W);
        for (int i = pl + W; i < PW; i++) row[i] = 0.0f;
    }
    memset(pad + (size_t)(H + pt) * PW, 0, sizeof(float) * (size_t)(PH - H - pt) * PW);
    if (sh == 1 && sw == 1) {
        // Stride 1: compute every output row at the padded width in one flat sweep per tap
        // (out[i] += w * pad[tap_offset + i], i over OH * PW), so even a 4x4 plane is a few
        // long vector loops; the PW - OW extra columns per row are discarded when copying out.
        float *restrict flat = pad + (size_t)PH * PW;
        const int n = (OH - 1) * PW + OW;
        for (int i = 0; i < n; i++) flat[i] = bias;
        for (int kh = 0; kh < KH; kh++)
            for (int kw = 0; kw < KW; kw++) {
                const float wv = w[kh * KW + kw];
                const float *restrict src = pad + (size_t)kh * dh * PW + kw * dw;
                for (int i = 0; i < n; i++) flat[i] += wv * src[i];
            }
        for (int oh = 0; oh < OH; oh++)
            hddnn_activate_row(out + (size_t)oh * OW, flat + (size_t)oh * PW, residual ? residual + (size_t)oh * OW : NULL,
                               OW, act, lo, hi);
        return;
    }
    for (int oh = 0; oh < OH; oh++) {
        float *o = out + (size_t)oh * OW;
        for (int ow = 0; ow < OW; ow++) o[ow] = bias;
        for (int kh = 0; kh < KH; kh++) {
            const float *src = pad + (size_t)(oh * sh + kh * dh) * PW;
            for (int kw = 0; kw < KW; kw++) {
                const float wv = w[kh * KW + kw];
                const float *s = src + kw * dw;
                if (sw == 1) {
                    for (int ow = 0; ow < OW; ow++) o[ow] += wv * s[ow];
                } else {
                    for (int ow = 0; ow < OW; ow++) o[ow] += wv * s[ow * sw];
                }
            }
        }
        if (residual) {
            const float *r = residual + (size_t)oh * OW;
            for (int ow = 0; ow < OW; ow++) o[ow] += r[ow];
        }
        if (act != HDDNN_ACT_NONE)
            for (int ow = 0; ow < OW; ow++) o[ow] = hddnn_activate(o[ow], act, lo, hi);
    }
}

#define DEPTHWISE_ARGS const float *in, int H, int W, const float *w, int KH, int KW, int sh, int sw, int dh, int dw, \
    int pt, int pl, int pb, int pr, int OH, int OW, float bias, const float *residual, int act, float lo, float hi, \
    float *out, float *pad
#define DEPTHWISE_PASS in, H, W, w, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, OH, OW, bias, residual, act, lo, hi, out, pad

static void depthwise_generic(DEPTHWISE_ARGS) { depthwise_body(DEPTHWISE_PASS); }
#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void depthwise_avx2(DEPTHWISE_ARGS) { depthwise_body(DEPTHWISE_PASS); }
__attribute__((target("avx512f"))) static void depthwise_avx512(DEPTHWISE_ARGS) { depthwise_body(DEPTHWISE_PASS); }
#endif

void hddnn_depthwise_plane(hddnn_isa isa, DEPTHWISE_ARGS) {
#if defined(__x86_64__)
    if (isa == HDDNN_ISA_AVX512) { depthwise_avx512(DEPTHWISE_PASS); return; }
    if (isa == HDDNN_ISA_AVX2) { depthwise_avx2(DEPTHWISE_PASS); return; }
#endif
    (void)isa;
    depthwise_generic(DEPTHWISE_PASS);
}

void hddnn_depthwise(hddnn_isa isa, const float *in, int plane_begin, int plane_end, int channels,
                     int H, int W, const float *weights, int KH, int KW, int sh, int sw, int dh, int dw,
                     int pt, int pl, int pb, int pr, int OH, int OW,
                     const float *bias, const float *residual, int act, float lo, float hi, float *out, float *scratch) {
    const long in_plane = (long)H * W, out_plane = (long)OH * OW;
    if (out_plane <= HDDNN_DEPTHWISE_LANES_MAX_PIXELS || !(sh == 1 && sw == 1)) {
        // DW_LANES channels of one image at a time (a group never crosses an image).
        for (int p = plane_begin; p < plane_end;) {
            const int c = p % channels;
            int lanes = plane_end - p;
            if (lanes > DW_LANES) lanes = DW_LANES;
            if (lanes > channels - c) lanes = channels - c;
            depthwise_lanes(isa, in + p * in_plane, lanes, H, W, weights + (long)c * KH * KW, KH, KW, sh, sw, dh, dw, pt, pl,
                            OH, OW, bias ? bias + c : NULL, residual ? residual + p * out_plane : NULL, act, lo, hi,
                            out + p * out_plane, scratch);
            p += lanes;
        }
        return;
    }
    const int direct = OW < 4 || (OW < 8 && !(sh == 1 && sw == 1));
    for (int p = plane_begin; p < plane_end; p++) {
        const int c = p % channels;
        const float *src = in + p * in_plane, *w = weights + (long)c * KH * KW;
        float *dst = out + p * out_plane;
        const float *res = residual ? residual + p * out_plane : NULL;
        const float b = bias ? bias[c] : 0.0f;
        if (!direct) {
            hddnn_depthwise_plane(isa, src, H, W, w, KH, KW, sh, sw, dh, dw, pt, pl, pb, pr, OH, OW,
                                  b, res, act, lo, hi, dst, scratch);
            continue;
        }
        for (int oh = 0; oh < OH; oh++)
            for (int ow = 0; ow < OW; ow++) {
                float acc = b;
                for (int kh = 0; kh < KH; kh++) {
                    int ih = oh * sh - pt + kh * dh;
                    if ((unsigned)ih >= (unsigned)H) continue;
                    for (int kw = 0; kw < KW; kw++) {
                        int iw = ow * sw - pl + kw * dw;
                        if ((unsigned)iw < (unsigned)W) acc += w[kh * KW + kw] * src[ih * W + iw];
                    }
                }
                if (res) acc += res[oh * OW + ow];
                dst[oh * OW + ow] = hddnn_activate(acc, act, lo, hi);
            }
    }
}
