//! The encoded clips of `tests/encoded_sink.rs`: a moving pattern encoded by FFmpeg's own
//! libx264/libx265 into Annex-B access units with the parameter sets in band (as NVENC hands them
//! out), the raw units decoded without a container, and the colour a container file declares.

use std::path::Path;

use ffmpeg_next as ff;
use smoothscale::frame::RgbFrame;
use smoothscale::video::{ColourTags, FrameReader, VideoCodec};

pub const WIDTH: u32 = 160;
pub const HEIGHT: u32 = 96;
pub const FRAMES: i64 = 24;
pub const RATE: i64 = 25;
/// The packets' clock (NVENC-style 90 kHz), 3600 ticks a frame.
pub const CLOCK: i64 = 90_000;

/// One Annex-B access unit as an encoder hands it out.
pub struct AccessUnit {
    pub data: Vec<u8>,
    pub pts: i64,
    pub dts: i64,
    pub keyframe: bool,
}

/// A clip encoded to Annex-B access units, with the parameter sets of its first keyframe.
pub struct Encoded {
    pub codec: VideoCodec,
    pub header: Vec<u8>,
    pub units: Vec<AccessUnit>,
}

/// The NAL units of an Annex-B byte stream (start codes and trailing zero bytes removed).
pub fn nal_units(data: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut i = 0;
    while i + 3 <= data.len() {
        if data[i..i + 3] == [0, 0, 1] {
            starts.push(i + 3);
            i += 3;
        } else {
            i += 1;
        }
    }
    let ends = starts.iter().skip(1).map(|s| s - 3).chain([data.len()]);
    starts
        .iter()
        .zip(ends)
        .map(|(&s, e)| {
            let mut unit = &data[s..e];
            while let [rest @ .., 0] = unit {
                unit = rest;
            }
            unit
        })
        .collect()
}

/// The parameter sets (H.264 SPS/PPS, HEVC VPS/SPS/PPS) of an access unit, as Annex-B.
pub fn parameter_sets(codec: VideoCodec, unit: &[u8]) -> Vec<u8> {
    let mut header = Vec::new();
    for nal in nal_units(unit) {
        let is_parameter_set = match codec {
            VideoCodec::H264 => matches!(nal[0] & 0x1f, 7 | 8),
            VideoCodec::Hevc => matches!((nal[0] >> 1) & 0x3f, 32..=34),
        };
        if is_parameter_set {
            header.extend_from_slice(&[0, 0, 0, 1]);
            header.extend_from_slice(nal);
        }
    }
    header
}

/// A moving pattern: diagonal luma ramps, a bright square crossing the frame, chroma gradients.
pub fn pattern(index: i64) -> ff::frame::Video {
    let mut frame = ff::frame::Video::new(ff::format::Pixel::YUV420P, WIDTH, HEIGHT);
    let shift = index as usize * 3;
    for plane in 0..3 {
        let stride = frame.stride(plane);
        let (w, h) = if plane == 0 {
            (WIDTH as usize, HEIGHT as usize)
        } else {
            (WIDTH as usize / 2, HEIGHT as usize / 2)
        };
        let data = frame.data_mut(plane);
        for y in 0..h {
            for x in 0..w {
                let value = match plane {
                    0 if (x + 40 - shift % 40) % 40 < 12 && y % 48 < 16 => 235,
                    0 => 16 + (x + 2 * y + shift) % 200,
                    1 => 64 + (x * 2) % 128,
                    _ => 64 + (y * 3 + shift) % 128,
                };
                data[y * stride + x] = value as u8;
            }
        }
    }
    frame
}

/// Encodes the pattern with FFmpeg's libx264/libx265, parameter sets in band, B-frames on;
/// `None` (with the reason printed) when this FFmpeg lacks the encoder.
pub fn encode(codec: VideoCodec) -> Option<Encoded> {
    smoothscale::video::init(false).unwrap();
    let name = match codec {
        VideoCodec::H264 => "libx264",
        VideoCodec::Hevc => "libx265",
    };
    let Some(encoder) = ff::encoder::find_by_name(name) else {
        eprintln!("skipped: {name} is not in this FFmpeg build");
        return None;
    };
    let mut context = ff::codec::Context::new_with_codec(encoder)
        .encoder()
        .video()
        .unwrap();
    context.set_width(WIDTH);
    context.set_height(HEIGHT);
    context.set_format(ff::format::Pixel::YUV420P);
    context.set_time_base(ff::Rational::new(1, CLOCK as i32));
    context.set_frame_rate(Some(ff::Rational::new(RATE as i32, 1)));
    let mut options = ff::Dictionary::new();
    options.set("preset", "fast");
    options.set("x265-params", "log-level=error:bframes=3");
    let mut encoder = context.open_as_with(encoder, options).unwrap();
    let mut units = Vec::new();
    for index in 0..FRAMES {
        let mut frame = pattern(index);
        frame.set_pts(Some(index * CLOCK / RATE));
        encoder.send_frame(&frame).unwrap();
        receive(&mut encoder, &mut units);
    }
    encoder.send_eof().unwrap();
    receive(&mut encoder, &mut units);
    assert_eq!(units.len(), FRAMES as usize, "{name}: one packet a frame");
    assert!(units[0].keyframe, "{name}: the first packet is a keyframe");
    assert!(
        units.iter().any(|u| u.pts != u.dts),
        "{name}: the stream reorders frames (B-frames), so pts and dts differ"
    );
    let header = parameter_sets(codec, &units[0].data);
    assert!(
        !header.is_empty(),
        "{name}: without the global header the keyframe carries the parameter sets"
    );
    Some(Encoded {
        codec,
        header,
        units,
    })
}

pub fn receive(encoder: &mut ff::encoder::Video, units: &mut Vec<AccessUnit>) {
    let mut packet = ff::Packet::empty();
    while encoder.receive_packet(&mut packet).is_ok() {
        units.push(AccessUnit {
            data: packet.data().unwrap().to_vec(),
            pts: packet.pts().unwrap(),
            dts: packet.dts().unwrap(),
            keyframe: packet.is_key(),
        });
    }
}

/// The raw access units decoded by FFmpeg's decoder without any container, to RGB with `tags`.
pub fn decode_raw(encoded: &Encoded, tags: ColourTags) -> Vec<RgbFrame> {
    let id = match encoded.codec {
        VideoCodec::H264 => ff::codec::Id::H264,
        VideoCodec::Hevc => ff::codec::Id::HEVC,
    };
    let codec = ff::decoder::find(id).unwrap();
    let mut decoder = ff::codec::Context::new_with_codec(codec)
        .decoder()
        .video()
        .unwrap();
    let mut frames = Vec::new();
    let mut take = |decoder: &mut ff::decoder::Video| {
        let mut frame = ff::frame::Video::empty();
        while decoder.receive_frame(&mut frame).is_ok() {
            let mut reader = FrameReader::new(frame.format(), WIDTH, HEIGHT, tags).unwrap();
            frames.push(reader.read(&frame).unwrap());
        }
    };
    for u in &encoded.units {
        let mut packet = ff::Packet::copy(&u.data);
        packet.set_pts(Some(u.pts));
        packet.set_dts(Some(u.dts));
        decoder.send_packet(&packet).unwrap();
        take(&mut decoder);
    }
    decoder.send_eof().unwrap();
    take(&mut decoder);
    frames
}

/// The colour description the container itself stores, as (primaries, transfer, matrix) code
/// points: the MP4 `colr` box of type `nclx`, or the Matroska `Colour` element's
/// `Primaries` (0x55BB), `TransferCharacteristics` (0x55BA) and `MatrixCoefficients` (0x55B1),
/// each a one-byte unsigned integer.
pub fn container_colour(path: &Path) -> Option<(u16, u16, u16)> {
    let bytes = std::fs::read(path).unwrap();
    let find = |needle: &[u8]| {
        bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .map(|at| at + needle.len())
    };
    if path.extension().is_some_and(|e| e == "mkv") {
        let value = |id: [u8; 2]| find(&[id[0], id[1], 0x81]).map(|at| u16::from(bytes[at]));
        return Some((
            value([0x55, 0xBB])?,
            value([0x55, 0xBA])?,
            value([0x55, 0xB1])?,
        ));
    }
    let at = find(b"colrnclx")?;
    let field = |i: usize| u16::from_be_bytes([bytes[at + 2 * i], bytes[at + 2 * i + 1]]);
    Some((field(0), field(1), field(2)))
}
