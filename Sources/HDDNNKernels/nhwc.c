// Channels-last (NHWC) kernels for chains of depthwise and pointwise convolutions (MobileNet's
// depthwise-separable blocks).
//
// In NCHW a depthwise convolution on a small plane has nothing to vectorise over but a few
// pixels, and a pointwise convolution on it packs its operand for the GEMM and scatters its
// output. With channels last, both vectorise over channels: a depthwise tap is one vector
// multiply-add per 16 channels, and a pointwise convolution is a product of the (pixels x C_in)
// activation matrix, read in place, and weights packed once at load in panels of NR output
// channels; its output rows are stored whole. The batch folds into the pixel dimension. A chain
// is reordered to NHWC once on entry and back on exit (ONNX Runtime's MLAS does the same with
// its NCHWc blocked layout).
#include "hddnn_kernels.h"
#include "activation.h"  // also <immintrin.h> and HDDNN_X86 on x86-64

#include <string.h>


void hddnn_transpose_batch(const float *in, int N, int rows, int cols, float *out) {
    const size_t size = (size_t)rows * cols;
    for (int n = 0; n < N; n++) {
        const float *src = in + (size_t)n * size;
        float *dst = out + (size_t)n * size;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) dst[(size_t)c * rows + r] = src[(size_t)r * cols + c];
    }
}

// ---------------------------------------------------------------------------------------------
// Pointwise: out[p][m] = act(bias[m] + sum_k in[p][k] * w[m][k]), weights packed as panels of NR
// output channels, k-major (panel[k * NR + j]), zero-padded.

enum { PW_ROWS = 8 };

size_t hddnn_pointwise_packed_count(hddnn_isa isa, int M, int K) {
    const int nr = hddnn_gemm_nr(isa);
    return (size_t)((M + nr - 1) / nr) * nr * K;
}

void hddnn_pointwise_pack(hddnn_isa isa, int M, int K, const float *w, float *packed) {
    const int nr = hddnn_gemm_nr(isa);
    for (int q = 0; q < (M + nr - 1) / nr; q++)
        for (int k = 0; k < K; k++)
            for (int j = 0; j < nr; j++) {
                int m = q * nr + j;
                packed[((size_t)q * K + k) * nr + j] = m < M ? w[(size_t)m * K + k] : 0.0f;
            }
}

// Portable body: PW_ROWS pixels x NR channels of accumulators, the lane loops vectorised by the
// compiler for each instruction set's wrapper.
#define PW_BODY(NR)                                                                                          \
    const int panels = (M + NR - 1) / NR;                                                                    \
    for (int q = 0; q < panels; q++) {                                                                       \
        const float *wp = packed + (size_t)q * K * NR;                                                       \
        const int c0 = q * NR, cols = M - c0 < NR ? M - c0 : NR;                                             \
        float b[NR];                                                                                         \
        for (int j = 0; j < NR; j++) b[j] = bias && j < cols ? bias[c0 + j] : 0.0f;                          \
        for (int p0 = p_begin; p0 < p_end; p0 += PW_ROWS) {                                                  \
            const int rows = p_end - p0 < PW_ROWS ? p_end - p0 : PW_ROWS;                                    \
            const float *a[PW_ROWS];                                                                         \
            for (int r = 0; r < PW_ROWS; r++) a[r] = in + (size_t)(p0 + (r < rows ? r : 0)) * K;             \
            float acc[PW_ROWS][NR];                                                                          \
            for (int r = 0; r < PW_ROWS; r++)                                                                \
                for (int j = 0; j < NR; j++) acc[r][j] = b[j];                                               \
            for (int k = 0; k < K; k++) {                                                                    \
                const float *wk = wp + (size_t)k * NR;                                                       \
                for (int r = 0; r < PW_ROWS; r++) {                                                          \
                    const float av = a[r][k];                                                                \
                    for (int j = 0; j < NR; j++) acc[r][j] += av * wk[j];                                    \
                }                                                                                            \
            }                                                                                                \
            for (int r = 0; r < rows; r++) {                                                                 \
                float *o = out + (size_t)(p0 + r) * M + c0;                                                  \
                for (int j = 0; j < cols; j++) o[j] = hddnn_activate(acc[r][j], act, lo, hi);                \
            }                                                                                                \
        }                                                                                                    \
    }

#define PW_ARGS int M, int K, const float *in, const float *packed, const float *bias, int act, float lo, float hi, \
    float *out, int p_begin, int p_end

static void pointwise_generic(PW_ARGS) { PW_BODY(16) }
#if HDDNN_X86
__attribute__((target("avx2,fma"))) static void pointwise_avx2(PW_ARGS) { PW_BODY(16) }

// AVX-512: 8 pixels x 32 channels in 16 registers; each k is two weight loads and eight
// broadcasts of the pixels' k-th input channel, read straight from the activations.
__attribute__((target("avx512f")))
static void pointwise_avx512(PW_ARGS) {
    const int panels = (M + 31) / 32;
    for (int q = 0; q < panels; q++) {
        const float *wp = packed + (size_t)q * K * 32;
        const int c0 = q * 32, cols = M - c0 < 32 ? M - c0 : 32;
        const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
        const __mmask16 m1 = cols <= 16 ? 0 : cols >= 32 ? 0xFFFF : (__mmask16)((1u << (cols - 16)) - 1);
        const __m512 b0 = bias ? _mm512_maskz_loadu_ps(m0, bias + c0) : _mm512_setzero_ps();
        const __m512 b1 = bias ? _mm512_maskz_loadu_ps(m1, bias + c0 + 16) : _mm512_setzero_ps();
        for (int p0 = p_begin; p0 < p_end; p0 += PW_ROWS) {
            const int rows = p_end - p0 < PW_ROWS ? p_end - p0 : PW_ROWS;
            const float *a[PW_ROWS];
            for (int r = 0; r < PW_ROWS; r++) a[r] = in + (size_t)(p0 + (r < rows ? r : 0)) * K;
            __m512 acc[PW_ROWS][2];
            for (int r = 0; r < PW_ROWS; r++) { acc[r][0] = b0; acc[r][1] = b1; }
            for (int k = 0; k < K; k++) {
                const __m512 w0 = _mm512_loadu_ps(wp + (size_t)k * 32), w1 = _mm512_loadu_ps(wp + (size_t)k * 32 + 16);
#pragma clang loop unroll(full)
                for (int r = 0; r < PW_ROWS; r++) {
                    const __m512 av = _mm512_set1_ps(a[r][k]);
                    acc[r][0] = _mm512_fmadd_ps(av, w0, acc[r][0]);
                    acc[r][1] = _mm512_fmadd_ps(av, w1, acc[r][1]);
                }
            }
            for (int r = 0; r < rows; r++) {
                float *o = out + (size_t)(p0 + r) * M + c0;
                _mm512_mask_storeu_ps(o, m0, hddnn_activate512(acc[r][0], act, lo, hi));
                if (m1) _mm512_mask_storeu_ps(o + 16, m1, hddnn_activate512(acc[r][1], act, lo, hi));
            }
        }
    }
}
#endif

void hddnn_pointwise_nhwc(hddnn_isa isa, int M, int K, const float *in, const float *packed, const float *bias,
                          int act, float lo, float hi, float *out, int p_begin, int p_end) {
#if HDDNN_X86
    if (isa == HDDNN_ISA_AVX512) { pointwise_avx512(M, K, in, packed, bias, act, lo, hi, out, p_begin, p_end); return; }
    if (isa == HDDNN_ISA_AVX2) { pointwise_avx2(M, K, in, packed, bias, act, lo, hi, out, p_begin, p_end); return; }
#endif
    pointwise_generic(M, K, in, packed, bias, act, lo, hi, out, p_begin, p_end);
}

// ---------------------------------------------------------------------------------------------
// Depthwise: out[n][oh][ow][c] = act(bias[c] + sum_taps w[tap][c] * in[n][ih][iw][c]), with the
// weights stored tap-major so each tap is a contiguous row of C values.

static inline __attribute__((always_inline)) void depthwise_nhwc_body(
    const float *in, int H, int W, int C, const float *w, int KH, int KW, int sh, int sw, int dh, int dw, int pt,
    int pl, int OH, int OW, const float *bias, int act, float lo, float hi, float *out, int row_begin, int row_end) {
    for (int row = row_begin; row < row_end; row++) {
        const int n = row / OH, oh = row % OH;
        for (int ow = 0; ow < OW; ow++) {
            float *restrict o = out + ((size_t)row * OW + ow) * C;
            for (int c = 0; c < C; c++) o[c] = bias ? bias[c] : 0.0f;
            for (int kh = 0; kh < KH; kh++) {
                const int ih = oh * sh - pt + kh * dh;
                if ((unsigned)ih >= (unsigned)H) continue;
                for (int kw = 0; kw < KW; kw++) {
                    const int iw = ow * sw - pl + kw * dw;
                    if ((unsigned)iw >= (unsigned)W) continue;
                    const float *restrict x = in + (((size_t)n * H + ih) * W + iw) * C;
                    const float *restrict t = w + (size_t)(kh * KW + kw) * C;
                    for (int c = 0; c < C; c++) o[c] += t[c] * x[c];
                }
            }
            switch (act) {
            case HDDNN_ACT_RELU: for (int c = 0; c < C; c++) o[c] = o[c] > 0.0f ? o[c] : 0.0f; break;
            case HDDNN_ACT_NONE: break;
            default: for (int c = 0; c < C; c++) o[c] = hddnn_activate(o[c], act, lo, hi); break;
            }
        }
    }
}

#define DW_ARGS const float *in, int H, int W, int C, const float *w, int KH, int KW, int sh, int sw, int dh, int dw, \
    int pt, int pl, int OH, int OW, const float *bias, int act, float lo, float hi, float *out, int row_begin, int row_end
#define DW_PASS in, H, W, C, w, KH, KW, sh, sw, dh, dw, pt, pl, OH, OW, bias, act, lo, hi, out, row_begin, row_end

static void depthwise_nhwc_generic(DW_ARGS) { depthwise_nhwc_body(DW_PASS); }
#if HDDNN_X86
__attribute__((target("avx2,fma"))) static void depthwise_nhwc_avx2(DW_ARGS) { depthwise_nhwc_body(DW_PASS); }
__attribute__((target("avx512f"))) static void depthwise_nhwc_avx512(DW_ARGS) { depthwise_nhwc_body(DW_PASS); }
#endif

void hddnn_depthwise_nhwc(hddnn_isa isa, DW_ARGS) {
#if HDDNN_X86
    if (isa == HDDNN_ISA_AVX512) { depthwise_nhwc_avx512(DW_PASS); return; }
    if (isa == HDDNN_ISA_AVX2) { depthwise_nhwc_avx2(DW_PASS); return; }
#endif
    depthwise_nhwc_generic(DW_PASS);
}
