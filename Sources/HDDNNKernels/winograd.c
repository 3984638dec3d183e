// Winograd F(2x2, 3x3) transforms for 3x3, stride-1 convolutions (Lavin & Gray, 2016).
//
// Each 2x2 output tile is computed from a 4x4 input tile as Y = A^T [(G g G^T) . (B^T d B)] A:
// 16 multiplications instead of 36. Across channels and tiles the element-wise products become
// 16 independent GEMMs, U_xi (M x C) times V_xi (C x tiles), run by `hddnn_gemm`.
//   B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1]
//   G   = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1]
//   A^T = [1 1 1 0; 0 1 -1 -1]
//
// ### References
// A. Lavin and S. Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016.
#include "hddnn_kernels.h"
#include "activation.h"

void hddnn_winograd_weights(int M, int C, const float *w, float *u) {
    const long plane = (long)M * C;
    for (int m = 0; m < M; m++)
        for (int c = 0; c < C; c++) {
            const float *g = w + ((long)m * C + c) * 9;
            float t[4][3];  // G g
            for (int j = 0; j < 3; j++) {
                float g0 = g[0 * 3 + j], g1 = g[1 * 3 + j], g2 = g[2 * 3 + j];
                t[0][j] = g0;
                t[1][j] = 0.5f * (g0 + g1 + g2);
                t[2][j] = 0.5f * (g0 - g1 + g2);
                t[3][j] = g2;
            }
            for (int i = 0; i < 4; i++) {  // (G g) G^T
                float a = t[i][0], b = t[i][1], d = t[i][2];
                float row[4] = {a, 0.5f * (a + b + d), 0.5f * (a - b + d), d};
                for (int j = 0; j < 4; j++) u[(long)(i * 4 + j) * plane + (long)m * C + c] = row[j];
            }
        }
}

void hddnn_winograd_input(const float *in, int C, int H, int W, long image_stride, int pad_top, int pad_left,
                          int tiles_h, int tiles_w, long tile_begin, int tile_count, float *v) {
    const long plane = (long)C * tile_count;
    const int per_image = tiles_h * tiles_w;
    for (int t = 0; t < tile_count; t++) {
        long tile = tile_begin + t;
        int image = (int)(tile / per_image), rest = (int)(tile % per_image);
        int y0 = (rest / tiles_w) * 2 - pad_top, x0 = (rest % tiles_w) * 2 - pad_left;
        int inside = y0 >= 0 && x0 >= 0 && y0 + 4 <= H && x0 + 4 <= W;
        for (int c = 0; c < C; c++) {
            const float *src = in + image * image_stride + (long)c * H * W;
            float d[4][4];
            if (inside) {
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) d[i][j] = src[(long)(y0 + i) * W + x0 + j];
            } else {
                for (int i = 0; i < 4; i++)
                    for (int j = 0; j < 4; j++) {
                        int y = y0 + i, x = x0 + j;
                        d[i][j] = (y >= 0 && y < H && x >= 0 && x < W) ? src[(long)y * W + x] : 0.0f;
                    }
            }
            float b[4][4];  // B^T d
            for (int j = 0; j < 4; j++) {
                b[0][j] = d[0][j] - d[2][j];
                b[1][j] = d[1][j] + d[2][j];
                b[2][j] = d[2][j] - d[1][j];
                b[3][j] = d[1][j] - d[3][j];
            }
            float *dst = v + (long)c * tile_count + t;
            for (int i = 0; i < 4; i++) {  // (B^T d) B
                dst[(long)(i * 4 + 0) * plane] = b[i][0] - b[i][2];
                dst[(long)(i * 4 + 1) * plane] = b[i][1] + b[i][2];
                dst[(long)(i * 4 + 2) * plane] = b[i][2] - b[i][1];
                dst[(long)(i * 4 + 3) * plane] = b[i][1] - b[i][3];
            }
        }
    }
}

void hddnn_winograd_output(const float *mm, int M, int OH, int OW, int tiles_h, int tiles_w, long tile_begin,
                           int tile_count, float *out, const float *bias, const float *residual,
                           int activation, float lo, float hi) {
    const long plane = (long)M * tile_count;
    const int per_image = tiles_h * tiles_w;
    for (int m = 0; m < M; m++) {
        const float b = bias ? bias[m] : 0.0f;
        for (int t = 0; t < tile_count; t++) {
            long tile = tile_begin + t;
            int image = (int)(tile / per_image), rest = (int)(tile % per_image);
            int y0 = (rest / tiles_w) * 2, x0 = (rest % tiles_w) * 2;
            const float *src = mm + (long)m * tile_count + t;
            float s[4][4];
            for (int i = 0; i < 4; i++)
                for (int j = 0; j < 4; j++) s[i][j] = src[(long)(i * 4 + j) * plane];
            float r[2][4];  // A^T s
            for (int j = 0; j < 4; j++) {
                r[0][j] = s[0][j] + s[1][j] + s[2][j];
                r[1][j] = s[1][j] - s[2][j] - s[3][j];
            }
            float y[2][2] = {{r[0][0] + r[0][1] + r[0][2], r[0][1] - r[0][2] - r[0][3]},
                             {r[1][0] + r[1][1] + r[1][2], r[1][1] - r[1][2] - r[1][3]}};
            long base = ((long)image * M + m) * OH * OW;
            for (int i = 0; i < 2 && y0 + i < OH; i++)
                for (int j = 0; j < 2 && x0 + j < OW; j++) {
                    long off = base + (long)(y0 + i) * OW + x0 + j;
                    out[off] = hddnn_activate(y[i][j] + b + (residual ? residual[off] : 0.0f), activation, lo, hi);
                }
        }
    }
}
