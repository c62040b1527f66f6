//! Length-prefixed H.264 (`avcC`) and HEVC (`hvcC`) packets, as MP4 and MKV store them, turned into
//! the Annex-B byte stream NVDEC's parser reads, with the parameter sets of the codec
//! configuration record put in front of the keyframes that do not carry their own.
//!
//! The output is the one FFmpeg's `h264_mp4toannexb` and `hevc_mp4toannexb` filters produce (the
//! tests compare byte for byte on real clips). Every length is checked against the bytes that are
//! there: hostile input gives an [`AnnexBError`], never a panic or an over-read.

use std::fmt;

/// The codecs whose packets are length-prefixed NAL units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NalCodec {
    /// H.264 / AVC, configuration record `avcC`.
    H264,
    /// H.265 / HEVC, configuration record `hvcC`.
    Hevc,
}

impl fmt::Display for NalCodec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NalCodec::H264 => "H.264",
            NalCodec::Hevc => "HEVC",
        })
    }
}

/// Why a configuration record or a packet could not be converted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnnexBError {
    /// The configuration record is shorter than its fixed header.
    #[error("{codec} codec configuration is {len} bytes, too short for its record")]
    ConfigTooShort { codec: NalCodec, len: usize },
    /// A count or length in the configuration record points past its end.
    #[error("{codec} codec configuration is truncated in {what}")]
    ConfigTruncated { codec: NalCodec, what: &'static str },
    /// The record declares NAL length prefixes of a size the formats do not allow.
    #[error("{codec} NAL length size {size} is not supported (1, 2 or 4)")]
    NalLengthSize { codec: NalCodec, size: u8 },
    /// An `hvcC` array holds NAL units that are neither parameter sets nor SEI.
    #[error("HEVC codec configuration holds an array of NAL type {0}, not a parameter set or SEI")]
    UnexpectedArray(u8),
    /// A length prefix, or the NAL unit it announces, runs past the end of the packet.
    #[error("packet truncated: {needed} bytes announced at byte {offset}, {available} there")]
    PacketTruncated {
        offset: usize,
        needed: usize,
        available: usize,
    },
    /// A NAL unit too short to hold its own header.
    #[error("NAL unit at byte {offset} is {len} bytes, shorter than its header")]
    ShortNal { offset: usize, len: usize },
}

const START_CODE: [u8; 4] = [0, 0, 0, 1];

const H264_NAL_SLICE: u8 = 1;
const H264_NAL_IDR: u8 = 5;
const H264_NAL_SPS: u8 = 7;
const H264_NAL_PPS: u8 = 8;

const HEVC_NAL_BLA_W_LP: u8 = 16;
const HEVC_NAL_RSV_IRAP_23: u8 = 23;
const HEVC_NAL_VPS: u8 = 32;
const HEVC_NAL_PPS: u8 = 34;
const HEVC_NAL_SEI_PREFIX: u8 = 39;
const HEVC_NAL_SEI_SUFFIX: u8 = 40;

/// A bounds-checked reader over a configuration record.
struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    codec: NalCodec,
}

impl<'a> Reader<'a> {
    fn truncated(&self, what: &'static str) -> AnnexBError {
        AnnexBError::ConfigTruncated {
            codec: self.codec,
            what,
        }
    }

    fn bytes(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], AnnexBError> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&end| end <= self.data.len());
        let end = end.ok_or_else(|| self.truncated(what))?;
        let out = &self.data[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, AnnexBError> {
        Ok(self.bytes(1, what)?[0])
    }

    fn be16(&mut self, what: &'static str) -> Result<usize, AnnexBError> {
        let b = self.bytes(2, what)?;
        Ok(usize::from(u16::from_be_bytes([b[0], b[1]])))
    }
}

/// The parameter sets of a configuration record, in Annex-B form.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Config {
    length_size: usize,
    /// Every parameter set (and, for HEVC, SEI) of the record, each after a 4-byte start code.
    header: Vec<u8>,
    /// H.264: where the PPS start in `header` (the SPS come first).
    pps_start: usize,
}

fn length_size(codec: NalCodec, byte: u8) -> Result<usize, AnnexBError> {
    match (byte & 3) + 1 {
        3 => Err(AnnexBError::NalLengthSize { codec, size: 3 }),
        size => Ok(usize::from(size)),
    }
}

fn push_unit(header: &mut Vec<u8>, unit: &[u8]) {
    header.extend_from_slice(&START_CODE);
    header.extend_from_slice(unit);
}

/// Parses an `avcC` record (ISO/IEC 14496-15 5.3.3.1): version, profile, compatibility, level,
/// length size, then the SPS and the PPS, each with a 16-bit length. Extensions are ignored.
fn parse_avcc(record: &[u8]) -> Result<Config, AnnexBError> {
    let codec = NalCodec::H264;
    if record.len() < 7 {
        return Err(AnnexBError::ConfigTooShort {
            codec,
            len: record.len(),
        });
    }
    let mut r = Reader {
        data: record,
        pos: 4,
        codec,
    };
    let length_size = length_size(codec, r.u8("the NAL length size")?)?;
    let mut header = Vec::with_capacity(record.len() + 16);
    for _ in 0..(r.u8("the SPS count")? & 0x1f) {
        let len = r.be16("an SPS length")?;
        push_unit(&mut header, r.bytes(len, "an SPS")?);
    }
    let pps_start = header.len();
    for _ in 0..r.u8("the PPS count")? {
        let len = r.be16("a PPS length")?;
        push_unit(&mut header, r.bytes(len, "a PPS")?);
    }
    Ok(Config {
        length_size,
        header,
        pps_start,
    })
}

/// Parses an `hvcC` record (ISO/IEC 14496-15 8.3.3.1): 21 bytes of profile and format fields, the
/// length size, then arrays of VPS, SPS, PPS and SEI units, each unit with a 16-bit length.
fn parse_hvcc(record: &[u8]) -> Result<Config, AnnexBError> {
    let codec = NalCodec::Hevc;
    if record.len() < 23 {
        return Err(AnnexBError::ConfigTooShort {
            codec,
            len: record.len(),
        });
    }
    let mut r = Reader {
        data: record,
        pos: 21,
        codec,
    };
    let length_size = length_size(codec, r.u8("the NAL length size")?)?;
    let mut header = Vec::with_capacity(record.len() + 32);
    for _ in 0..r.u8("the array count")? {
        let kind = r.u8("an array type")? & 0x3f;
        let allowed = (HEVC_NAL_VPS..=HEVC_NAL_PPS).contains(&kind)
            || kind == HEVC_NAL_SEI_PREFIX
            || kind == HEVC_NAL_SEI_SUFFIX;
        if !allowed {
            return Err(AnnexBError::UnexpectedArray(kind));
        }
        for _ in 0..r.be16("a NAL unit count")? {
            let len = r.be16("a NAL unit length")?;
            push_unit(&mut header, r.bytes(len, "a NAL unit")?);
        }
    }
    Ok(Config {
        length_size,
        header,
        pps_start: 0,
    })
}

/// Whether a configuration record (or a packet) already starts with an Annex-B start code.
fn is_annexb(data: &[u8]) -> bool {
    data.starts_with(&[0, 0, 1]) || data.starts_with(&START_CODE)
}

/// Where the H.264 parameter sets were last seen, carried from packet to packet as FFmpeg does.
#[derive(Debug, Clone, Copy)]
struct H264State {
    new_idr: bool,
    sps_seen: bool,
    pps_seen: bool,
}

/// Converts the packets of one stream to Annex-B. Streams whose configuration is already Annex-B
/// (or absent, as in raw `.h264`/`.hevc` files) pass through unchanged.
#[derive(Debug, Clone)]
pub struct AnnexB {
    codec: NalCodec,
    config: Option<Config>,
    h264: H264State,
}

impl AnnexB {
    /// Reads the stream's codec configuration (the container's extradata).
    pub fn new(codec: NalCodec, extradata: &[u8]) -> Result<Self, AnnexBError> {
        let config = if extradata.is_empty() || is_annexb(extradata) {
            None
        } else {
            Some(match codec {
                NalCodec::H264 => parse_avcc(extradata)?,
                NalCodec::Hevc => parse_hvcc(extradata)?,
            })
        };
        Ok(AnnexB {
            codec,
            config,
            h264: H264State {
                new_idr: true,
                sps_seen: false,
                pps_seen: false,
            },
        })
    }

    /// The codec of the stream.
    pub fn codec(&self) -> NalCodec {
        self.codec
    }

    /// Whether packets are copied unchanged (the stream is Annex-B already).
    pub fn is_passthrough(&self) -> bool {
        self.config.is_none()
    }

    /// The parameter sets of the configuration record as an Annex-B stream (empty when passing
    /// through): what a decoder needs before the first keyframe.
    pub fn header(&self) -> &[u8] {
        self.config.as_ref().map_or(&[], |c| &c.header)
    }

    /// The size of the NAL length prefixes (1, 2 or 4), or `None` when passing through.
    pub fn nal_length_size(&self) -> Option<usize> {
        self.config.as_ref().map(|c| c.length_size)
    }

    /// Appends the Annex-B form of one packet to `out`. On error `out` is left as it was.
    pub fn convert(&mut self, packet: &[u8], out: &mut Vec<u8>) -> Result<(), AnnexBError> {
        let Some(config) = &self.config else {
            out.extend_from_slice(packet);
            return Ok(());
        };
        // The NAL unit header: one byte in H.264, two in HEVC.
        let min_len = match self.codec {
            NalCodec::H264 => 1,
            NalCodec::Hevc => 2,
        };
        let units = split(packet, config.length_size, min_len)?;
        let mark = out.len();
        out.reserve(packet.len() + config.header.len() + 4 * units.len());
        match self.codec {
            NalCodec::H264 => {
                self.h264 = h264_packet(config, self.h264, &units, out, mark);
            }
            NalCodec::Hevc => hevc_packet(config, &units, out),
        }
        Ok(())
    }
}

/// Splits a packet into its NAL units, checking every length prefix.
fn split(packet: &[u8], length_size: usize, min_len: usize) -> Result<Vec<&[u8]>, AnnexBError> {
    let mut units = Vec::new();
    let mut pos = 0;
    while pos < packet.len() {
        let available = packet.len() - pos;
        if available < length_size {
            return Err(AnnexBError::PacketTruncated {
                offset: pos,
                needed: length_size,
                available,
            });
        }
        let len = packet[pos..pos + length_size]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        let start = pos + length_size;
        let available = packet.len() - start;
        if len > available {
            return Err(AnnexBError::PacketTruncated {
                offset: pos,
                needed: len,
                available,
            });
        }
        if len < min_len {
            return Err(AnnexBError::ShortNal { offset: pos, len });
        }
        units.push(&packet[start..start + len]);
        pos = start + len;
    }
    Ok(units)
}

/// H.264: the SPS and PPS of the record go before an IDR slice when the stream has not sent its
/// own since the last non-IDR slice; NAL units get 4-byte start codes when they are parameter
/// sets or open the packet, 3-byte ones otherwise (as FFmpeg writes them).
fn h264_packet(
    config: &Config,
    mut s: H264State,
    units: &[&[u8]],
    out: &mut Vec<u8>,
    mark: usize,
) -> H264State {
    for &unit in units {
        let kind = unit[0] & 0x1f;
        if kind == H264_NAL_SPS {
            s.sps_seen = true;
            s.new_idr = true;
        } else if kind == H264_NAL_PPS {
            s.pps_seen = true;
            s.new_idr = true;
            if !s.sps_seen {
                out.extend_from_slice(&config.header[..config.pps_start]);
            }
        }
        // A new IDR picture right after another one: its first slice has first_mb_in_slice = 0.
        let first_mb_zero = unit.get(1).is_some_and(|b| b & 0x80 != 0);
        if !s.new_idr && kind == H264_NAL_IDR && first_mb_zero {
            s.new_idr = true;
        }
        if s.new_idr && kind == H264_NAL_IDR && !s.sps_seen && !s.pps_seen {
            out.extend_from_slice(&config.header);
            s.new_idr = false;
        } else if s.new_idr && kind == H264_NAL_IDR && s.sps_seen && !s.pps_seen {
            out.extend_from_slice(&config.header[config.pps_start..]);
        }
        let long = out.len() == mark || kind == H264_NAL_SPS || kind == H264_NAL_PPS;
        out.extend_from_slice(if long { &START_CODE } else { &START_CODE[1..] });
        out.extend_from_slice(unit);
        if !s.new_idr && kind == H264_NAL_SLICE {
            s.new_idr = true;
            s.sps_seen = false;
            s.pps_seen = false;
        }
    }
    s
}

/// HEVC: the record's parameter sets go before the first IRAP unit of each packet; every NAL unit
/// gets a 4-byte start code.
fn hevc_packet(config: &Config, units: &[&[u8]], out: &mut Vec<u8>) {
    let mut got_irap = false;
    for &unit in units {
        let kind = (unit[0] >> 1) & 0x3f;
        let is_irap = (HEVC_NAL_BLA_W_LP..=HEVC_NAL_RSV_IRAP_23).contains(&kind);
        if is_irap && !got_irap {
            out.extend_from_slice(&config.header);
        }
        got_irap |= is_irap;
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(unit);
    }
}

#[cfg(test)]
#[path = "annexb_tests.rs"]
mod tests;
