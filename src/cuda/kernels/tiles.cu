// Tiling with context for the upscaler: copies each tile's context region of a planar frame into
// one slot of a batch tensor `[tiles, channels, slot_h, slot_w]` (the rest of the slot zero), and
// stitches the upscaled slots back, keeping only each tile's kept region (context cropped).
//
// Reference: `tiling::extract_tiles` and `tiling::stitch_tiles`, with the plan of
// `tiling::TilePlan` (the same plan on every backend). Grid z is the tile index.
#include "colour.cuh"

template <typename T>
__device__ __forceinline__ void ss_extract(const T* src, int row_stride, long long plane_stride,
                                           int channels, const SsTile* tiles, T* batch,
                                           int slot_w, int slot_h) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    int t = blockIdx.z;
    if (x >= slot_w || y >= slot_h) return;
    SsTile tile = tiles[t];
    long long slot_plane = (long long)slot_w * slot_h;
    T* slot = batch + (long long)t * channels * slot_plane + (long long)y * slot_w + x;
    bool inside = x < tile.ctx_w && y < tile.ctx_h;
    const T* from = src + (long long)(tile.ctx_y + y) * row_stride + tile.ctx_x + x;
    for (int ch = 0; ch < channels; ++ch) {
        slot[ch * slot_plane] = inside ? from[ch * plane_stride] : (T)0;
    }
}

template <typename T>
__device__ __forceinline__ void ss_stitch(const T* batch, int slot_w, int slot_h, int scale,
                                          int channels, const SsTile* tiles, T* dst, int row_stride,
                                          long long plane_stride) {
    int x = blockIdx.x * blockDim.x + threadIdx.x;
    int y = blockIdx.y * blockDim.y + threadIdx.y;
    int t = blockIdx.z;
    SsTile tile = tiles[t];
    if (x >= tile.keep_w * scale || y >= tile.keep_h * scale) return;
    int sx = (tile.keep_x - tile.ctx_x) * scale + x;
    int sy = (tile.keep_y - tile.ctx_y) * scale + y;
    long long slot_plane = (long long)slot_w * slot_h;
    const T* from = batch + (long long)t * channels * slot_plane + (long long)sy * slot_w + sx;
    T* to = dst + (long long)(tile.keep_y * scale + y) * row_stride + tile.keep_x * scale + x;
    for (int ch = 0; ch < channels; ++ch) {
        to[ch * plane_stride] = from[ch * slot_plane];
    }
}

#define SS_TILE_KERNELS(suffix, T)                                                                \
    extern "C" __global__ void ss_tile_extract_##suffix(const T* src, int row_stride,             \
                                                        long long plane_stride, int channels,     \
                                                        const SsTile* tiles, T* batch,            \
                                                        int slot_w, int slot_h) {                 \
        ss_extract<T>(src, row_stride, plane_stride, channels, tiles, batch, slot_w, slot_h);     \
    }                                                                                             \
    extern "C" __global__ void ss_tile_stitch_##suffix(const T* batch, int slot_w, int slot_h,    \
                                                       int scale, int channels,                   \
                                                       const SsTile* tiles, T* dst,               \
                                                       int row_stride, long long plane_stride) {  \
        ss_stitch<T>(batch, slot_w, slot_h, scale, channels, tiles, dst, row_stride,              \
                     plane_stride);                                                               \
    }

SS_TILE_KERNELS(f32, float)
SS_TILE_KERNELS(f16, unsigned short)
