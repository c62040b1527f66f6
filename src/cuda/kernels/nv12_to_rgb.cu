// NV12 (8-bit) and P016/P010 (16-bit) pitch-linear frames, as NVDEC writes them, to planar R'G'B'
// (f32 or f16) in a buffer padded to the model's multiple.
//
// Reference: `colour::yuv_planes_to_rgb` (bilinear chroma, sited by `Siting::offset`) followed by
// `frame::pad_chw` (zero pad) and, for f16, `colour::f32_to_f16`.
// One thread per output pixel of the padded `out_w x out_h` frame; planes `out_w * out_h` apart.
#include "colour.cuh"

// Bilinear source positions along one axis (`upsample_axis`): chroma indices and weight.
__device__ __forceinline__ void ss_upsample_pos(int x, int chroma_n, float offset, int* i0, int* i1,
                                                float* w) {
    float u = fmaxf(((float)x - offset) / 2.0f, 0.0f);
    int last = chroma_n - 1;
    *i0 = ss_min((int)floorf(u), last);
    *i1 = ss_min(*i0 + 1, last);
    *w = u - (float)*i0;
}

template <typename In, typename Out>
__device__ __forceinline__ void ss_yuv420_to_rgb(const unsigned char* luma, int luma_pitch,
                                                 const unsigned char* chroma, int chroma_pitch,
                                                 int width, int height, SsColour c, Out* out,
                                                 int out_w, int out_h) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    if (x >= out_w || y >= out_h) return;
    long long plane = (long long)out_w * out_h;
    long long k = (long long)y * out_w + x;
    if (x >= width || y >= height) {
        ss_store(out + k, 0.0f);
        ss_store(out + plane + k, 0.0f);
        ss_store(out + 2 * plane + k, 0.0f);
        return;
    }
    int cw = (width + 1) / 2, ch = (height + 1) / 2;
    int i0, i1, j0, j1;
    float wx, wy;
    ss_upsample_pos(x, cw, c.chroma_x, &i0, &i1, &wx);
    ss_upsample_pos(y, ch, c.chroma_y, &j0, &j1, &wy);
    const In* row0 = (const In*)(chroma + (long long)j0 * chroma_pitch);
    const In* row1 = (const In*)(chroma + (long long)j1 * chroma_pitch);
    float code[2];
    for (int p = 0; p < 2; ++p) {
        float a = (float)(row0[2 * i0 + p] >> c.sample_shift);
        float b = (float)(row0[2 * i1 + p] >> c.sample_shift);
        float d = (float)(row1[2 * i0 + p] >> c.sample_shift);
        float e = (float)(row1[2 * i1 + p] >> c.sample_shift);
        float top = a + wx * (b - a);
        float bottom = d + wx * (e - d);
        code[p] = top + wy * (bottom - top);
    }
    const In* lrow = (const In*)(luma + (long long)y * luma_pitch);
    float rgb[3];
    ss_to_rgb(c, (float)(lrow[x] >> c.sample_shift), code[0], code[1], rgb);
    ss_store(out + k, rgb[0]);
    ss_store(out + plane + k, rgb[1]);
    ss_store(out + 2 * plane + k, rgb[2]);
}

#define SS_NV12_KERNEL(name, In, Out)                                                            \
    extern "C" __global__ void name(const unsigned char* luma, int luma_pitch,                   \
                                    const unsigned char* chroma, int chroma_pitch, int width,    \
                                    int height, SsColour c, Out* out, int out_w, int out_h) {    \
        ss_yuv420_to_rgb<In, Out>(luma, luma_pitch, chroma, chroma_pitch, width, height, c, out, \
                                  out_w, out_h);                                                 \
    }

SS_NV12_KERNEL(ss_nv12_to_rgb_f32, unsigned char, float)
SS_NV12_KERNEL(ss_nv12_to_rgb_f16, unsigned char, unsigned short)
SS_NV12_KERNEL(ss_p016_to_rgb_f32, unsigned short, float)
SS_NV12_KERNEL(ss_p016_to_rgb_f16, unsigned short, unsigned short)
