//! The NVDEC/NVENC path. Host-side pieces that need no GPU: turning demuxed H.264/HEVC packets
//! into the Annex-B stream NVDEC's parser reads ([`annexb`]), keeping presentation times across
//! the parser's reordering ([`timestamps`]), deciding NVENC's parameters from our options and the
//! GPU's capabilities ([`nvenc_params`]) and the colour description it writes ([`vui`]). On the
//! device, compiled here and not yet run on a GPU: the NVDEC session ([`decoder`]), the
//! source's NVDEC decoder ([`video_decoder`]) and the NVENC session ([`encoder`]).

pub mod annexb;
pub mod decoder;
pub mod encoder;
pub mod nvenc_params;
pub mod timestamps;
pub mod video_decoder;
pub mod vui;

pub use annexb::{AnnexB, AnnexBError, NalCodec};
pub use nvenc_params::{
    nvenc_params, CodecGuid, InputFormat, MultiPass, NvencCaps, NvencParamError, NvencParams,
    NvencRequest, Profile, Quality, RateControl, DEFAULT_CQ,
};
pub use timestamps::{DisplayClock, Shown, TimestampError};
pub use vui::{vui, Vui};
