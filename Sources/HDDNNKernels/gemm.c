// Packed single-precision GEMM with an implicit-im2col B operand and a fused epilogue.
//
// Layout (after BLIS and MLAS): A (weights) is packed once at load into panels of MR rows,
// k-major (panel[k * MR + r]); for each NR-wide column panel of B and each KC-deep block, the
// B block is packed into a small KC x NR workspace that stays in L1 while every A panel streams
// past it from L2. The micro-kernel keeps an MR x NR tile of C in registers. Partial sums of
// earlier K blocks live in C itself; the last block applies bias, residual and activation.
#include "hddnn_kernels.h"
#include "activation.h"  // also <immintrin.h> and HDDNN_X86 on x86-64

#include <string.h>

hddnn_isa hddnn_cpu_isa(void) {
#if HDDNN_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) return HDDNN_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return HDDNN_ISA_AVX2;
#endif
    return HDDNN_ISA_GENERIC;
}

int hddnn_gemm_mr(hddnn_isa isa) { return isa == HDDNN_ISA_AVX512 ? 8 : isa == HDDNN_ISA_AVX2 ? 6 : 4; }
int hddnn_gemm_nr(hddnn_isa isa) { return isa == HDDNN_ISA_AVX512 ? 32 : 16; }
int hddnn_gemm_kc(hddnn_isa isa) { (void)isa; return 256; }

size_t hddnn_gemm_workspace_count(hddnn_isa isa) {
    return (size_t)hddnn_gemm_kc(isa) * hddnn_gemm_nr(isa) + 64;
}

size_t hddnn_gemm_packed_a_count(hddnn_isa isa, int M, int K) {
    int mr = hddnn_gemm_mr(isa);
    return (size_t)((M + mr - 1) / mr) * mr * K;
}

void hddnn_gemm_pack_a(hddnn_isa isa, int M, int K, const float *A, int lda, float *packed) {
    int mr = hddnn_gemm_mr(isa);
    int panels = (M + mr - 1) / mr;
    for (int p = 0; p < panels; p++) {
        float *dst = packed + (size_t)p * K * mr;
        for (int k = 0; k < K; k++)
            for (int r = 0; r < mr; r++) {
                int row = p * mr + r;
                dst[(size_t)k * mr + r] = row < M ? A[(size_t)row * lda + k] : 0.0f;
            }
    }
}

// ---------------------------------------------------------------------------------------------
// Packing B: rows k0..<k0+kc, columns n0..<n0+nr into ws[kk * nr + j], zeros outside.

typedef struct {
    long in_offset[32];   // per column: image base + (ih0 * W + iw0) for conv; column index for a matrix
    int ih0[32], iw0[32];
    int valid[32];
} column_map;

static void map_columns(const hddnn_gemm_b *b, int N, int n0, int nr, column_map *m) {
    for (int j = 0; j < nr; j++) {
        int n = n0 + j;
        m->valid[j] = n < N;
        if (b->kind != 1) { m->in_offset[j] = n; continue; }
        int per_image = b->out_h * b->out_w;
        int image = n / per_image, pos = n % per_image;
        int oh = pos / b->out_w, ow = pos % b->out_w;
        m->ih0[j] = oh * b->stride_h - b->pad_top;
        m->iw0[j] = ow * b->stride_w - b->pad_left;
        m->in_offset[j] = (long)image * b->image_stride;
    }
}

// Runs on small planes are a few floats long: fixed-size copies the compiler inlines, rather than
// a call to memcpy per run.
static inline void copy_floats(float *dst, const float *src, int n) {
    for (; n >= 8; n -= 8, dst += 8, src += 8) memcpy(dst, src, 8 * sizeof(float));
    for (; n >= 2; n -= 2, dst += 2, src += 2) memcpy(dst, src, 2 * sizeof(float));
    if (n) *dst = *src;
}

static void pack_b(const hddnn_gemm_b *b, int N, int n0, int nr, int k0, int kc, const column_map *m, float *ws) {
    if (b->kind == 2) {  // already in panels (the narrow path repacks the first columns)
        const int width = b->panel_width;
        for (int kk = 0; kk < kc; kk++)
            for (int j = 0; j < nr; j++) {
                int n = n0 + j;
                ws[(size_t)kk * nr + j] = n < N ? b->data[(size_t)(n / width) * b->ldb * width + (size_t)(k0 + kk) * width + n % width] : 0.0f;
            }
        return;
    }
    if (b->kind == 0) {
        int cols = N - n0 < nr ? N - n0 : nr;
        for (int kk = 0; kk < kc; kk++) {
            const float *src = b->data + (size_t)(k0 + kk) * b->ldb + n0;
            float *dst = ws + (size_t)kk * nr;
            memcpy(dst, src, sizeof(float) * cols);
            for (int j = cols; j < nr; j++) dst[j] = 0.0f;
        }
        return;
    }
    const int H = b->height, W = b->width, taps = b->kernel_h * b->kernel_w;
    const long plane = (long)H * W;
    // Fast path: 1x1, stride 1, no padding, all columns in one image: rows are contiguous copies.
    if (taps == 1 && b->stride_h == 1 && b->stride_w == 1 && b->pad_top == 0 && b->pad_left == 0 &&
        m->valid[nr - 1] && m->in_offset[0] == m->in_offset[nr - 1]) {
        long start = m->in_offset[0] + (long)m->ih0[0] * W + m->iw0[0];
        for (int kk = 0; kk < kc; kk++)
            memcpy(ws + (size_t)kk * nr, b->data + start + (long)(k0 + kk) * plane, sizeof(float) * nr);
        return;
    }
    // 1x1, stride 1, no padding, columns across images (2x2 and 1x1 planes at batch > 1): each
    // column reads one pixel of every channel, `plane` floats apart.
    if (taps == 1 && b->stride_h == 1 && b->stride_w == 1 && b->pad_top == 0 && b->pad_left == 0) {
        const float *column[32];
        int cols = 0;
        for (; cols < nr && m->valid[cols]; cols++)
            column[cols] = b->data + m->in_offset[cols] + (long)m->ih0[cols] * W + m->iw0[cols] + (long)k0 * plane;
        for (int kk = 0; kk < kc; kk++) {
            float *dst = ws + (size_t)kk * nr;
            const long k = (long)kk * plane;
            for (int j = 0; j < cols; j++) dst[j] = column[j][k];
            for (int j = cols; j < nr; j++) dst[j] = 0.0f;
        }
        return;
    }
    // General case, by runs: columns that share an image and an output row read one input row
    // at consecutive (or strided) positions, so each run is a copy with zeroed edges, not a
    // bounds check per element.
    int run_start[33], run_count = 0;
    for (int j = 0; j < nr; j++) {
        if (j == 0 || !m->valid[j] || !m->valid[j - 1] || m->in_offset[j] != m->in_offset[j - 1] ||
            m->ih0[j] != m->ih0[j - 1] || m->iw0[j] != m->iw0[j - 1] + b->stride_w)
            run_start[run_count++] = j;
    }
    run_start[run_count] = nr;
    const int sw = b->stride_w;
    for (int kk = 0; kk < kc; kk++) {
        int k = k0 + kk;
        int c = k / taps, t = k % taps;
        int kh = t / b->kernel_w, kw = t % b->kernel_w;
        int dh = kh * b->dilation_h, dw = kw * b->dilation_w;
        const float *src = b->data + (long)c * plane;
        float *dst = ws + (size_t)kk * nr;
        for (int r = 0; r < run_count; r++) {
            int j0 = run_start[r], len = run_start[r + 1] - j0;
            int ih = m->ih0[j0] + dh;
            if (!m->valid[j0] || (unsigned)ih >= (unsigned)H) {
                memset(dst + j0, 0, sizeof(float) * len);
                continue;
            }
            int iw = m->iw0[j0] + dw;
            // Valid positions: 0 <= iw + i * sw < W.
            int lo = iw >= 0 ? 0 : (-iw + sw - 1) / sw;
            int hi = iw >= W ? 0 : (W - iw + sw - 1) / sw;
            if (hi > len) hi = len;
            if (lo > hi) lo = hi;
            const float *row = src + m->in_offset[j0] + (long)ih * W + iw;
            for (int i = 0; i < lo; i++) dst[j0 + i] = 0.0f;
            if (sw == 1) copy_floats(dst + j0 + lo, row + lo, hi - lo);
            else for (int i = lo; i < hi; i++) dst[j0 + i] = row[i * sw];
            for (int i = hi; i < len; i++) dst[j0 + i] = 0.0f;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Storing a tile: accumulate into C for later K blocks, epilogue on the last.

static void store_tile(const float *tile, int mr, int nr, int m0, int M, int n0, int N,
                       const hddnn_gemm_c *c, int first, int last) {
    int rows = M - m0 < mr ? M - m0 : mr;
    int cols = N - n0 < nr ? N - n0 : nr;
    // Where each column of the tile lives in C (columns may run across images), computed once
    // per tile rather than once per element.
    long column[32];
    for (int j = 0, image = n0 / c->cols_per_image, pos = n0 % c->cols_per_image; j < cols; j++) {
        column[j] = (long)image * c->image_stride + pos;
        if (++pos == c->cols_per_image) { pos = 0; image++; }
    }
    if (c->ldc == 1) {
        // 1x1 planes: a column's rows are neighbours in C, so go column by column.
        float bias[8];
        for (int r = 0; r < rows; r++) bias[r] = (last && c->bias) ? c->bias[m0 + r] : 0.0f;
        for (int j = 0; j < cols; j++) {
            float *dst = c->data + m0 + column[j];
            const float *res = c->residual ? c->residual + m0 + column[j] : NULL;
            for (int r = 0; r < rows; r++) {
                float v = tile[(size_t)r * nr + j];
                if (!first) v += dst[r];
                if (last) v = hddnn_activate(v + bias[r] + (res ? res[r] : 0.0f), c->activation, c->lo, c->hi);
                dst[r] = v;
            }
        }
        return;
    }
    for (int r = 0; r < rows; r++) {
        int m = m0 + r;
        const float *t = tile + (size_t)r * nr;
        const long row = (long)m * c->ldc;
        float bias = (last && c->bias) ? c->bias[m] : 0.0f;
        for (int j = 0; j < cols; j++) {
            const long off = row + column[j];
            float v = t[j];
            if (!first) v += c->data[off];
            if (last) {
                v += bias;
                if (c->residual) v += c->residual[off];
                v = hddnn_activate(v, c->activation, c->lo, c->hi);
            }
            c->data[off] = v;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Micro-kernels: tile[MR][NR] = sum_k a[k][r] * b[k][j].

static void kernel_generic(int kc, const float *a, const float *b, float *tile, const void *direct) {
    (void)direct;
    float acc[4][16] = {{0}};
    for (int k = 0; k < kc; k++)
        for (int r = 0; r < 4; r++) {
            float av = a[k * 4 + r];
            for (int j = 0; j < 16; j++) acc[r][j] += av * b[k * 16 + j];
        }
    memcpy(tile, acc, sizeof acc);
}

#if HDDNN_X86
__attribute__((target("avx2,fma")))
static void kernel_avx2(int kc, const float *a, const float *b, float *tile, const void *direct) {
    (void)direct;
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int k = 0; k < kc; k++, a += 6, b += 16) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8), av;
        av = _mm256_broadcast_ss(a + 0); c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01);
        av = _mm256_broadcast_ss(a + 1); c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11);
        av = _mm256_broadcast_ss(a + 2); c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21);
        av = _mm256_broadcast_ss(a + 3); c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31);
        av = _mm256_broadcast_ss(a + 4); c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41);
        av = _mm256_broadcast_ss(a + 5); c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51);
    }
    _mm256_storeu_ps(tile + 0, c00);  _mm256_storeu_ps(tile + 8, c01);
    _mm256_storeu_ps(tile + 16, c10); _mm256_storeu_ps(tile + 24, c11);
    _mm256_storeu_ps(tile + 32, c20); _mm256_storeu_ps(tile + 40, c21);
    _mm256_storeu_ps(tile + 48, c30); _mm256_storeu_ps(tile + 56, c31);
    _mm256_storeu_ps(tile + 64, c40); _mm256_storeu_ps(tile + 72, c41);
    _mm256_storeu_ps(tile + 80, c50); _mm256_storeu_ps(tile + 88, c51);
}

// The full-tile fast path: C rows are contiguous (one image, NR columns), so the kernel
// updates C in place with vector loads and stores and applies the epilogue itself.
typedef struct {
    float *c;            // C[m0][n0]
    long ldc;
    long second;         // offset of the tile's column 16 from its column 0 (16 within one image)
    const float *residual; // same offsets as c, or NULL
    const float *bias;     // bias + m0, or NULL
    int first, last, activation;
    float lo, hi;
} direct_tile;

__attribute__((target("avx512f")))
static inline __m512 epilogue512(__m512 v, const direct_tile *d, int r, long off) {
    if (d->bias) v = _mm512_add_ps(v, _mm512_set1_ps(d->bias[r]));
    if (d->residual) v = _mm512_add_ps(v, _mm512_loadu_ps(d->residual + off));
    return hddnn_activate512(v, d->activation, d->lo, d->hi);
}

__attribute__((target("avx512f")))
static void kernel_avx512(int kc, const float *a, const float *b, float *tile, const direct_tile *d) {
    __m512 acc[8][2];
    for (int r = 0; r < 8; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    for (int k = 0; k < kc; k++, a += 8, b += 32) {
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
#pragma clang loop unroll(full)
        for (int r = 0; r < 8; r++) {
            __m512 av = _mm512_set1_ps(a[r]);
            acc[r][0] = _mm512_fmadd_ps(av, b0, acc[r][0]);
            acc[r][1] = _mm512_fmadd_ps(av, b1, acc[r][1]);
        }
    }
    if (!d) {
        for (int r = 0; r < 8; r++) { _mm512_storeu_ps(tile + r * 32, acc[r][0]); _mm512_storeu_ps(tile + r * 32 + 16, acc[r][1]); }
        return;
    }
    for (int r = 0; r < 8; r++) {
        for (int h = 0; h < 2; h++) {
            long off = r * d->ldc + (h ? d->second : 0);
            __m512 v = acc[r][h];
            if (!d->first) v = _mm512_add_ps(v, _mm512_loadu_ps(d->c + off));
            if (d->last) v = epilogue512(v, d, r, off);
            _mm512_storeu_ps(d->c + off, v);
        }
    }
}
#endif

// ---------------------------------------------------------------------------------------------
// Narrow B (N <= 8 columns: late ResNet layers at batch 1, spatial 2x2 or 1x1). A wide tile would
// waste up to 31 of 32 lanes; here the work is a matrix-vector product bound by reading A, so
// the whole K is done in one pass over each A panel, vectorised over the (up to) 8 columns.

enum { NARROW = 8 };

static inline __attribute__((always_inline)) void narrow_body(int kc, int mr, const float *a, const float *b, float *tile) {
    float acc[8][NARROW];
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < NARROW; j++) acc[r][j] = 0.0f;
    for (int k = 0; k < kc; k++) {
        const float *bk = b + (size_t)k * NARROW;
        for (int r = 0; r < mr; r++) {
            const float av = a[(size_t)k * mr + r];
            for (int j = 0; j < NARROW; j++) acc[r][j] += av * bk[j];
        }
    }
    for (int r = 0; r < mr; r++)
        for (int j = 0; j < NARROW; j++) tile[r * NARROW + j] = acc[r][j];
}

static void narrow_generic(int kc, int mr, int cols, const float *a, const float *b, float *tile) { (void)cols; narrow_body(kc, mr, a, b, tile); }
#if HDDNN_X86
__attribute__((target("avx2,fma"))) static void narrow_avx2(int kc, int mr, int cols, const float *a, const float *b, float *tile) {
    (void)cols;
    if (mr == 6) narrow_body(kc, 6, a, b, tile); else narrow_body(kc, mr, a, b, tile);
}
// MR = 8: one ymm holds a k-step of a panel. One column is a chain of FMAs, so it is split over
// four accumulators (k unrolled by 4); several columns are independent chains already.
__attribute__((target("avx2,fma"))) static void narrow_avx512(int kc, int mr, int cols, const float *a, const float *b, float *tile) {
    if (mr != 8) { narrow_body(kc, mr, a, b, tile); return; }
    __m256 acc[NARROW];
    for (int j = 0; j < NARROW; j++) acc[j] = _mm256_setzero_ps();
    int k = 0;
    if (cols == 1) {
        __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
        for (; k + 4 <= kc; k += 4) {
            // A streams from L3; the hardware prefetcher alone leaves this loop latency-bound.
            _mm_prefetch((const char *)(a + (k + 64) * 8), _MM_HINT_T0);
            _mm_prefetch((const char *)(a + (k + 66) * 8), _MM_HINT_T0);
            s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (k + 0) * 8), _mm256_broadcast_ss(b + (k + 0) * NARROW), s0);
            s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (k + 1) * 8), _mm256_broadcast_ss(b + (k + 1) * NARROW), s1);
            s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (k + 2) * 8), _mm256_broadcast_ss(b + (k + 2) * NARROW), s2);
            s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + (k + 3) * 8), _mm256_broadcast_ss(b + (k + 3) * NARROW), s3);
        }
        for (; k < kc; k++) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + k * 8), _mm256_broadcast_ss(b + k * NARROW), s0);
        acc[0] = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
    } else if (cols <= 4) {
        // Two banks of accumulators (even and odd k) so each column has two FMA chains.
        __m256 odd[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
        for (; k + 2 <= kc; k += 2) {
            _mm_prefetch((const char *)(a + (k + 64) * 8), _MM_HINT_T0);
            __m256 a0 = _mm256_loadu_ps(a + k * 8), a1 = _mm256_loadu_ps(a + (k + 1) * 8);
            const float *b0 = b + (size_t)k * NARROW, *b1 = b0 + NARROW;
            for (int j = 0; j < 4; j++) {
                acc[j] = _mm256_fmadd_ps(a0, _mm256_broadcast_ss(b0 + j), acc[j]);
                odd[j] = _mm256_fmadd_ps(a1, _mm256_broadcast_ss(b1 + j), odd[j]);
            }
        }
        for (; k < kc; k++) {
            __m256 av = _mm256_loadu_ps(a + k * 8);
            for (int j = 0; j < 4; j++) acc[j] = _mm256_fmadd_ps(av, _mm256_broadcast_ss(b + (size_t)k * NARROW + j), acc[j]);
        }
        for (int j = 0; j < 4; j++) acc[j] = _mm256_add_ps(acc[j], odd[j]);
    } else {
        for (; k < kc; k++) {
            if ((k & 1) == 0) _mm_prefetch((const char *)(a + (k + 64) * 8), _MM_HINT_T0);
            __m256 av = _mm256_loadu_ps(a + k * 8);
            const float *bk = b + (size_t)k * NARROW;
            for (int j = 0; j < NARROW; j++) acc[j] = _mm256_fmadd_ps(av, _mm256_broadcast_ss(bk + j), acc[j]);
        }
    }
    // acc[j] holds column j for rows 0..7; the tile is row-major [8][NARROW].
    float col[8];
    for (int j = 0; j < NARROW; j++) {
        _mm256_storeu_ps(col, acc[j]);
        for (int r = 0; r < 8; r++) tile[r * NARROW + j] = col[r];
    }
}
#endif

static void gemm_narrow(hddnn_isa isa, int M, int N, int K, const float *packed_a, const hddnn_gemm_b *b,
                        const hddnn_gemm_c *c, int p_begin, int p_end, float *workspace) {
    const int mr = hddnn_gemm_mr(isa), kcmax = hddnn_gemm_kc(isa) * hddnn_gemm_nr(isa) / NARROW;
    column_map map;
    float tile[8 * NARROW];
    map_columns(b, N, 0, NARROW, &map);
    void (*kernel)(int, int, int, const float *, const float *, float *) = narrow_generic;
#if HDDNN_X86
    if (isa == HDDNN_ISA_AVX512) kernel = narrow_avx512;
    else if (isa == HDDNN_ISA_AVX2) kernel = narrow_avx2;
#endif
    for (int k0 = 0; k0 < K; k0 += kcmax) {
        int kc = K - k0 < kcmax ? K - k0 : kcmax;
        pack_b(b, N, 0, NARROW, k0, kc, &map, workspace);
        for (int p = p_begin; p < p_end; p++) {
            kernel(kc, mr, N, packed_a + ((size_t)p * K + k0) * mr, workspace, tile);
            store_tile(tile, mr, NARROW, p * mr, M, 0, N, c, k0 == 0, k0 + kc >= K);
        }
    }
}

typedef void (*micro_kernel)(int, const float *, const float *, float *, const void *);

static micro_kernel kernel_for(hddnn_isa isa) {
#if HDDNN_X86
    if (isa == HDDNN_ISA_AVX512) return (micro_kernel)kernel_avx512;
    if (isa == HDDNN_ISA_AVX2) return kernel_avx2;
#endif
    (void)isa;
    return kernel_generic;
}

void hddnn_gemm(hddnn_isa isa, int M, int N, int K, const float *packed_a, const hddnn_gemm_b *b,
                const hddnn_gemm_c *c, int m_begin, int m_end, int n_begin, int n_end, float *workspace) {
    const int mr = hddnn_gemm_mr(isa), nr = hddnn_gemm_nr(isa), kcmax = hddnn_gemm_kc(isa);
    const int p_begin = m_begin / mr, p_end = ((m_end < M ? m_end : M) + mr - 1) / mr;
    micro_kernel kernel = kernel_for(isa);
    float tile[8 * 32];
    column_map map;
    if (n_end > N) n_end = N;
    if (N <= NARROW) {
        if (n_begin == 0) gemm_narrow(isa, M, N, K, packed_a, b, c, p_begin, p_end, workspace);
        return;
    }
    for (int n0 = n_begin; n0 < n_end; n0 += nr) {
        map_columns(b, N, n0, nr, &map);
        for (int k0 = 0; k0 < K; k0 += kcmax) {
            int kc = K - k0 < kcmax ? K - k0 : kcmax;
            const float *bp = workspace;
            if (b->kind == 2 && b->panel_width == nr) bp = b->data + (size_t)(n0 / nr) * b->ldb * nr + (size_t)k0 * nr;
            else pack_b(b, N, n0, nr, k0, kc, &map, workspace);
            // Full tiles inside one image are updated in place by kernels that support it.
            // Each 16-column half must lie inside one image (its columns contiguous in C); the two
            // halves may sit in different images (small planes: 4x4, 8x8 at batch > 1).
            int image = n0 / c->cols_per_image, pos = n0 % c->cols_per_image;
            int image2 = (n0 + 16) / c->cols_per_image, pos2 = (n0 + 16) % c->cols_per_image;
            int direct_ok = isa == HDDNN_ISA_AVX512 && n0 + nr <= N && pos + 16 <= c->cols_per_image
                && pos2 + 16 <= c->cols_per_image;
            long second = (long)(image2 - image) * c->image_stride + pos2 - pos;
            for (int p = p_begin; p < p_end; p++) {
                const float *ap = packed_a + ((size_t)p * K + k0) * mr;
                if (direct_ok && (p + 1) * mr <= M) {
                    long off = (long)image * c->image_stride + (long)p * mr * c->ldc + pos;
                    direct_tile d = {c->data + off, c->ldc, second, c->residual ? c->residual + off : NULL,
                                     c->bias ? c->bias + p * mr : NULL, k0 == 0, k0 + kc >= K,
                                     c->activation, c->lo, c->hi};
                    kernel(kc, ap, bp, tile, &d);
                } else {
                    kernel(kc, ap, bp, tile, NULL);
                    store_tile(tile, mr, nr, p * mr, M, n0, N, c, k0 == 0, k0 + kc >= K);
                }
            }
        }
    }
}
