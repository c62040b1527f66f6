//! The NVENC session: frames written by our kernels into registered device buffers in, packets
//! with pts/dts out, in synchronous mode. Finished frames are collected a few frames late
//! (`COLLECT_LAG`), as NVIDIA's own samples delay their output, since locking a bitstream blocks
//! the host until the GPU has encoded it. Compiled here, not yet run on a GPU.

use std::rc::Rc;
use std::sync::Arc;

use cudarc::driver::{CudaSlice, CudaStream};
use smoothscale_nvcodec_sys as sys;
use smoothscale_nvcodec_sys::version::{NV_ENC_LOCK_BITSTREAM_VER, NV_ENC_PIC_PARAMS_VER};
use smoothscale_nvcodec_sys::NvEnc;

use super::caps::{check_codec, query_caps};
use super::config::buffer_format;
use super::error::NvencError;
use super::handles::{BitstreamBuffer, EncoderHandle};
use super::input::InputBuffer;
use super::setup::{initialize, sequence_params};
use super::timing::{DtsClock, SlotRing};
use crate::nvcodec::{nvenc_params, CodecGuid, InputFormat, NvencParams, NvencRequest, Vui};
use crate::video::VideoCodec;

/// Slots beyond B-frames and lookahead, so a finished batch never waits for a free slot.
const EXTRA_SLOTS: usize = 4;
/// Released frames left uncollected after each encode (fewer than [`EXTRA_SLOTS`], so a slot
/// stays free): locking a bitstream blocks the host until the GPU has encoded it, and leaving the
/// newest ones lets the host submit the next frames meanwhile.
const COLLECT_LAG: usize = EXTRA_SLOTS - 1;

/// What to encode and how.
#[derive(Debug, Clone, Copy)]
pub struct EncoderSettings {
    pub request: NvencRequest,
    /// The colour description written into the VUI.
    pub vui: Vui,
    /// One frame's duration in the time base of the pts passed to [`NvEncoder::encode`].
    pub frame_duration: i64,
}

/// One encoded access unit (Annex-B).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedPacket {
    pub data: Vec<u8>,
    pub pts: i64,
    pub dts: i64,
    pub keyframe: bool,
}

struct Slot {
    input: InputBuffer,
    output: BitstreamBuffer,
}

/// An NVENC encoder on a cudarc stream. Write each frame (NV12, or P010 for 10-bit) into
/// [`NvEncoder::next_input`] on [`NvEncoder::stream`], then call [`NvEncoder::encode`]; call
/// [`NvEncoder::finish`] at the end for the packets NVENC still holds.
pub struct NvEncoder {
    slots: Vec<Slot>,
    session: Rc<EncoderHandle>,
    params: NvencParams,
    ring: SlotRing,
    dts: DtsClock,
    pitch: u32,
    stream: Arc<CudaStream>,
    /// The stream handle NVENC was given a pointer to (`nvEncSetIOCudaStreams`).
    _io_stream: Box<sys::CUstream>,
    sequence: Vec<u8>,
    finished: bool,
}

impl NvEncoder {
    /// Opens `libnvidia-encode.so.1` and an encoder on `stream`'s context.
    pub fn new(stream: Arc<CudaStream>, settings: &EncoderSettings) -> Result<Self, NvencError> {
        Self::with_library(Arc::new(NvEnc::load()?), stream, settings)
    }

    /// As [`NvEncoder::new`], with an already opened library.
    pub fn with_library(
        nvenc: Arc<NvEnc>,
        stream: Arc<CudaStream>,
        settings: &EncoderSettings,
    ) -> Result<Self, NvencError> {
        let session = Rc::new(EncoderHandle::open(nvenc, stream.context().clone())?);
        let codec = match settings.request.codec {
            VideoCodec::H264 => CodecGuid::H264,
            VideoCodec::Hevc => CodecGuid::Hevc,
        };
        check_codec(&session, codec)?;
        let caps = query_caps(&session, codec)?;
        let params = nvenc_params(&settings.request, &caps)?;
        initialize(&session, &params, &settings.vui)?;

        let mut io_stream = Box::new(stream.cu_stream().cast::<sys::CUstream_st>());
        let io: sys::NV_ENC_CUSTREAM_PTR = (&mut *io_stream as *mut sys::CUstream).cast();
        // SAFETY: an initialised session; both pointers point at the boxed stream handle, which
        // lives as long as the encoder.
        let status =
            unsafe { (session.nvenc.functions.nvEncSetIOCudaStreams)(session.raw, io, io) };
        session.check("nvEncSetIOCudaStreams", status)?;

        let bytes_per_sample = match params.input {
            InputFormat::Nv12 => 1,
            InputFormat::P010 => 2,
        };
        let geometry = (
            params.width,
            params.height,
            params.width * bytes_per_sample,
            params.height * 3 / 2,
        );
        let count = params.frame_interval_p as usize
            + usize::from(params.lookahead_depth.unwrap_or(0))
            + EXTRA_SLOTS;
        let slots = (0..count)
            .map(|_| {
                Ok(Slot {
                    input: InputBuffer::new(
                        session.clone(),
                        &stream,
                        geometry,
                        buffer_format(params.input),
                    )?,
                    output: BitstreamBuffer::new(session.clone())?,
                })
            })
            .collect::<Result<Vec<_>, NvencError>>()?;
        // Every buffer has the same size, so the same pitch.
        let pitch = slots.first().map_or(0, |s| s.input.pitch());
        let sequence = sequence_params(&session)?;
        Ok(NvEncoder {
            slots,
            session,
            ring: SlotRing::new(count),
            dts: DtsClock::new(params.frame_interval_p - 1, settings.frame_duration),
            params,
            pitch,
            stream,
            _io_stream: io_stream,
            sequence,
            finished: false,
        })
    }

    /// The parameters the encoder was initialised with.
    pub fn params(&self) -> &NvencParams {
        &self.params
    }

    /// The parameter sets (SPS/PPS, and VPS for HEVC) as Annex-B: the codec configuration for
    /// the container.
    pub fn sequence_header(&self) -> &[u8] {
        &self.sequence
    }

    /// Bytes between rows of the input buffers (both planes; the chroma plane starts at
    /// `pitch * height`).
    pub fn pitch(&self) -> u32 {
        self.pitch
    }

    /// The stream NVENC waits on before reading an input buffer.
    pub fn stream(&self) -> &Arc<CudaStream> {
        &self.stream
    }

    /// The buffer the next frame goes into: `height * 3 / 2` rows of [`NvEncoder::pitch`] bytes.
    pub fn next_input(&mut self) -> Result<&mut CudaSlice<u8>, NvencError> {
        let slot = self.ring.next_slot().ok_or(NvencError::NoFreeInput)?;
        Ok(self.slots[slot].input.memory())
    }

    /// Encodes the frame in [`NvEncoder::next_input`] with presentation time `pts` (increasing);
    /// returns packets NVENC finished, in decode order: all but the newest few, which come with
    /// later calls or [`NvEncoder::finish`] (so the host does not wait for each frame's encode).
    pub fn encode(&mut self, pts: i64) -> Result<Vec<EncodedPacket>, NvencError> {
        if self.finished {
            return Err(NvencError::Finished);
        }
        let slot = self.ring.next_slot().ok_or(NvencError::NoFreeInput)?;
        self.bind()?;
        let input = self.slots[slot].input.map()?;
        let mut pic = sys::NV_ENC_PIC_PARAMS {
            version: NV_ENC_PIC_PARAMS_VER,
            inputWidth: self.params.width,
            inputHeight: self.params.height,
            inputPitch: self.pitch,
            frameIdx: self.ring.submitted_count() as u32,
            inputTimeStamp: pts as u64,
            inputBuffer: input,
            outputBitstream: self.slots[slot].output.raw,
            bufferFmt: buffer_format(self.params.input),
            pictureStruct: sys::NV_ENC_PIC_STRUCT_FRAME,
            ..Default::default()
        };
        // SAFETY: a live session; the mapped input and the bitstream buffer belong to it and
        // stay alive until their output is collected.
        let status = unsafe {
            (self.session.nvenc.functions.nvEncEncodePicture)(self.session.raw, &mut pic)
        };
        if status != sys::NV_ENC_ERR_NEED_MORE_INPUT {
            self.session.check("nvEncEncodePicture", status)?;
        }
        self.ring.submitted();
        self.dts.input(pts);
        if status != sys::NV_ENC_ERR_NEED_MORE_INPUT {
            self.ring.release_all();
        }
        self.collect(COLLECT_LAG)
    }

    /// Ends the stream: the packets NVENC still holds. Later calls return nothing.
    pub fn finish(&mut self) -> Result<Vec<EncodedPacket>, NvencError> {
        if self.finished {
            return Ok(Vec::new());
        }
        self.finished = true;
        self.bind()?;
        let mut pic = sys::NV_ENC_PIC_PARAMS {
            version: NV_ENC_PIC_PARAMS_VER,
            encodePicFlags: sys::NV_ENC_PIC_FLAG_EOS,
            ..Default::default()
        };
        // SAFETY: a live session; an end-of-stream picture carries no buffers.
        let status = unsafe {
            (self.session.nvenc.functions.nvEncEncodePicture)(self.session.raw, &mut pic)
        };
        self.session
            .check("nvEncEncodePicture (end of stream)", status)?;
        self.ring.release_all();
        self.collect(0)
    }

    fn bind(&self) -> Result<(), NvencError> {
        self.stream
            .context()
            .bind_to_thread()
            .map_err(NvencError::cuda("binding the context"))
    }

    /// Reads the released bitstreams but the newest `keep` (see [`SlotRing::take_released`]),
    /// oldest first, and unmaps their inputs.
    fn collect(&mut self, keep: usize) -> Result<Vec<EncodedPacket>, NvencError> {
        let mut packets = Vec::new();
        for slot in self.ring.take_released(keep) {
            let mut lock = sys::NV_ENC_LOCK_BITSTREAM {
                version: NV_ENC_LOCK_BITSTREAM_VER,
                outputBitstream: self.slots[slot].output.raw,
                ..Default::default()
            };
            let f = &self.session.nvenc.functions;
            // SAFETY: a bitstream buffer of this session holding a finished frame.
            let status = unsafe { (f.nvEncLockBitstream)(self.session.raw, &mut lock) };
            self.session.check("nvEncLockBitstream", status)?;
            // SAFETY: while locked, the driver's pointer holds `bitstreamSizeInBytes` bytes.
            let data = unsafe {
                std::slice::from_raw_parts(
                    lock.bitstreamBufferPtr.cast::<u8>(),
                    lock.bitstreamSizeInBytes as usize,
                )
            }
            .to_vec();
            // SAFETY: the buffer locked just above.
            let status =
                unsafe { (f.nvEncUnlockBitstream)(self.session.raw, self.slots[slot].output.raw) };
            self.session.check("nvEncUnlockBitstream", status)?;
            self.slots[slot].input.unmap()?;
            let pts = lock.outputTimeStamp as i64;
            let dts = self.dts.next_dts().unwrap_or(pts).min(pts);
            packets.push(EncodedPacket {
                data,
                pts,
                dts,
                keyframe: matches!(
                    lock.pictureType,
                    sys::NV_ENC_PIC_TYPE_IDR | sys::NV_ENC_PIC_TYPE_I
                ),
            });
        }
        Ok(packets)
    }
}
