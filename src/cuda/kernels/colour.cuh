// Shared device maths of the frame kernels: the parameter structs (mirrored by `#[repr(C)]` structs
// in src/cuda/mod.rs), half-precision conversion, and the colour maths of src/colour/mod.rs written
// with the same operations in the same order, so the host build of these kernels matches the Rust
// reference to the last bit (nvcc may contract to FMA on the device: a few ulp).
//
// Self-contained on purpose (no CUDA headers): NVRTC compiles it without an include path.
#pragma once

// Coefficients of one `Encoding` (src/colour/mod.rs), computed on the host by
// `KernelColour::new`: `code = offset + scale * value` for luma and chroma.
struct SsColour {
    float y_offset;
    float y_scale;
    float c_offset;
    float c_scale;
    float kr;
    float kb;
    // Largest code value of the encoding (255, 1023, ...).
    float max_code;
    // Left shift of the code inside each 16-bit sample (P010: 6); 0 for 8-bit and P016.
    int sample_shift;
    // Position of chroma sample 0 in luma samples (`Siting::offset(1, 1)`).
    float chroma_x;
    float chroma_y;
};

// One tile of a `TilePlan` (src/tiling.rs), in input pixels: the kept region and its context.
struct SsTile {
    int keep_x, keep_y, keep_w, keep_h;
    int ctx_x, ctx_y, ctx_w, ctx_h;
};

// IEEE binary16 bits of `x`, rounded to nearest even.
__device__ __forceinline__ unsigned short ss_f32_to_f16(float x) {
#if defined(__CUDA_ARCH__)
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(x));
    return h;
#elif defined(SS_HOST_EMULATION)
    return ss_host_f32_to_f16(x);
#else
    return 0;  // nvcc's host pass: never called.
#endif
}

// The value of IEEE binary16 bits.
__device__ __forceinline__ float ss_f16_to_f32(unsigned short h) {
#if defined(__CUDA_ARCH__)
    float x;
    asm("cvt.f32.f16 %0, %1;" : "=f"(x) : "h"(h));
    return x;
#elif defined(SS_HOST_EMULATION)
    return ss_host_f16_to_f32(h);
#else
    return 0.0f;
#endif
}

// Element conversions for kernels templated over f32 (`float`) and f16 (`unsigned short`) planes.
__device__ __forceinline__ float ss_load(const float* p) { return *p; }
__device__ __forceinline__ float ss_load(const unsigned short* p) { return ss_f16_to_f32(*p); }
__device__ __forceinline__ void ss_store(float* p, float v) { *p = v; }
__device__ __forceinline__ void ss_store(unsigned short* p, float v) { *p = ss_f32_to_f16(v); }

// `Encoding::to_rgb`: code values to R'G'B' (not clamped).
__device__ __forceinline__ void ss_to_rgb(const SsColour& c, float y, float cb, float cr, float* rgb) {
    float luma = (y - c.y_offset) / c.y_scale;
    float pb = (cb - c.c_offset) / c.c_scale;
    float pr = (cr - c.c_offset) / c.c_scale;
    float r = luma + 2.0f * (1.0f - c.kr) * pr;
    float b = luma + 2.0f * (1.0f - c.kb) * pb;
    float g = (luma - c.kr * r - c.kb * b) / (1.0f - c.kr - c.kb);
    rgb[0] = r;
    rgb[1] = g;
    rgb[2] = b;
}

// `Encoding::luma`: R'G'B' to a luma code value (not rounded).
__device__ __forceinline__ float ss_luma(const SsColour& c, const float* rgb) {
    return c.y_offset + c.y_scale * (c.kr * rgb[0] + (1.0f - c.kr - c.kb) * rgb[1] + c.kb * rgb[2]);
}

// `Encoding::chroma`: R'G'B' to chroma code values (not rounded).
__device__ __forceinline__ void ss_chroma(const SsColour& c, const float* rgb, float* cb, float* cr) {
    float luma = c.kr * rgb[0] + (1.0f - c.kr - c.kb) * rgb[1] + c.kb * rgb[2];
    float pb = (rgb[2] - luma) / (2.0f * (1.0f - c.kb));
    float pr = (rgb[0] - luma) / (2.0f * (1.0f - c.kr));
    *cb = c.c_offset + c.c_scale * pb;
    *cr = c.c_offset + c.c_scale * pr;
}

// `Encoding::quantise`: round half away from zero, clamp to the legal codes.
__device__ __forceinline__ unsigned int ss_quantise(const SsColour& c, float code) {
    return (unsigned int)fminf(fmaxf(roundf(code), 0.0f), c.max_code);
}

__device__ __forceinline__ float ss_clamp01(float v) { return fminf(fmaxf(v, 0.0f), 1.0f); }

__device__ __forceinline__ int ss_min(int a, int b) { return a < b ? a : b; }
__device__ __forceinline__ int ss_max(int a, int b) { return a > b ? a : b; }
