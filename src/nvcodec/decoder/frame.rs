//! A decoded picture mapped into device memory (`cuvidMapVideoFrame64`), unmapped when dropped
//! so its surface goes back to the decoder as soon as the caller has converted it.

use std::rc::Rc;

use cudarc::driver::CudaStream;
use smoothscale_nvcodec_sys as sys;

use super::error::{check, NvdecError};
use super::handles::DecoderHandle;
use super::plan::{Geometry, SurfaceFormat};

/// One mapped picture: a luma plane of `height` rows at `device_ptr`, then the interleaved CbCr
/// plane of `height / 2` rows at [`MappedFrame::chroma_ptr`], both `pitch` bytes apart.
pub struct MappedFrame {
    decoder: Rc<DecoderHandle>,
    device_ptr: u64,
    pitch: u32,
    format: SurfaceFormat,
    width: u32,
    height: u32,
    /// The visible size inside the surface (the decoder's display area).
    visible: (u32, u32),
    /// The parser's timestamp of the picture (what was sent with its packet).
    timestamp: i64,
}

/// A frame copied to the host with its padding removed (tests, debugging).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostFrame {
    pub format: SurfaceFormat,
    pub width: u32,
    pub height: u32,
    /// `height` rows of `width` samples.
    pub luma: Vec<u8>,
    /// `height / 2` rows of `width` interleaved Cb, Cr samples.
    pub chroma: Vec<u8>,
}

impl HostFrame {
    /// A frame from tightly packed NV12/P016 bytes (luma rows, then chroma rows; 16-bit samples
    /// little-endian), as `ffmpeg -pix_fmt nv12|p016le -f rawvideo` writes; `None` when `bytes`
    /// has another size.
    pub fn from_packed(
        format: SurfaceFormat,
        width: u32,
        height: u32,
        bytes: &[u8],
    ) -> Option<Self> {
        let row = width as usize * format.bytes_per_sample();
        let luma = row * height as usize;
        let chroma = row * (height as usize / 2);
        (bytes.len() == luma + chroma).then(|| HostFrame {
            format,
            width,
            height,
            luma: bytes[..luma].to_vec(),
            chroma: bytes[luma..].to_vec(),
        })
    }

    /// PSNR in dB over both planes against a frame of the same format and size (16-bit samples
    /// compared on their 16-bit scale); infinite when identical, `None` when the frames differ in
    /// format or size.
    pub fn psnr(&self, other: &HostFrame) -> Option<f64> {
        if (self.format, self.width, self.height) != (other.format, other.width, other.height) {
            return None;
        }
        let samples = |f: &HostFrame| -> Vec<f64> {
            let bytes = f.luma.iter().chain(&f.chroma).copied().collect::<Vec<u8>>();
            match f.format {
                SurfaceFormat::Nv12 => bytes.iter().map(|&b| f64::from(b)).collect(),
                SurfaceFormat::P016 => bytes
                    .chunks_exact(2)
                    .map(|c| f64::from(u16::from_le_bytes([c[0], c[1]])))
                    .collect(),
            }
        };
        let (a, b) = (samples(self), samples(other));
        let peak = match self.format {
            SurfaceFormat::Nv12 => 255.0,
            SurfaceFormat::P016 => 65535.0,
        };
        let mse =
            a.iter().zip(&b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len().max(1) as f64;
        Some(10.0 * (peak * peak / mse).log10())
    }
}

impl MappedFrame {
    /// Maps `picture` on `stream` (post-processing is ordered on it).
    pub(crate) fn map(
        decoder: Rc<DecoderHandle>,
        stream: &CudaStream,
        picture: &sys::CUVIDPARSERDISPINFO,
        geometry: Geometry,
    ) -> Result<Self, NvdecError> {
        decoder
            .ctx
            .bind_to_thread()
            .map_err(NvdecError::cuda("binding the context"))?;
        let mut status = sys::CUVIDGETDECODESTATUS::default();
        // SAFETY: a live decoder and a picture index the parser just displayed.
        let rc = unsafe {
            (decoder.lib.get_decode_status)(decoder.raw, picture.picture_index, &mut status)
        };
        check("cuvidGetDecodeStatus", rc)?;
        if status.decodeStatus == sys::cuvidDecodeStatus_Error {
            return Err(NvdecError::PictureFailed {
                picture: picture.picture_index,
            });
        }
        let mut params = proc_params(picture, stream.cu_stream().cast());
        let (mut device_ptr, mut pitch) = (0u64, 0u32);
        // SAFETY: live decoder, displayed picture, live out-pointers; the context is current.
        let rc = unsafe {
            (decoder.lib.map_video_frame64)(
                decoder.raw,
                picture.picture_index,
                &mut device_ptr,
                &mut pitch,
                &mut params,
            )
        };
        check("cuvidMapVideoFrame64", rc)?;
        let (width, height) = geometry.target;
        Ok(MappedFrame {
            decoder,
            device_ptr,
            pitch,
            format: geometry.surface,
            width,
            height,
            visible: geometry.visible,
            timestamp: picture.timestamp,
        })
    }

    /// The luma plane's device address.
    pub fn device_ptr(&self) -> u64 {
        self.device_ptr
    }

    /// The chroma plane's device address: right after the luma rows (the surface is as tall as
    /// the decoder's even output height).
    pub fn chroma_ptr(&self) -> u64 {
        self.device_ptr + u64::from(self.pitch) * u64::from(self.height.next_multiple_of(2))
    }

    /// Bytes from one row to the next, in both planes.
    pub fn pitch(&self) -> u32 {
        self.pitch
    }

    pub fn format(&self) -> SurfaceFormat {
        self.format
    }

    /// The output size (the visible area, rounded up to even).
    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }

    /// The visible size (the decoder's display area; at most [`MappedFrame::width`] x
    /// [`MappedFrame::height`]).
    pub fn visible_size(&self) -> (u32, u32) {
        self.visible
    }

    /// The decoder's output geometry for this picture.
    pub fn geometry(&self) -> Geometry {
        Geometry {
            surface: self.format,
            target: (self.width, self.height),
            visible: self.visible,
        }
    }

    /// The parser's timestamp of this picture.
    pub fn timestamp(&self) -> i64 {
        self.timestamp
    }

    /// Copies both planes to the host without padding. Waits for `stream` (the one the frame
    /// was mapped on) first.
    pub fn download(&self, stream: &CudaStream) -> Result<HostFrame, NvdecError> {
        stream
            .synchronize()
            .map_err(NvdecError::cuda("waiting for the mapping"))?;
        let pitch = self.pitch as usize;
        let rows = self.height.next_multiple_of(2) as usize;
        let mut raw = vec![0u8; pitch * (rows + rows / 2)];
        // SAFETY: the mapping holds both planes, `rows * 3 / 2` rows of `pitch` bytes, and stays
        // mapped while `self` lives; the stream that wrote it has finished.
        unsafe { cudarc::driver::result::memcpy_dtoh_sync(&mut raw, self.device_ptr) }
            .map_err(NvdecError::cuda("copying a decoded frame to the host"))?;
        let row = self.width as usize * self.format.bytes_per_sample();
        let plane = |first: usize, count: usize| -> Vec<u8> {
            (first..first + count)
                .flat_map(|r| &raw[r * pitch..r * pitch + row])
                .copied()
                .collect()
        };
        Ok(HostFrame {
            format: self.format,
            width: self.width,
            height: self.height,
            luma: plane(0, self.height as usize),
            chroma: plane(rows, self.height as usize / 2),
        })
    }
}

/// The post-processing parameters of a displayed picture, as NVIDIA's `NvDecoder` sample sets
/// them: for interlaced content `second_field` is `repeat_first_field + 1` (the parser's
/// `repeat_first_field` is -1 for an unpaired field, 0 normally, 1 or 2 for repeated fields), and
/// an unpaired field is flagged.
pub(crate) fn proc_params(
    picture: &sys::CUVIDPARSERDISPINFO,
    output_stream: sys::CUstream,
) -> sys::CUVIDPROCPARAMS {
    sys::CUVIDPROCPARAMS {
        progressive_frame: picture.progressive_frame,
        second_field: picture.repeat_first_field + 1,
        top_field_first: picture.top_field_first,
        unpaired_field: i32::from(picture.repeat_first_field < 0),
        output_stream,
        ..Default::default()
    }
}

impl Drop for MappedFrame {
    fn drop(&mut self) {
        if let Err(e) = self.decoder.ctx.bind_to_thread() {
            log::warn!("cannot bind the CUDA context to unmap an NVDEC frame: {e}");
        }
        // SAFETY: `device_ptr` was returned by cuvidMapVideoFrame64 on this (live) decoder and is
        // unmapped once.
        let rc =
            unsafe { (self.decoder.lib.unmap_video_frame64)(self.decoder.raw, self.device_ptr) };
        if rc != sys::CUDA_SUCCESS {
            log::warn!("cuvidUnmapVideoFrame64 failed with CUresult {rc}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_frames_split_into_planes_and_compare_by_psnr() {
        let bytes: Vec<u8> = (0..24).collect();
        let a = HostFrame::from_packed(SurfaceFormat::Nv12, 4, 4, &bytes).unwrap();
        assert_eq!((a.luma.len(), a.chroma.len()), (16, 8));
        assert_eq!(a.chroma[0], 16);
        assert!(HostFrame::from_packed(SurfaceFormat::Nv12, 4, 4, &bytes[1..]).is_none());
        assert_eq!(a.psnr(&a), Some(f64::INFINITY));
        let mut b = a.clone();
        // One sample off by 255 of 24: MSE 255^2 / 24, PSNR 10 log10(24).
        b.luma[0] = 255;
        let psnr = a.psnr(&b).unwrap();
        assert!((psnr - 10.0 * 24f64.log10()).abs() < 1e-9, "{psnr}");
        let wide = HostFrame::from_packed(SurfaceFormat::P016, 2, 2, &[0; 12]).unwrap();
        assert_eq!(a.psnr(&wide), None);
        let mut off = wide.clone();
        off.luma[1] = 1; // sample 0 = 256 of 65535, over 6 samples
        let expected = 10.0 * (65535f64.powi(2) / (256f64.powi(2) / 6.0)).log10();
        assert!((wide.psnr(&off).unwrap() - expected).abs() < 1e-9);
    }

    #[test]
    fn interlaced_pictures_map_their_second_field_as_nvidias_sample_does() {
        let picture = |progressive, repeat| sys::CUVIDPARSERDISPINFO {
            picture_index: 3,
            progressive_frame: progressive,
            top_field_first: 1,
            repeat_first_field: repeat,
            ..Default::default()
        };
        let p = proc_params(&picture(0, 0), std::ptr::null_mut());
        assert_eq!(
            (p.progressive_frame, p.second_field, p.top_field_first),
            (0, 1, 1)
        );
        assert_eq!(p.unpaired_field, 0);
        // A repeated first field (3:2 pull-down) and an unpaired field.
        assert_eq!(
            proc_params(&picture(0, 1), std::ptr::null_mut()).second_field,
            2
        );
        let unpaired = proc_params(&picture(0, -1), std::ptr::null_mut());
        assert_eq!((unpaired.second_field, unpaired.unpaired_field), (0, 1));
        assert_eq!(
            proc_params(&picture(1, 0), std::ptr::null_mut()).progressive_frame,
            1
        );
    }
}
