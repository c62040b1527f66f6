// Resize by 0.5 (2x2 box average) of planar frames, for x4 models used at 2x. Odd sizes round up
// and repeat the last row or column. Output planes are `ceil(w / 2) x ceil(h / 2)`, contiguous.
//
// Reference: `frame::RgbFrame::resize_half` (same sum order: `((a + b) + (c + d)) * 0.25`).
// One thread per output pixel; all channels.
#include "colour.cuh"

template <typename T>
__device__ __forceinline__ void ss_resize_half(const T* src, int width, int height, int row_stride,
                                               long long plane_stride, int channels, T* dst) {
    int out_w = (width + 1) / 2, out_h = (height + 1) / 2;
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= out_w || y >= out_h) return;
    int x0 = 2 * x, x1 = ss_min(2 * x + 1, width - 1);
    int y0 = 2 * y, y1 = ss_min(2 * y + 1, height - 1);
    long long out_plane = (long long)out_w * out_h;
    for (int ch = 0; ch < channels; ++ch) {
        const T* p = src + ch * plane_stride;
        float a = ss_load(p + (long long)y0 * row_stride + x0);
        float b = ss_load(p + (long long)y0 * row_stride + x1);
        float c = ss_load(p + (long long)y1 * row_stride + x0);
        float d = ss_load(p + (long long)y1 * row_stride + x1);
        ss_store(dst + ch * out_plane + (long long)y * out_w + x, ((a + b) + (c + d)) * 0.25f);
    }
}

extern "C" __global__ void ss_resize_half_f32(const float* src, int width, int height,
                                              int row_stride, long long plane_stride, int channels,
                                              float* dst) {
    ss_resize_half<float>(src, width, height, row_stride, plane_stride, channels, dst);
}

extern "C" __global__ void ss_resize_half_f16(const unsigned short* src, int width, int height,
                                              int row_stride, long long plane_stride, int channels,
                                              unsigned short* dst) {
    ss_resize_half<unsigned short>(src, width, height, row_stride, plane_stride, channels, dst);
}
