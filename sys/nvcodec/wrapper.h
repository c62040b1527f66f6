/* The Video Codec SDK headers as FFmpeg's nv-codec-headers ship them (Debian: libffmpeg-nvenc-dev).
 * dynlink_cuda.h first: the cuvid headers need its CUresult, CUcontext and CUstream. */
#include <stdint.h>
#include "dynlink_cuda.h"
#include "dynlink_cuviddec.h"
#include "dynlink_nvcuvid.h"
#include "nvEncodeAPI.h"
