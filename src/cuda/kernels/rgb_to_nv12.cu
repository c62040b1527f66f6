// Planar R'G'B' f32 or f16 (clamped to [0, 1]) to NV12 (8-bit) or P010/P016 (16-bit) pitch-linear frames
// for the encoder: luma rounded per pixel, chroma through the tent filter of the siting.
//
// Reference: `colour::rgb_to_yuv_planes` (same taps, same order of summation), with Cb and Cr
// interleaved (f16 input: the reference of the input widened to f32). One thread per luma pixel; the thread of each even (x, y) also writes chroma sample
// (x / 2, y / 2). The input is read at `row_stride` / `plane_stride` (elements), so a padded model
// output can be converted in place of a cropped copy.
#include "colour.cuh"

// Tent-filter taps of chroma sample `c` along an axis of `n` luma samples (`downsample_axis`):
// up to five `(index, weight)` pairs, clamped indices merged, weights normalised.
__device__ __forceinline__ int ss_tent_taps(int c, int n, float offset, int* idx, float* w) {
    const float period = 2.0f;
    float centre = (float)c * period + offset;
    int lo = (int)ceilf(centre - period);
    int hi = (int)floorf(centre + period);
    int count = 0;
    for (int x = lo; x <= hi; ++x) {
        float wt = 1.0f - fabsf((float)x - centre) / period;
        if (wt <= 0.0f) continue;
        int xi = ss_min(ss_max(x, 0), n - 1);
        int found = -1;
        for (int j = 0; j < count; ++j) {
            if (idx[j] == xi) found = j;
        }
        if (found >= 0) {
            w[found] += wt;
        } else {
            idx[count] = xi;
            w[count] = wt;
            ++count;
        }
    }
    float total = 0.0f;
    for (int j = 0; j < count; ++j) total += w[j];
    for (int j = 0; j < count; ++j) w[j] /= total;
    return count;
}

template <typename In>
__device__ __forceinline__ void ss_pixel(const In* rgb, int row_stride, long long plane_stride, int x,
                                         int y, float* out) {
    long long k = (long long)y * row_stride + x;
    out[0] = ss_clamp01(ss_load(rgb + k));
    out[1] = ss_clamp01(ss_load(rgb + plane_stride + k));
    out[2] = ss_clamp01(ss_load(rgb + 2 * plane_stride + k));
}

template <typename In, typename T>
__device__ __forceinline__ void ss_rgb_to_yuv420(const In* rgb, int row_stride,
                                                 long long plane_stride, int width, int height,
                                                 SsColour c, unsigned char* luma, int luma_pitch,
                                                 unsigned char* chroma, int chroma_pitch) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= width || y >= height) return;
    float p[3];
    ss_pixel(rgb, row_stride, plane_stride, x, y, p);
    T* lrow = (T*)(luma + (long long)y * luma_pitch);
    lrow[x] = (T)(ss_quantise(c, ss_luma(c, p)) << c.sample_shift);
    if ((x & 1) || (y & 1)) return;
    int cx = x / 2, cy = y / 2;
    int xi[5], yi[5];
    float xw[5], yw[5];
    int nx = ss_tent_taps(cx, width, c.chroma_x, xi, xw);
    int ny = ss_tent_taps(cy, height, c.chroma_y, yi, yw);
    float acc_b = 0.0f, acc_r = 0.0f;
    for (int j = 0; j < ny; ++j) {
        float row_b = 0.0f, row_r = 0.0f;
        for (int i = 0; i < nx; ++i) {
            float q[3], cb, cr;
            ss_pixel(rgb, row_stride, plane_stride, xi[i], yi[j], q);
            ss_chroma(c, q, &cb, &cr);
            row_b += xw[i] * cb;
            row_r += xw[i] * cr;
        }
        acc_b += yw[j] * row_b;
        acc_r += yw[j] * row_r;
    }
    T* crow = (T*)(chroma + (long long)cy * chroma_pitch);
    crow[2 * cx] = (T)(ss_quantise(c, acc_b) << c.sample_shift);
    crow[2 * cx + 1] = (T)(ss_quantise(c, acc_r) << c.sample_shift);
}

#define SS_RGB_TO_YUV_KERNEL(name, In, T)                                                       \
    extern "C" __global__ void name(const In* rgb, int row_stride, long long plane_stride,      \
                                    int width, int height, SsColour c, unsigned char* luma,     \
                                    int luma_pitch, unsigned char* chroma, int chroma_pitch) {  \
        ss_rgb_to_yuv420<In, T>(rgb, row_stride, plane_stride, width, height, c, luma,          \
                                luma_pitch, chroma, chroma_pitch);                              \
    }

SS_RGB_TO_YUV_KERNEL(ss_rgb_to_nv12, float, unsigned char)
SS_RGB_TO_YUV_KERNEL(ss_rgb_to_p016, float, unsigned short)
SS_RGB_TO_YUV_KERNEL(ss_rgb_f16_to_nv12, unsigned short, unsigned char)
SS_RGB_TO_YUV_KERNEL(ss_rgb_f16_to_p016, unsigned short, unsigned short)
