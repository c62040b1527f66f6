//! The NVDEC session: Annex-B packets in, mapped frames out in display order.

use std::cell::RefCell;
use std::ffi::c_void;
use std::sync::Arc;

use cudarc::driver::CudaStream;
use smoothscale_nvcodec_sys as sys;
use smoothscale_nvcodec_sys::Cuvid;

use super::callbacks::{decode_callback, display_callback, sequence_callback, ParserState};
use super::error::NvdecError;
use super::frame::MappedFrame;
use super::handles::ParserHandle;
use crate::nvcodec::NalCodec;

/// How many pictures the parser holds before displaying one (the SDK samples' choice).
const DISPLAY_DELAY: u32 = 1;

/// A hardware decoder for one H.264 or HEVC stream on a CUDA context.
///
/// Feed it Annex-B packets in decode order with [`NvDecoder::decode`], take the displayed
/// pictures after every packet with [`NvDecoder::next_frame`], and call [`NvDecoder::flush`] at
/// the end of the stream. Frames are mapped on the decoder's stream; drop each one as soon as it
/// has been converted.
pub struct NvDecoder {
    // Dropped first: the parser's callbacks point into `state`.
    parser: ParserHandle,
    state: Box<RefCell<ParserState>>,
    stream: Arc<CudaStream>,
    flushed: bool,
}

impl NvDecoder {
    /// Opens `libnvcuvid.so.1` and a decoder for `codec` on `stream`'s context.
    pub fn new(stream: Arc<CudaStream>, codec: NalCodec) -> Result<Self, NvdecError> {
        Self::with_library(Arc::new(Cuvid::load()?), stream, codec)
    }

    /// As [`NvDecoder::new`], with an already opened library.
    pub fn with_library(
        lib: Arc<Cuvid>,
        stream: Arc<CudaStream>,
        codec: NalCodec,
    ) -> Result<Self, NvdecError> {
        let state = ParserState::new(lib.clone(), stream.context().clone(), codec)?;
        let state = Box::new(RefCell::new(state));
        let mut params = sys::CUVIDPARSERPARAMS {
            CodecType: match codec {
                NalCodec::H264 => sys::cudaVideoCodec_H264,
                NalCodec::Hevc => sys::cudaVideoCodec_HEVC,
            },
            // The sequence callback returns the real number.
            ulMaxNumDecodeSurfaces: 1,
            ulMaxDisplayDelay: DISPLAY_DELAY,
            pUserData: (&*state as *const RefCell<ParserState>)
                .cast_mut()
                .cast::<c_void>(),
            pfnSequenceCallback: Some(sequence_callback),
            pfnDecodePicture: Some(decode_callback),
            pfnDisplayPicture: Some(display_callback),
            ..Default::default()
        };
        // SAFETY: the user data is the boxed state, which `NvDecoder` drops after the parser
        // (field order), and which the callbacks read as a `RefCell<ParserState>`.
        let parser = unsafe { ParserHandle::new(lib, &mut params) }?;
        Ok(NvDecoder {
            parser,
            state,
            stream,
            flushed: false,
        })
    }

    /// Parses and decodes one packet (an Annex-B access unit) sent with `timestamp`, which the
    /// displayed picture carries back. Empty packets are ignored.
    pub fn decode(&mut self, annexb: &[u8], timestamp: i64) -> Result<(), NvdecError> {
        if annexb.is_empty() {
            return Ok(());
        }
        let mut packet = sys::CUVIDSOURCEDATAPACKET {
            flags: sys::CUVID_PKT_TIMESTAMP.into(),
            payload_size: annexb.len() as _,
            payload: annexb.as_ptr(),
            timestamp,
        };
        self.parse(&mut packet)
    }

    /// Tells the parser the stream has ended, so it displays every picture it still holds.
    /// Later calls do nothing.
    pub fn flush(&mut self) -> Result<(), NvdecError> {
        if self.flushed {
            return Ok(());
        }
        self.flushed = true;
        let mut packet = sys::CUVIDSOURCEDATAPACKET {
            flags: sys::CUVID_PKT_ENDOFSTREAM.into(),
            ..Default::default()
        };
        self.parse(&mut packet)
    }

    fn parse(&mut self, packet: &mut sys::CUVIDSOURCEDATAPACKET) -> Result<(), NvdecError> {
        if let Some(e) = self.state.borrow_mut().error.take() {
            return Err(e);
        }
        self.stream
            .context()
            .bind_to_thread()
            .map_err(NvdecError::cuda("binding the context"))?;
        let parsed = self.parser.parse(packet);
        // A callback's own error says more than the parser's status.
        match self.state.borrow_mut().error.take() {
            Some(e) => Err(e),
            None => parsed,
        }
    }

    /// The next picture in display order, mapped; `None` until the parser shows one.
    pub fn next_frame(&mut self) -> Result<Option<MappedFrame>, NvdecError> {
        let Some(shown) = self.state.borrow_mut().displayed.pop() else {
            return Ok(None);
        };
        MappedFrame::map(shown.decoder, &self.stream, &shown.info, shown.geometry).map(Some)
    }

    /// Pictures displayed and not yet taken.
    pub fn queued(&self) -> usize {
        self.state.borrow().displayed.len()
    }

    /// The stream frames are mapped on.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }
}
