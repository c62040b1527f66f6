// Scene-cut metric: the luma planes of two frames, each averaged over `cell x cell` boxes (clipped
// at the borders), and the mean absolute difference of the box means, in units of full scale.
// `ss_scene_cells` writes one difference per cell; `ss_scene_row_sums` sums rows (run it on the
// cells, then on the row sums as one row); the host divides the total by the number of cells.
//
// Reference: `scene::luma_difference` (integer box sums, the same float operations and order).
#include "colour.cuh"

template <typename T>
__device__ __forceinline__ void ss_cells(const unsigned char* a, int a_pitch,
                                         const unsigned char* b, int b_pitch, int width, int height,
                                         int cell, float full_scale, float* diffs) {
    int cols = (width + cell - 1) / cell, rows = (height + cell - 1) / cell;
    int cx = blockIdx.x * blockDim.x + threadIdx.x;
    int cy = blockIdx.y * blockDim.y + threadIdx.y;
    if (cx >= cols || cy >= rows) return;
    int x0 = cx * cell, x1 = ss_min(x0 + cell, width);
    int y0 = cy * cell, y1 = ss_min(y0 + cell, height);
    unsigned int sa = 0, sb = 0;
    for (int y = y0; y < y1; ++y) {
        const T* ra = (const T*)(a + (long long)y * a_pitch);
        const T* rb = (const T*)(b + (long long)y * b_pitch);
        for (int x = x0; x < x1; ++x) {
            sa += ra[x];
            sb += rb[x];
        }
    }
    unsigned int d = sa > sb ? sa - sb : sb - sa;
    float n = (float)((x1 - x0) * (y1 - y0));
    diffs[(long long)cy * cols + cx] = (float)d / (n * full_scale);
}

extern "C" __global__ void ss_scene_cells_u8(const unsigned char* a, int a_pitch,
                                             const unsigned char* b, int b_pitch, int width,
                                             int height, int cell, float* diffs) {
    ss_cells<unsigned char>(a, a_pitch, b, b_pitch, width, height, cell, 255.0f, diffs);
}

extern "C" __global__ void ss_scene_cells_u16(const unsigned char* a, int a_pitch,
                                              const unsigned char* b, int b_pitch, int width,
                                              int height, int cell, float* diffs) {
    ss_cells<unsigned short>(a, a_pitch, b, b_pitch, width, height, cell, 65535.0f, diffs);
}

extern "C" __global__ void ss_scene_row_sums(const float* values, int cols, int rows,
                                             float* sums) {
    int y = blockIdx.x * blockDim.x + threadIdx.x;
    if (y >= rows) return;
    float s = 0.0f;
    for (int x = 0; x < cols; ++x) s += values[(long long)y * cols + x];
    sums[y] = s;
}
