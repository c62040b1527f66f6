//! The host-side pieces of the NVDEC/NVENC path that need no GPU: turning demuxed H.264/HEVC
//! packets into the Annex-B stream NVDEC's parser reads ([`annexb`]).

pub mod annexb;

pub use annexb::{AnnexB, AnnexBError, NalCodec};
