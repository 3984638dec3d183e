// Winograd F(4x4, 3x3) for 3x3, stride-1 convolutions (Lavin & Gray, 2016).
//
// Each 4x4 output tile is computed from a 6x6 input tile as Y = A^T [(G g G^T) . (B^T d B)] A:
// 36 multiplications instead of 144. Across channels and tiles the element-wise products become
// 36 independent GEMMs, U_xi (M x C) times V_xi (C x tiles), run by `hddnn_gemm`.
//
// The interpolation points are 0, 1, -1, 2, -1/2 and infinity rather than the usual 0, +-1, +-2:
// in float32 over 512 channels their largest error was 2.5 to 4 times smaller (measured against a
// float64 direct sum on uniform and on post-ReLU-like data, Barabasz et al. 2020 explain why):
//
//   B^T = [1  3/2   -2 -3/2     1 0]   G = [    1     0     0]   A^T = [1  1  1 1     1 0]
//         [0   -1 -5/2 -1/2     1 0]       [ -1/3  -1/3  -1/3]         [0  1 -1 2  -1/2 0]
//         [0    1  1/2 -5/2     1 0]       [  1/3  -1/3   1/3]         [0  1  1 4   1/4 0]
//         [0 -1/2   -1  1/2     1 0]       [ 1/15  2/15  4/15]         [0  1 -1 8  -1/8 1]
//         [0    2   -1   -2     1 0]       [-16/15 8/15 -4/15]
//         [0    1  3/2   -2  -3/2 1]       [    0     0     1]
//
// The transformed weights are never stored: they are computed per run, one block of output
// channels at a time, straight from the im2col-packed weights the GEMM path keeps anyway
// (a panel's 8 rows are the 8 vector lanes), so Winograd costs no memory beyond its scratch.
// The input and output transforms run 16 tiles at a time, one vector lane per tile.
//
// ### References
// A. Lavin and S. Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016.
// B. Barabasz, A. Anderson, K. M. Soodhalter and D. Gregg, "Error Analysis and Improving the
//    Accuracy of Winograd Convolution for Deep Neural Networks", ACM TOMS 46(4), 2020.
#include "hddnn_kernels.h"
#include "activation.h"

#include <string.h>

enum { WG_LANES = 16, WG_TILE = 6, WG_OUT = 4, WG_XI = 36 };

// ---------------------------------------------------------------------------------------------
// The three transforms on vectors of lanes. `x[k]` is row (or column) k of a tile, lanes wide.

#define LANE_LOOP for (int l = 0; l < lanes_; l++)

// y = B^T x (6 -> 6)
static inline __attribute__((always_inline)) void bt6(const float *x[6], float *y[6], int lanes_) {
    LANE_LOOP {
        float x0 = x[0][l], x1 = x[1][l], x2 = x[2][l], x3 = x[3][l], x4 = x[4][l], x5 = x[5][l];
        y[0][l] = x0 + 1.5f * (x1 - x3) - 2.0f * x2 + x4;
        y[1][l] = -x1 - 2.5f * x2 - 0.5f * x3 + x4;
        y[2][l] = x1 + 0.5f * x2 - 2.5f * x3 + x4;
        y[3][l] = 0.5f * (x3 - x1) - x2 + x4;
        y[4][l] = 2.0f * (x1 - x3) - x2 + x4;
        y[5][l] = x1 + 1.5f * (x2 - x4) - 2.0f * x3 + x5;
    }
}

// y = G x (3 -> 6)
static inline __attribute__((always_inline)) void g3(const float *x[3], float *y[6], int lanes_) {
    LANE_LOOP {
        float x0 = x[0][l], x1 = x[1][l], x2 = x[2][l];
        y[0][l] = x0;
        y[1][l] = (-1.0f / 3.0f) * (x0 + x1 + x2);
        y[2][l] = (1.0f / 3.0f) * (x0 - x1 + x2);
        y[3][l] = (1.0f / 15.0f) * x0 + (2.0f / 15.0f) * x1 + (4.0f / 15.0f) * x2;
        y[4][l] = (-16.0f / 15.0f) * x0 + (8.0f / 15.0f) * x1 - (4.0f / 15.0f) * x2;
        y[5][l] = x2;
    }
}

// y = A^T x (6 -> 4)
static inline __attribute__((always_inline)) void at6(const float *x[6], float *y[4], int lanes_) {
    LANE_LOOP {
        float x0 = x[0][l], x1 = x[1][l], x2 = x[2][l], x3 = x[3][l], x4 = x[4][l], x5 = x[5][l];
        float s12 = x1 + x2, d12 = x1 - x2;
        y[0][l] = x0 + s12 + x3 + x4;
        y[1][l] = d12 + 2.0f * x3 - 0.5f * x4;
        y[2][l] = s12 + 4.0f * x3 + 0.25f * x4;
        y[3][l] = d12 + 8.0f * x3 - 0.125f * x4 + x5;
    }
}

// ---------------------------------------------------------------------------------------------
// Weights: per panel of MR output channels and per input channel, the 9 taps of the packed A
// (k = c * 9 + tap, MR rows contiguous) become 36 packed values, U_xi[panel][c][row].

enum { WG_MR_MAX = 8 };

static inline __attribute__((always_inline)) void weights_body(const float *packed_a, const int mr, int C, int p_begin,
                                                               int p_end, float *u, long u_stride) {
    const int lanes_ = WG_MR_MAX;
    for (int p = p_begin; p < p_end; p++)
        for (int c = 0; c < C; c++) {
            const float *src = packed_a + ((size_t)p * C * 9 + (size_t)c * 9) * mr;
            float g[9][WG_MR_MAX], t[6][3][WG_MR_MAX], w[6][6][WG_MR_MAX];
            for (int k = 0; k < 9; k++)
                for (int l = 0; l < WG_MR_MAX; l++) g[k][l] = l < mr ? src[k * mr + l] : 0.0f;
            for (int j = 0; j < 3; j++) {  // columns of g: t[.][j] = G g[.][j]
                const float *x[3] = {g[0 * 3 + j], g[1 * 3 + j], g[2 * 3 + j]};
                float *y[6] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]};
                g3(x, y, lanes_);
            }
            for (int i = 0; i < 6; i++) {  // rows of t: w[i][.] = G t[i][.]
                const float *x[3] = {t[i][0], t[i][1], t[i][2]};
                float *y[6] = {w[i][0], w[i][1], w[i][2], w[i][3], w[i][4], w[i][5]};
                g3(x, y, lanes_);
            }
            float *dst = u + ((size_t)(p - p_begin) * C + c) * mr;
            for (int xi = 0; xi < WG_XI; xi++)
                for (int l = 0; l < mr; l++) dst[xi * u_stride + l] = w[xi / 6][xi % 6][l];
        }
}

// ---------------------------------------------------------------------------------------------
// Input: 16 tiles at a time. Each lane's 6x6 window is gathered (zeros outside the image), then
// transformed channel by channel and written to V_xi[c][tile].

typedef struct {
    long base[WG_LANES];        // offset of the window's top-left corner in the image batch
    int row_ok[WG_TILE][WG_LANES], col_ok[WG_TILE][WG_LANES];
    int interior[WG_LANES];
    int lanes;
} tile_group;

static void map_tiles(long first, int lanes, int tiles_h, int tiles_w, int H, int W, long image_stride,
                      int pad_top, int pad_left, int step, tile_group *g) {
    const long per_image = (long)tiles_h * tiles_w;
    g->lanes = lanes;
    for (int l = 0; l < WG_LANES; l++) {
        long tile = first + (l < lanes ? l : 0);
        long image = tile / per_image, rest = tile % per_image;
        int y0 = (int)(rest / tiles_w) * step - pad_top, x0 = (int)(rest % tiles_w) * step - pad_left;
        g->base[l] = image * image_stride + (long)y0 * W + x0;
        for (int k = 0; k < WG_TILE; k++) {
            g->row_ok[k][l] = (unsigned)(y0 + k) < (unsigned)H;
            g->col_ok[k][l] = (unsigned)(x0 + k) < (unsigned)W;
        }
        g->interior[l] = y0 >= 0 && x0 >= 0 && y0 + WG_TILE <= H && x0 + WG_TILE <= W;
    }
}

static inline __attribute__((always_inline)) void input_body(const float *in, int C, int H, int W, const tile_group *g,
                                                             long matrix, int width, int t0, float *v) {
    const int lanes_ = WG_LANES;
    const long plane = (long)H * W;
    for (int c = 0; c < C; c++) {
        const float *src = in + c * plane;
        float d[6][6][WG_LANES], t[6][6][WG_LANES];
        for (int l = 0; l < WG_LANES; l++) {
            const float *s = src + g->base[l];
            if (g->interior[l]) {
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++) d[i][j][l] = s[(long)i * W + j];
            } else {
                for (int i = 0; i < 6; i++)
                    for (int j = 0; j < 6; j++) d[i][j][l] = g->row_ok[i][l] && g->col_ok[j][l] ? s[(long)i * W + j] : 0.0f;
            }
        }
        for (int j = 0; j < 6; j++) {  // columns: t[.][j] = B^T d[.][j]
            const float *x[6] = {d[0][j], d[1][j], d[2][j], d[3][j], d[4][j], d[5][j]};
            float *y[6] = {t[0][j], t[1][j], t[2][j], t[3][j], t[4][j], t[5][j]};
            bt6(x, y, lanes_);
        }
        for (int i = 0; i < 6; i++) {  // rows: d[i][.] = B^T t[i][.] (reusing d)
            const float *x[6] = {t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5]};
            float *y[6] = {d[i][0], d[i][1], d[i][2], d[i][3], d[i][4], d[i][5]};
            bt6(x, y, lanes_);
        }
        // Packed for the GEMM (B kind 2): panels of `width` tiles, each C x width; all 16 lanes are
        // written (unused ones repeat a real tile), so a panel holds no uninitialised columns.
        float *dst = v + (long)(t0 / width) * C * width + (long)c * width + t0 % width;
        for (int xi = 0; xi < WG_XI; xi++)
            for (int l = 0; l < WG_LANES; l++) dst[xi * matrix + l] = d[xi / 6][xi % 6][l];
    }
}

// ---------------------------------------------------------------------------------------------
// Output: 16 tiles at a time, the 36 products of each row (output channel) back to a 4x4 tile,
// with bias, residual and activation.

static inline __attribute__((always_inline)) void output_body(const float *mm, int rows, int m_begin, int OH,
                                                              int OW, const tile_group *g, int tile_count, int t0,
                                                              float *out, const float *bias, const float *residual,
                                                              int activation, float lo, float hi) {
    const int lanes_ = WG_LANES;
    const long matrix = (long)rows * tile_count, plane = (long)OH * OW;
    for (int r = 0; r < rows; r++) {
        const int m = m_begin + r;
        const float b = bias ? bias[m] : 0.0f;
        float s[6][6][WG_LANES], t[4][6][WG_LANES], y[4][4][WG_LANES];
        const float *src = mm + (long)r * tile_count + t0;
        // Lanes past the last tile read as zeros (the product matrices end there).
        const int lanes = g->lanes;
        for (int xi = 0; xi < WG_XI; xi++) {
            const float *row = src + xi * matrix;
            float *dst = s[xi / 6][xi % 6];
            if (lanes == WG_LANES) memcpy(dst, row, sizeof(float) * WG_LANES);
            else for (int l = 0; l < WG_LANES; l++) dst[l] = l < lanes ? row[l] : 0.0f;
        }
        for (int j = 0; j < 6; j++) {  // columns: t[.][j] = A^T s[.][j]
            const float *x[6] = {s[0][j], s[1][j], s[2][j], s[3][j], s[4][j], s[5][j]};
            float *yy[4] = {t[0][j], t[1][j], t[2][j], t[3][j]};
            at6(x, yy, lanes_);
        }
        for (int i = 0; i < 4; i++) {  // rows: y[i][.] = A^T t[i][.]
            const float *x[6] = {t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5]};
            float *yy[4] = {y[i][0], y[i][1], y[i][2], y[i][3]};
            at6(x, yy, lanes_);
        }
        // Bias, residual and activation on whole vectors of lanes; only the loads of the residual
        // and the stores go tile by tile (base: the output tile's corner plus the channel's plane).
        float z[4][4][WG_LANES];
        if (residual) {
            for (int l = 0; l < g->lanes; l++) {
                const long base = g->base[l] + (long)m * plane;
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++)
                        z[i][j][l] = g->row_ok[i][l] && g->col_ok[j][l] ? residual[base + (long)i * OW + j] : 0.0f;
            }
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++)
                    for (int l = 0; l < WG_LANES; l++) y[i][j][l] += z[i][j][l];
        }
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 4; j++)
                for (int l = 0; l < WG_LANES; l++) y[i][j][l] += b;
        hddnn_activate_row(&z[0][0][0], &y[0][0][0], NULL, 4 * 4 * WG_LANES, activation, lo, hi);
        for (int l = 0; l < g->lanes; l++) {
            const long base = g->base[l] + (long)m * plane;
            for (int i = 0; i < 4 && g->row_ok[i][l]; i++)
                for (int j = 0; j < 4 && g->col_ok[j][l]; j++) out[base + (long)i * OW + j] = z[i][j][l];
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One body per instruction set (the compiler vectorises the lane loops for each).

#define WEIGHTS_ARGS const float *packed_a, int C, int p_begin, int p_end, float *u, long u_stride
#define WEIGHTS_PASS packed_a, C, p_begin, p_end, u, u_stride
#define INPUT_ARGS const float *in, int C, int H, int W, const tile_group *g, long matrix, int width, int t0, float *v
#define INPUT_PASS in, C, H, W, g, matrix, width, t0, v
#define OUTPUT_ARGS const float *mm, int rows, int m_begin, int OH, int OW, const tile_group *g, int tile_count, \
    int t0, float *out, const float *bias, const float *residual, int activation, float lo, float hi
#define OUTPUT_PASS mm, rows, m_begin, OH, OW, g, tile_count, t0, out, bias, residual, activation, lo, hi

// Each instruction set's MR is a constant here, so the weight transform's lane loops unroll.
#define WG_VARIANTS(suffix, attr, mr)                                                        \
    attr static void weights_##suffix(WEIGHTS_ARGS) { weights_body(packed_a, mr, C, p_begin, p_end, u, u_stride); } \
    attr static void input_##suffix(INPUT_ARGS) { input_body(INPUT_PASS); }                 \
    attr static void output_##suffix(OUTPUT_ARGS) { output_body(OUTPUT_PASS); }

WG_VARIANTS(generic, , 4)
#if defined(__x86_64__)
WG_VARIANTS(avx2, __attribute__((target("avx2,fma"))), 6)
WG_VARIANTS(avx512, __attribute__((target("avx512f"))), 8)
#define WG_DISPATCH(isa, name, pass)                                      \
    do {                                                                  \
        if ((isa) == HDDNN_ISA_AVX512) { name##_avx512 pass; return; }    \
        if ((isa) == HDDNN_ISA_AVX2) { name##_avx2 pass; return; }        \
        name##_generic pass;                                              \
    } while (0)
#else
#define WG_DISPATCH(isa, name, pass) do { (void)(isa); name##_generic pass; } while (0)
#endif

static void input_group(hddnn_isa isa, INPUT_ARGS) { WG_DISPATCH(isa, input, (INPUT_PASS)); }
static void output_group(hddnn_isa isa, OUTPUT_ARGS) { WG_DISPATCH(isa, output, (OUTPUT_PASS)); }

void hddnn_winograd_weights(hddnn_isa isa, const float *packed_a, int C, int p_begin, int p_end, float *u) {
    const long u_stride = (long)(p_end - p_begin) * C * hddnn_gemm_mr(isa);
    WG_DISPATCH(isa, weights, (WEIGHTS_PASS));
}

long hddnn_winograd_input_count(hddnn_isa isa, int C, int tile_count) {
    const int width = hddnn_gemm_nr(isa);
    return (long)WG_XI * C * ((tile_count + width - 1) / width * width);
}

void hddnn_winograd_input(hddnn_isa isa, const float *in, int C, int H, int W, long image_stride, int pad_top,
                          int pad_left, int tiles_h, int tiles_w, long tile_begin, int tile_count, float *v) {
    const int width = hddnn_gemm_nr(isa);
    const int padded = (tile_count + width - 1) / width * width;
    const long matrix = (long)C * padded;
    int t0 = 0;
    for (; t0 < tile_count; t0 += WG_LANES) {
        tile_group g;
        map_tiles(tile_begin + t0, tile_count - t0 < WG_LANES ? tile_count - t0 : WG_LANES, tiles_h, tiles_w, H, W,
                  image_stride, pad_top, pad_left, WG_OUT, &g);
        input_group(isa, in, C, H, W, &g, matrix, width, t0, v);
    }
    // A last panel only half filled (width 32, up to 16 tiles): zeros in its other half.
    if (t0 < padded)
        for (int xi = 0; xi < WG_XI; xi++)
            for (int c = 0; c < C; c++)
                memset(v + xi * matrix + (long)(t0 / width) * C * width + (long)c * width + t0 % width, 0,
                       sizeof(float) * (padded - t0));
}

void hddnn_winograd_output(hddnn_isa isa, const float *mm, int rows, int m_begin, int M, int OH, int OW, int tiles_h,
                           int tiles_w, long tile_begin, int tile_count, float *out, const float *bias,
                           const float *residual, int activation, float lo, float hi) {
    for (int t0 = 0; t0 < tile_count; t0 += WG_LANES) {
        tile_group g;
        // Output tiles start at multiples of 4 with no padding; rows/columns past the edge are skipped.
        map_tiles(tile_begin + t0, tile_count - t0 < WG_LANES ? tile_count - t0 : WG_LANES, tiles_h, tiles_w, OH, OW,
                  (long)M * OH * OW, 0, 0, WG_OUT, &g);
        output_group(isa, mm, rows, m_begin, OH, OW, &g, tile_count, t0, out, bias, residual, activation, lo, hi);
    }
}
