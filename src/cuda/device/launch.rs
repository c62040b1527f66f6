//! The launch plumbing shared by every kernel family, and the colour conversions: NV12/P016 →
//! planar RGB (f32 or f16, padded) and back. Arguments are pushed in the order and with the types
//! of the `.cu` signatures (`int` → `i32`, `long long` → `i64`, `SsColour` by value).

use std::sync::Arc;

use cudarc::driver::{
    CudaContext, CudaFunction, CudaSlice, CudaStream, DevicePtr, DeviceRepr, LaunchArgs,
    LaunchConfig, PushKernelArg,
};

use super::buffer::DeviceFrame;
use super::checks;
use super::error::DeviceError;
use super::kernels::Kernels;
use super::layout::FrameLayout;
use crate::colour::{Encoding, Siting};
use crate::cuda::{KernelColour, LaunchDims};

// SAFETY: `KernelColour` is `#[repr(C)]` with only `f32`/`i32` fields, the layout of `SsColour`
// (its size is checked against the C compiler's in tests/cuda_kernels_host.rs); the driver copies
// it by value as a kernel parameter.
unsafe impl DeviceRepr for KernelColour {}

/// An `int` kernel parameter (every size was checked to fit when its layout was made).
pub(crate) fn int(v: usize) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// A `long long` kernel parameter.
pub(crate) fn long(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Y'CbCr 4:2:0 planes in device memory owned elsewhere (a mapped NVDEC surface).
#[derive(Debug, Clone)]
pub struct ForeignYuv {
    /// Their format, visible size and pitch (`FrameLayout::yuv420`).
    pub layout: FrameLayout,
    /// The context the memory belongs to.
    pub context: Arc<CudaContext>,
    /// Device address of the first luma row.
    pub luma: u64,
    /// Device address of the first chroma row.
    pub chroma: u64,
}

/// Launches the kernel `args` were built for.
///
/// # Safety
///
/// `args` holds the kernel's parameters in the order and with the types of its `.cu` signature,
/// and every buffer among them covers what the grid of `config` reads and writes.
pub(crate) unsafe fn submit(
    kernel: &'static str,
    args: &mut LaunchArgs<'_>,
    config: LaunchConfig,
) -> Result<(), DeviceError> {
    // SAFETY: guaranteed by the caller (see above); cudarc records the buffers' use on the
    // stream, so they are not freed while the kernel runs.
    unsafe { args.launch(config) }
        .map(|_| ())
        .map_err(DeviceError::driver(format!("launching {kernel}")))
}

impl Kernels {
    /// The function and launch configuration of `kernel` over `dims`, after checking that the
    /// stream and every buffer (by its context) belong to this device, and the grid.
    pub(crate) fn prepare(
        &self,
        stream: &Arc<CudaStream>,
        kernel: &'static str,
        dims: LaunchDims,
        buffers: &[&Arc<CudaContext>],
    ) -> Result<(&CudaFunction, LaunchConfig), DeviceError> {
        let own = self.gpu().context();
        if std::iter::once(stream.context())
            .chain(buffers.iter().copied())
            .any(|c| !Arc::ptr_eq(c, own))
        {
            return Err(DeviceError::Geometry {
                kernel,
                reason: format!(
                    "a stream or buffer of another context than {}",
                    self.gpu().info()
                ),
            });
        }
        checks::check_dims(kernel, dims)?;
        let config = LaunchConfig {
            grid_dim: dims.grid.into(),
            block_dim: dims.block.into(),
            shared_mem_bytes: 0,
        };
        Ok((self.function(kernel)?, config))
    }
    /// NV12/P016 `src` to the planar RGB `dst` (f32 or f16), the padding zeroed.
    pub fn yuv_to_rgb(
        &self,
        stream: &Arc<CudaStream>,
        src: &DeviceFrame,
        encoding: Encoding,
        siting: Siting,
        dst: &mut DeviceFrame,
    ) -> Result<(), DeviceError> {
        let (luma, chroma) = src.planes();
        // The guards record, when dropped after the launch, that `stream` read the planes.
        let (luma, _luma_used) = luma.device_ptr(stream);
        let (chroma, _chroma_used) = chroma.device_ptr(stream);
        let planes = ForeignYuv {
            layout: *src.layout(),
            context: src.context().clone(),
            luma,
            chroma,
        };
        // SAFETY: the pointers are `src`'s own planes, borrowed for this call, of its layout.
        unsafe { self.foreign_yuv_to_rgb(stream, &planes, encoding, siting, dst) }
    }

    /// [`Kernels::yuv_to_rgb`] from Y'CbCr planes this crate does not own (an NVDEC surface).
    ///
    /// # Safety
    ///
    /// `src.luma` and `src.chroma` are device addresses in `src.context` holding the luma rows and
    /// the `ceil(height / 2)` chroma rows of `src.layout`, and stay valid until the kernel has run
    /// on `stream` (synchronize the stream before releasing them).
    pub unsafe fn foreign_yuv_to_rgb(
        &self,
        stream: &Arc<CudaStream>,
        src: &ForeignYuv,
        encoding: Encoding,
        siting: Siting,
        dst: &mut DeviceFrame,
    ) -> Result<(), DeviceError> {
        let (s, d) = (src.layout, *dst.layout());
        let kernel = checks::yuv_to_rgb(&s, &d, encoding)?;
        let colour = KernelColour::new(encoding, siting, s.format.sample_shift());
        let (pitch, w, h) = (int(s.pitch), int(s.width), int(s.height));
        let (out_w, out_h) = (int(d.padded_width), int(d.padded_height));
        let dims = LaunchDims::per_pixel(d.padded_width, d.padded_height, 1);
        let buffers = [&src.context, dst.context()];
        let (function, config) = self.prepare(stream, kernel, dims, &buffers)?;
        let mut out = dst.view_mut();
        let mut a = stream.launch_builder(function);
        a.arg(&src.luma).arg(&pitch).arg(&src.chroma).arg(&pitch);
        a.arg(&w).arg(&h).arg(&colour);
        a.arg(&mut out).arg(&out_w).arg(&out_h);
        // SAFETY: the parameters of `SS_NV12_KERNEL` in order (device pointers passed as their
        // 64-bit addresses); the caller guarantees the source planes (see above), and `dst` holds
        // three padded planes: all that one thread per padded output pixel touches (checked in
        // `checks::yuv_to_rgb`).
        unsafe { submit(kernel, &mut a, config) }
    }

    /// Planar RGB `src` (clamped to [0, 1]; only its visible part is read) to NV12/P016 `dst`.
    pub fn rgb_to_yuv(
        &self,
        stream: &Arc<CudaStream>,
        src: &DeviceFrame,
        encoding: Encoding,
        siting: Siting,
        dst: &mut DeviceFrame,
    ) -> Result<(), DeviceError> {
        let (layout, memory) = dst.parts_mut();
        self.rgb_to_yuv_into(stream, src, encoding, siting, layout, memory)
    }

    /// [`Kernels::rgb_to_yuv`] into device memory of another owner laid out as `layout` (an
    /// NVENC input buffer): luma rows, then chroma rows from [`FrameLayout::chroma_offset`].
    pub fn rgb_to_yuv_into(
        &self,
        stream: &Arc<CudaStream>,
        src: &DeviceFrame,
        encoding: Encoding,
        siting: Siting,
        layout: FrameLayout,
        memory: &mut CudaSlice<u8>,
    ) -> Result<(), DeviceError> {
        let (s, d) = (*src.layout(), layout);
        let kernel = checks::rgb_to_yuv(&s, &d, encoding)?;
        if memory.len() < d.bytes() {
            return Err(DeviceError::Geometry {
                kernel,
                reason: format!(
                    "a {} byte buffer for a frame of {} bytes",
                    memory.len(),
                    d.bytes()
                ),
            });
        }
        let colour = KernelColour::new(encoding, siting, d.format.sample_shift());
        let rgb = src.view();
        let (row_stride, plane_stride) = (int(s.row_stride()), long(s.plane_stride()));
        let (w, h, pitch) = (int(s.width), int(s.height), int(d.pitch));
        let dims = LaunchDims::per_pixel(s.width, s.height, 1);
        let buffers = [src.context(), memory.context()];
        let (function, config) = self.prepare(stream, kernel, dims, &buffers)?;
        let (mut luma, mut chroma) = memory.split_at_mut(d.chroma_offset());
        let mut a = stream.launch_builder(function);
        a.arg(&rgb).arg(&row_stride).arg(&plane_stride);
        a.arg(&w).arg(&h).arg(&colour);
        a.arg(&mut luma).arg(&pitch).arg(&mut chroma).arg(&pitch);
        // SAFETY: the parameters of `SS_RGB_TO_YUV_KERNEL` in order; `src` holds three planes of
        // `plane_stride` elements covering `width x height` at `row_stride`, and `memory` (at
        // least `layout.bytes()` long, checked above) the luma and chroma rows one thread per
        // visible pixel writes (checked in `checks::rgb_to_yuv`).
        unsafe { submit(kernel, &mut a, config) }
    }
}
