// HDDNN's own CPU kernels, in C so that each can carry per-function instruction-set attributes
// (AVX-512, AVX2+FMA) chosen at run time, without build flags: the package stays portable and a
// generic version remains the reference. Modelled on ONNX Runtime's MLAS: a kernel table filled
// once from the detected CPU features (`hddnn_cpu_isa`), packed weights prepared at load.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Instruction sets the kernels are specialised for, best last.
typedef enum {
    HDDNN_ISA_GENERIC = 0,
    HDDNN_ISA_AVX2 = 1,     // AVX2 + FMA
    HDDNN_ISA_AVX512 = 2,   // AVX-512F
} hddnn_isa;

/// The best instruction set this CPU and OS support (CPUID and XGETBV, via the compiler's builtins).
hddnn_isa hddnn_cpu_isa(void);

/// Rows of A (and columns of B) one micro-kernel call computes for `isa`.
int hddnn_gemm_mr(hddnn_isa isa);
int hddnn_gemm_nr(hddnn_isa isa);
/// Depth (K) of one packed B block.
int hddnn_gemm_kc(hddnn_isa isa);

/// Floats needed for A (M x K) packed for `isa`.
size_t hddnn_gemm_packed_a_count(hddnn_isa isa, int M, int K);
/// Packs row-major A (M x K, row stride lda) into MR-row panels, zero-padded, for `isa`.
void hddnn_gemm_pack_a(hddnn_isa isa, int M, int K, const float *A, int lda, float *packed);

/// Where the B operand (K x N) comes from.
typedef struct {
    /// 0: a row-major matrix `data` with row stride `ldb`.
    /// 1: the implicit im2col matrix of an NCHW convolution input: row k = (c, kh, kw),
    ///    column n = (image, oh, ow); padding reads as zero. No im2col buffer is ever built.
    /// 2: already packed: panels of `panel_width` columns, each K x panel_width row-major, one
    ///    after another (`ldb` = K); columns past N read as whatever the panel holds (zeros).
    ///    With panel_width = NR the GEMM reads the panels in place and packs nothing.
    int kind;
    int panel_width;
    const float *data;
    int ldb;
    int channels, height, width;           // input planes of this group (channels = C_in / groups)
    int kernel_h, kernel_w, stride_h, stride_w, dilation_h, dilation_w, pad_top, pad_left;
    int out_h, out_w;
    long image_stride;                     // floats between images in `data` (C_in * H * W)
} hddnn_gemm_b;

/// Activations applied in the store of the last K block.
typedef enum {
    HDDNN_ACT_NONE = 0,
    HDDNN_ACT_RELU = 1,
    HDDNN_ACT_CLIP = 2,          // min(max(x, lo), hi)
    HDDNN_ACT_LEAKY_RELU = 3,    // x < 0 ? lo * x : x
} hddnn_activation;

/// Where C (M x N) goes. Column n belongs to image n / cols_per_image at position
/// n % cols_per_image; element (m, n) is at data[image * image_stride + m * ldc + position]
/// (a plain matrix: cols_per_image = N, image_stride = 0). The epilogue adds a per-row bias,
/// then a residual tensor laid out like C, then applies the activation.
typedef struct {
    float *data;
    int ldc;
    int cols_per_image;
    long image_stride;
    const float *bias;            // M values, or NULL
    const float *residual;        // same layout as C, or NULL
    int activation;
    float lo, hi;
} hddnn_gemm_c;

/// Floats of workspace one `hddnn_gemm` call needs (one packed B block).
size_t hddnn_gemm_workspace_count(hddnn_isa isa);

/// C[m_begin..<m_end, n_begin..<n_end] = packedA x B (+ bias + residual, activation).
/// `n_begin` must be a multiple of NR and `m_begin` of MR, so that threads can split the work
/// (by columns when N is wide, by rows when it is narrow) without sharing anything but A.
void hddnn_gemm(hddnn_isa isa, int M, int N, int K, const float *packed_a, const hddnn_gemm_b *b,
                const hddnn_gemm_c *c, int m_begin, int m_end, int n_begin, int n_end, float *workspace);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// Output planes of at most this many pixels, and every strided depthwise convolution, are
/// computed 16 channels at a time, one vector lane per channel; larger stride-1 planes one plane
/// at a time (their rows are long enough to vectorise, and the lane transposes would cost more).
/// Measured on end-mobilenet and the paper's MobileNet (docs/engine-vs-onnxruntime.md).
#ifndef HDDNN_DEPTHWISE_LANES_MAX_PIXELS
#define HDDNN_DEPTHWISE_LANES_MAX_PIXELS 64
#endif

/// Floats of scratch `hddnn_depthwise` needs (either path).
size_t hddnn_depthwise_scratch_count(int H, int W, int pad_top, int pad_left, int pad_bottom, int pad_right);

/// One channel of a depthwise convolution, `out = act(bias + residual + conv(in, w))`.
/// The plane is first copied into a zero-padded scratch so the inner loop has no bounds checks
/// and vectorises over output columns.
void hddnn_depthwise_plane(hddnn_isa isa, const float *in, int H, int W, const float *w, int KH, int KW,
                           int stride_h, int stride_w, int dilation_h, int dilation_w,
                           int pad_top, int pad_left, int pad_bottom, int pad_right, int OH, int OW,
                           float bias, const float *residual, int activation, float lo, float hi,
                           float *out, float *scratch);

/// Planes `plane_begin..<plane_end` (plane = image * channels + c) of a depthwise convolution;
/// `weights` holds KH * KW values per channel, `bias` one per channel (or NULL), `residual` is
/// laid out like `out` (or NULL). Small planes (the 2x2 and 1x1 of late MobileNet layers at 32x32
/// input) take a direct path without the padded copy, whose cost would dominate.
void hddnn_depthwise(hddnn_isa isa, const float *in, int plane_begin, int plane_end, int channels,
                     int H, int W, const float *weights, int KH, int KW,
                     int stride_h, int stride_w, int dilation_h, int dilation_w,
                     int pad_top, int pad_left, int pad_bottom, int pad_right, int OH, int OW,
                     const float *bias, const float *residual, int activation, float lo, float hi,
                     float *out, float *scratch);

/// Max pooling of planes `plane_begin..<plane_end` (NCHW planes of H x W into OH x OW); a window
/// entirely in the padding yields -infinity, as ONNX's MaxPool does.
void hddnn_maxpool(const float *in, int plane_begin, int plane_end, int H, int W, int KH, int KW, int sh, int sw,
                   int dh, int dw, int pt, int pl, int OH, int OW, float *out);

/// Winograd F(4x4, 3x3) (winograd.c): a 3x3, stride-1 convolution as 36 GEMMs over 6x6 input
/// tiles (tile = image, tile row, tile column; a tile covers a 4x4 block of the output).
enum { HDDNN_WINOGRAD_MATRICES = 36, HDDNN_WINOGRAD_OUT_TILE = 4 };

/// The 36 transformed weight matrices U_xi of output-channel panels `p_begin..<p_end`, computed from
/// the convolution's im2col-packed weights (`hddnn_gemm_pack_a` of M x (C * 9)) and written packed
/// for the GEMM: U_xi starts at u + xi * (p_end - p_begin) * C * MR.
void hddnn_winograd_weights(hddnn_isa isa, const float *packed_a, int C, int p_begin, int p_end, float *u);
/// Floats of the 36 matrices `hddnn_winograd_input` writes for `tile_count` tiles.
long hddnn_winograd_input_count(hddnn_isa isa, int C, int tile_count);
/// Input tiles `tile_begin..<tile_begin + tile_count` into 36 matrices V_xi of C x tile_count,
/// stored one after another, each already packed as the GEMM's B operand (kind 2, panels of NR
/// tiles). Reads outside the image (padding) are zeros.
void hddnn_winograd_input(hddnn_isa isa, const float *in, int C, int H, int W, long image_stride, int pad_top,
                          int pad_left, int tiles_h, int tiles_w, long tile_begin, int tile_count, float *v);
/// 36 products M_xi (rows x tile_count each, one after another; row r is output channel m_begin + r)
/// back to output tiles in NCHW `out` (M channels of OH x OW), with bias, residual (laid out like
/// out) and activation.
void hddnn_winograd_output(hddnn_isa isa, const float *mm, int rows, int m_begin, int M, int OH, int OW, int tiles_h,
                           int tiles_w, long tile_begin, int tile_count, float *out, const float *bias,
                           const float *residual, int activation, float lo, float hi);

#ifdef __cplusplus
}
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// Channels-last kernels for chains of depthwise and pointwise convolutions (nhwc.c).
/// Transposes N row-major rows x cols matrices: NCHW to NHWC with (rows, cols) = (C, HW), back
/// with (HW, C).
void hddnn_transpose_batch(const float *in, int N, int rows, int cols, float *out);

/// Floats of a pointwise convolution's weights (M x K) packed for `hddnn_pointwise_nhwc`.
size_t hddnn_pointwise_packed_count(hddnn_isa isa, int M, int K);
void hddnn_pointwise_pack(hddnn_isa isa, int M, int K, const float *w, float *packed);
/// Pixels `p_begin..<p_end` of a pointwise convolution in NHWC: `in` is pixels x K, `out`
/// pixels x M (pixels of all images, one after another), bias and activation applied.
void hddnn_pointwise_nhwc(hddnn_isa isa, int M, int K, const float *in, const float *packed, const float *bias,
                          int act, float lo, float hi, float *out, int p_begin, int p_end);

/// Output rows `row_begin..<row_end` (row = image * OH + oh) of a depthwise convolution in NHWC;
/// `w` holds KH * KW rows of C weights (tap-major), `bias` C values or NULL.
void hddnn_depthwise_nhwc(hddnn_isa isa, const float *in, int H, int W, int C, const float *w, int KH, int KW,
                          int sh, int sw, int dh, int dw, int pt, int pl, int OH, int OW, const float *bias, int act,
                          float lo, float hi, float *out, int row_begin, int row_end);

#ifdef __cplusplus
}
#endif
