// C launchers of the host-compiled kernels: each runs the given grid as loops (`ss_launch`).
// Parameter structs are passed by pointer and checked against the Rust layout by size.
#include "colour.cuh"

struct SsLaunch {
    unsigned int grid[3];
    unsigned int block[3];
};

#define SS_DECLARE(name, ...) extern "C" void name(__VA_ARGS__);
#define SS_RUN(kernel, ...)                                                            \
    ss_launch(dim3(l->grid[0], l->grid[1], l->grid[2]),                               \
              dim3(l->block[0], l->block[1], l->block[2]), kernel, __VA_ARGS__)

extern "C" unsigned long ss_host_sizeof_colour() { return sizeof(SsColour); }
extern "C" unsigned long ss_host_sizeof_tile() { return sizeof(SsTile); }

#define SS_YUV_TO_RGB(kernel, Out)                                                             \
    SS_DECLARE(kernel, const unsigned char*, int, const unsigned char*, int, int, int,         \
               SsColour, Out*, int, int)                                                      \
    extern "C" void ss_host_##kernel(const SsLaunch* l, const unsigned char* luma, int lp,    \
                                     const unsigned char* chroma, int cp, int w, int h,       \
                                     const SsColour* c, Out* out, int ow, int oh) {           \
        SS_RUN(kernel, luma, lp, chroma, cp, w, h, *c, out, ow, oh);                          \
    }
SS_YUV_TO_RGB(ss_nv12_to_rgb_f32, float)
SS_YUV_TO_RGB(ss_nv12_to_rgb_f16, unsigned short)
SS_YUV_TO_RGB(ss_p016_to_rgb_f32, float)
SS_YUV_TO_RGB(ss_p016_to_rgb_f16, unsigned short)

#define SS_RGB_TO_YUV(kernel, In)                                                              \
    SS_DECLARE(kernel, const In*, int, long long, int, int, SsColour, unsigned char*, int,    \
               unsigned char*, int)                                                           \
    extern "C" void ss_host_##kernel(const SsLaunch* l, const In* rgb, int rs,                \
                                     long long ps, int w, int h, const SsColour* c,           \
                                     unsigned char* luma, int lp, unsigned char* chroma,      \
                                     int cp) {                                                \
        SS_RUN(kernel, rgb, rs, ps, w, h, *c, luma, lp, chroma, cp);                          \
    }
SS_RGB_TO_YUV(ss_rgb_to_nv12, float)
SS_RGB_TO_YUV(ss_rgb_to_p016, float)
SS_RGB_TO_YUV(ss_rgb_f16_to_nv12, unsigned short)
SS_RGB_TO_YUV(ss_rgb_f16_to_p016, unsigned short)

#define SS_TILES(suffix, T)                                                                    \
    SS_DECLARE(ss_tile_extract_##suffix, const T*, int, long long, int, const SsTile*, T*,    \
               int, int)                                                                      \
    SS_DECLARE(ss_tile_stitch_##suffix, const T*, int, int, int, int, const SsTile*, T*, int, \
               long long)                                                                     \
    extern "C" void ss_host_ss_tile_extract_##suffix(const SsLaunch* l, const T* src, int rs, \
                                                     long long ps, int ch,                    \
                                                     const SsTile* tiles, T* batch, int sw,   \
                                                     int sh) {                                \
        SS_RUN(ss_tile_extract_##suffix, src, rs, ps, ch, tiles, batch, sw, sh);              \
    }                                                                                         \
    extern "C" void ss_host_ss_tile_stitch_##suffix(const SsLaunch* l, const T* batch,        \
                                                    int sw, int sh, int scale, int ch,        \
                                                    const SsTile* tiles, T* dst, int rs,      \
                                                    long long ps) {                           \
        SS_RUN(ss_tile_stitch_##suffix, batch, sw, sh, scale, ch, tiles, dst, rs, ps);        \
    }
SS_TILES(f32, float)
SS_TILES(f16, unsigned short)

#define SS_RESIZE(kernel, T)                                                                   \
    SS_DECLARE(kernel, const T*, int, int, int, long long, int, T*)                           \
    extern "C" void ss_host_##kernel(const SsLaunch* l, const T* src, int w, int h, int rs,   \
                                     long long ps, int ch, T* dst) {                          \
        SS_RUN(kernel, src, w, h, rs, ps, ch, dst);                                           \
    }
SS_RESIZE(ss_resize_half_f32, float)
SS_RESIZE(ss_resize_half_f16, unsigned short)

#define SS_SCENE(kernel)                                                                       \
    SS_DECLARE(kernel, const unsigned char*, int, const unsigned char*, int, int, int, int,   \
               float*)                                                                        \
    extern "C" void ss_host_##kernel(const SsLaunch* l, const unsigned char* a, int ap,       \
                                     const unsigned char* b, int bp, int w, int h, int cell,  \
                                     float* diffs) {                                          \
        SS_RUN(kernel, a, ap, b, bp, w, h, cell, diffs);                                      \
    }
SS_SCENE(ss_scene_cells_u8)
SS_SCENE(ss_scene_cells_u16)

SS_DECLARE(ss_scene_row_sums, const float*, int, int, float*)
extern "C" void ss_host_ss_scene_row_sums(const SsLaunch* l, const float* v, int cols, int rows,
                                          float* sums) {
    SS_RUN(ss_scene_row_sums, v, cols, rows, sums);
}

extern "C" unsigned short ss_host_f32_to_f16_bits(float x) { return ss_host_f32_to_f16(x); }
extern "C" float ss_host_f16_bits_to_f32(unsigned short h) { return ss_host_f16_to_f32(h); }
