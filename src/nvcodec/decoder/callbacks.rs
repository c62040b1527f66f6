//! The parser's callbacks. They run inside `cuvidParseVideoData`, on the caller's thread, and
//! never unwind into C: each body runs under `catch_unwind`, and any error (or panic) is kept in
//! the state for the session to return once the parse call is back.

use std::cell::RefCell;
use std::ffi::{c_int, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;

use cudarc::driver::CudaContext;
use smoothscale_nvcodec_sys as sys;
use smoothscale_nvcodec_sys::Cuvid;

use super::display_queue::{DisplayQueue, SurfaceKey};
use super::error::{check, NvdecError};
use super::handles::{CtxLock, DecoderHandle};
use super::plan::{self, Chroma, DecoderCaps, Geometry, StreamFormat, SurfaceFormat};
use crate::nvcodec::NalCodec;

/// The decoder serving the current sequence, and the geometry of its output.
struct Active {
    decoder: Rc<DecoderHandle>,
    /// Tells this decoder's surfaces from those of earlier sequences' decoders.
    id: u64,
    format: StreamFormat,
    geometry: Geometry,
    surfaces: u32,
}

/// A picture the parser displayed and nobody has mapped yet.
pub(crate) struct Displayed {
    pub(crate) decoder: Rc<DecoderHandle>,
    pub(crate) geometry: Geometry,
    pub(crate) info: sys::CUVIDPARSERDISPINFO,
}

/// What the callbacks share with the session.
pub(crate) struct ParserState {
    lib: Arc<Cuvid>,
    ctx: Arc<CudaContext>,
    lock: Rc<CtxLock>,
    codec: NalCodec,
    active: Option<Active>,
    /// Decoders created so far (the next one's id).
    decoders: u64,
    pub(crate) displayed: DisplayQueue<Displayed>,
    /// The first error a callback met; the session returns it after the parse call.
    pub(crate) error: Option<NvdecError>,
}

impl ParserState {
    pub(crate) fn new(
        lib: Arc<Cuvid>,
        ctx: Arc<CudaContext>,
        codec: NalCodec,
    ) -> Result<Self, NvdecError> {
        let lock = Rc::new(CtxLock::new(lib.clone(), ctx.clone())?);
        Ok(ParserState {
            lib,
            ctx,
            lock,
            codec,
            active: None,
            decoders: 0,
            displayed: DisplayQueue::default(),
            error: None,
        })
    }

    fn on_sequence(&mut self, raw: &sys::CUVIDEOFORMAT) -> Result<c_int, NvdecError> {
        let format = stream_format(raw, self.codec)?;
        if let Some(active) = &self.active {
            if active.format == format {
                return Ok(active.surfaces as c_int);
            }
        }
        let caps = self.query_caps(raw)?;
        let surface = plan::check_caps(&format, &caps)?;
        let surfaces = plan::decode_surfaces(format.min_surfaces);
        let (width, height) = plan::target_size(&format);
        let [left, top, right, bottom] = plan::crop(&format).map(|v| v as i16);
        let mut info = sys::CUVIDDECODECREATEINFO {
            ulWidth: raw.coded_width.into(),
            ulHeight: raw.coded_height.into(),
            ulNumDecodeSurfaces: surfaces.into(),
            CodecType: raw.codec,
            ChromaFormat: raw.chroma_format,
            ulCreationFlags: sys::cudaVideoCreate_PreferCUVID.into(),
            bitDepthMinus8: raw.bit_depth_luma_minus8.into(),
            ulMaxWidth: raw.coded_width.into(),
            ulMaxHeight: raw.coded_height.into(),
            OutputFormat: match surface {
                SurfaceFormat::Nv12 => sys::cudaVideoSurfaceFormat_NV12,
                SurfaceFormat::P016 => sys::cudaVideoSurfaceFormat_P016,
            },
            DeinterlaceMode: if raw.progressive_sequence != 0 {
                sys::cudaVideoDeinterlaceMode_Weave
            } else {
                sys::cudaVideoDeinterlaceMode_Adaptive
            },
            ulTargetWidth: width.into(),
            ulTargetHeight: height.into(),
            ulNumOutputSurfaces: plan::MAPPED_SURFACES.into(),
            ..Default::default()
        };
        info.display_area.left = left;
        info.display_area.top = top;
        info.display_area.right = right;
        info.display_area.bottom = bottom;
        let decoder = DecoderHandle::new(
            self.lib.clone(),
            self.ctx.clone(),
            self.lock.clone(),
            &mut info,
        )?;
        if let Some(old) = &self.active {
            log::info!(
                "the stream's sequence changes: {:?} -> {:?}",
                old.geometry.visible,
                format.display_size()
            );
        }
        self.active = Some(Active {
            decoder: Rc::new(decoder),
            id: self.decoders,
            format,
            geometry: Geometry::of(&format, surface),
            surfaces,
        });
        self.decoders += 1;
        Ok(surfaces as c_int)
    }

    fn query_caps(&self, raw: &sys::CUVIDEOFORMAT) -> Result<DecoderCaps, NvdecError> {
        let mut caps = sys::CUVIDDECODECAPS {
            eCodecType: raw.codec,
            eChromaFormat: raw.chroma_format,
            nBitDepthMinus8: raw.bit_depth_luma_minus8.into(),
            ..Default::default()
        };
        self.ctx
            .bind_to_thread()
            .map_err(NvdecError::cuda("binding the context"))?;
        // SAFETY: `caps` is initialised with the codec, chroma and depth to ask about; the
        // context is current.
        let status = unsafe { (self.lib.get_decoder_caps)(&mut caps) };
        check("cuvidGetDecoderCaps", status)?;
        Ok(DecoderCaps {
            supported: caps.bIsSupported != 0,
            output_format_mask: caps.nOutputFormatMask,
            min_width: caps.nMinWidth.into(),
            min_height: caps.nMinHeight.into(),
            max_width: caps.nMaxWidth,
            max_height: caps.nMaxHeight,
            max_macroblocks: caps.nMaxMBCount,
        })
    }

    fn on_decode(&mut self, pic: *mut sys::CUVIDPICPARAMS) -> Result<c_int, NvdecError> {
        let active = self.active.as_ref().ok_or(NvdecError::NoDecoder)?;
        // SAFETY: the parser passes a valid picture for the duration of the call.
        let target = unsafe { pic.as_ref() }.ok_or(NvdecError::NoDecoder)?;
        self.displayed.check_decode(SurfaceKey {
            decoder: active.id,
            picture: target.CurrPicIdx,
        })?;
        // SAFETY: the parser hands a picture for the decoder it asked us to create; the context
        // was made current by the session before the parse call.
        let status = unsafe { (self.lib.decode_picture)(active.decoder.raw, pic) };
        check("cuvidDecodePicture", status)?;
        Ok(1)
    }

    fn on_display(&mut self, info: Option<&sys::CUVIDPARSERDISPINFO>) -> Result<c_int, NvdecError> {
        // A null picture marks the end of the stream.
        let Some(info) = info else { return Ok(1) };
        let active = self.active.as_ref().ok_or(NvdecError::NoDecoder)?;
        let key = SurfaceKey {
            decoder: active.id,
            picture: info.picture_index,
        };
        let shown = Displayed {
            decoder: active.decoder.clone(),
            geometry: active.geometry,
            info: *info,
        };
        self.displayed.push(key, active.surfaces, shown)?;
        Ok(1)
    }
}

/// Our terms for the parser's description of a sequence.
fn stream_format(raw: &sys::CUVIDEOFORMAT, expected: NalCodec) -> Result<StreamFormat, NvdecError> {
    let codec = match raw.codec {
        sys::cudaVideoCodec_H264 => NalCodec::H264,
        sys::cudaVideoCodec_HEVC => NalCodec::Hevc,
        other => return Err(NvdecError::CodecMismatch(other)),
    };
    if codec != expected {
        return Err(NvdecError::CodecMismatch(raw.codec));
    }
    let chroma = match raw.chroma_format {
        sys::cudaVideoChromaFormat_Monochrome => Chroma::Monochrome,
        sys::cudaVideoChromaFormat_420 => Chroma::Yuv420,
        sys::cudaVideoChromaFormat_422 => Chroma::Yuv422,
        _ => Chroma::Yuv444,
    };
    let area = raw.display_area;
    let clamp = |v: c_int| v.max(0) as u32;
    Ok(StreamFormat {
        codec,
        bit_depth: raw.bit_depth_luma_minus8 + 8,
        chroma,
        coded_width: raw.coded_width,
        coded_height: raw.coded_height,
        display: [
            clamp(area.left),
            clamp(area.top),
            clamp(area.right),
            clamp(area.bottom),
        ],
        min_surfaces: raw.min_num_decode_surfaces,
    })
}

/// Runs a callback body on the state behind `user`, keeping its error (or panic) there.
fn guarded(
    user: *mut c_void,
    body: impl FnOnce(&mut ParserState) -> Result<c_int, NvdecError>,
) -> c_int {
    // SAFETY: `user` is the session's `RefCell<ParserState>`, boxed and alive for as long as the
    // parser; callbacks run only inside `cuvidParseVideoData`, when the session holds no borrow.
    let cell = unsafe { &*user.cast::<RefCell<ParserState>>() };
    let Ok(mut state) = cell.try_borrow_mut() else {
        return 0;
    };
    if state.error.is_some() {
        return 0;
    }
    match catch_unwind(AssertUnwindSafe(|| body(&mut state))) {
        Ok(Ok(value)) => value,
        Ok(Err(e)) => {
            state.error = Some(e);
            0
        }
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            state.error = Some(NvdecError::CallbackPanicked(message));
            0
        }
    }
}

pub(crate) unsafe extern "C" fn sequence_callback(
    user: *mut c_void,
    format: *mut sys::CUVIDEOFORMAT,
) -> c_int {
    guarded(user, |state| {
        // SAFETY: the parser passes a valid format for the duration of the call.
        let format = unsafe { format.as_ref() }.ok_or(NvdecError::NoDecoder)?;
        state.on_sequence(format)
    })
}

pub(crate) unsafe extern "C" fn decode_callback(
    user: *mut c_void,
    pic: *mut sys::CUVIDPICPARAMS,
) -> c_int {
    guarded(user, |state| state.on_decode(pic))
}

pub(crate) unsafe extern "C" fn display_callback(
    user: *mut c_void,
    info: *mut sys::CUVIDPARSERDISPINFO,
) -> c_int {
    guarded(user, |state| {
        // SAFETY: null (end of stream) or a valid picture for the duration of the call.
        let info = unsafe { info.as_ref() };
        state.on_display(info)
    })
}
