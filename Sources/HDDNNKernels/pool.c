// Max pooling over NCHW planes (ResNet's 3x3/2 after the stem), planes `plane_begin..<plane_end`:
// the window is clipped to the input once per output row and column, so the inner loops carry no
// bounds checks. Average pooling and MaxPool's argmax output stay in Swift (Pool2DKernel), being
// rare in the networks this engine serves.
#include "hddnn_kernels.h"

#include <stddef.h>

void hddnn_maxpool(const float *in, int plane_begin, int plane_end, int H, int W, int KH, int KW, int sh, int sw,
                   int dh, int dw, int pt, int pl, int OH, int OW, float *out) {
    for (int p = plane_begin; p < plane_end; p++) {
        const float *src = in + (size_t)p * H * W;
        float *dst = out + (size_t)p * OH * OW;
        for (int oh = 0; oh < OH; oh++) {
            const int h0 = oh * sh - pt;
            int kh0 = 0, kh1 = KH;
            while (kh0 < KH && h0 + kh0 * dh < 0) kh0++;
            while (kh1 > kh0 && h0 + (kh1 - 1) * dh >= H) kh1--;
            for (int ow = 0; ow < OW; ow++) {
                const int w0 = ow * sw - pl;
                int kw0 = 0, kw1 = KW;
                while (kw0 < KW && w0 + kw0 * dw < 0) kw0++;
                while (kw1 > kw0 && w0 + (kw1 - 1) * dw >= W) kw1--;
                float best = -__builtin_inff();
                for (int kh = kh0; kh < kh1; kh++) {
                    const float *row = src + (size_t)(h0 + kh * dh) * W + w0;
                    for (int kw = kw0; kw < kw1; kw++) {
                        const float v = row[kw * dw];
                        best = v > best ? v : best;
                    }
                }
                dst[oh * OW + ow] = best;
            }
        }
    }
}
