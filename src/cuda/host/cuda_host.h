// Host emulation of the few CUDA built-ins the frame kernels use, so the same .cu source compiles
// as plain C++ for tests: `__global__`/`__device__` vanish, the thread and block indices are
// thread-locals, and `ss_launch` runs the grid as nested loops (the kernels use no shared memory,
// no barriers and no atomics, so sequential execution is a valid schedule).
// Used only by sys/cuda-host-kernels (tests); include with `-include` before each .cu file.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#define SS_HOST_EMULATION 1
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline

struct dim3 {
    unsigned int x, y, z;
    dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};

inline thread_local dim3 threadIdx(0, 0, 0);
inline thread_local dim3 blockIdx(0, 0, 0);
inline thread_local dim3 blockDim(1, 1, 1);
inline thread_local dim3 gridDim(1, 1, 1);

// ceilf, fabsf, floorf, fmaxf, fminf, roundf: the C library's, global as in CUDA (<math.h>).
#include <math.h>

// IEEE binary16 bits of `x`, rounded to nearest even (as `cvt.rn.f16.f32`), NaN kept quiet.
inline unsigned short ss_host_f32_to_f16(float x) {
    uint32_t f;
    std::memcpy(&f, &x, 4);
    uint32_t sign = (f >> 16) & 0x8000u;
    uint32_t abs = f & 0x7fffffffu;
    if (abs >= 0x7f800000u) {  // Inf or NaN.
        return (unsigned short)(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
    }
    if (abs >= 0x477ff000u) {  // Rounds to 65536 or more: infinity.
        return (unsigned short)(sign | 0x7c00u);
    }
    if (abs < 0x38800000u) {  // Below the smallest normal half: subnormal or zero.
        if (abs < 0x33000000u) return (unsigned short)sign;  // Below half the smallest subnormal.
        uint32_t exp = abs >> 23;
        uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
        uint32_t shift = 126u - exp;  // 14 + (127 - 1 - exp) + 1 - 1: value = mant >> shift.
        uint32_t half = mant >> shift;
        uint32_t rem = mant & ((1u << shift) - 1u);
        uint32_t mid = 1u << (shift - 1u);
        if (rem > mid || (rem == mid && (half & 1u))) ++half;
        return (unsigned short)(sign | half);
    }
    uint32_t half = ((abs >> 13) - (112u << 10));
    uint32_t rem = abs & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) ++half;
    return (unsigned short)(sign | half);
}

// The value of IEEE binary16 bits (exact).
inline float ss_host_f16_to_f32(unsigned short h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    float v;
    if (exp == 0) {
        v = std::ldexp((float)mant, -24);
    } else if (exp == 31) {
        v = mant ? NAN : INFINITY;
    } else {
        v = std::ldexp((float)(mant | 0x400u), (int)exp - 25);
    }
    return sign ? -v : v;
}

// Runs `kernel(args...)` once per thread of the grid, as CUDA would schedule it.
template <typename... Params, typename... Args>
inline void ss_launch(dim3 grid, dim3 block, void (*kernel)(Params...), Args... args) {
    gridDim = grid;
    blockDim = block;
    for (unsigned int bz = 0; bz < grid.z; ++bz)
        for (unsigned int by = 0; by < grid.y; ++by)
            for (unsigned int bx = 0; bx < grid.x; ++bx)
                for (unsigned int tz = 0; tz < block.z; ++tz)
                    for (unsigned int ty = 0; ty < block.y; ++ty)
                        for (unsigned int tx = 0; tx < block.x; ++tx) {
                            blockIdx = dim3(bx, by, bz);
                            threadIdx = dim3(tx, ty, tz);
                            kernel(args...);
                        }
}
