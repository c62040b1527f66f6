//! The host-side pieces of the NVDEC/NVENC path that need no GPU: turning demuxed H.264/HEVC
//! packets into the Annex-B stream NVDEC's parser reads ([`annexb`]), keeping presentation times
//! across the parser's reordering ([`timestamps`]), and deciding NVENC's parameters from our
//! options and the GPU's capabilities ([`nvenc_params`]) and the colour description it writes
//! ([`vui`]).

pub mod annexb;
pub mod nvenc_params;
pub mod timestamps;
pub mod vui;

pub use annexb::{AnnexB, AnnexBError, NalCodec};
pub use nvenc_params::{
    nvenc_params, CodecGuid, InputFormat, MultiPass, NvencCaps, NvencParamError, NvencParams,
    NvencRequest, Profile, Quality, RateControl,
};
pub use timestamps::{DisplayClock, Shown, TimestampError};
pub use vui::{vui, Vui};
