//! `Sink::create_encoded` with real FFmpeg on the CPU: Annex-B H.264 and HEVC access units, made
//! by FFmpeg's own software encoders without the global-header flag (parameter sets in band, as
//! NVENC gives them), muxed into MP4 and MKV and read back with `video::Source`: the frame count
//! and times, the declared codec and colour, `avcC`/`hvcC` written by the muxer, `hvc1` in MP4,
//! pixels identical to decoding the raw packets, audio copied bit for bit, and typed errors for
//! calls that do not fit the sink.

mod common;

use std::path::Path;

use ff::{chroma, color};
use ffmpeg_next as ff;
use smoothscale::frame::RgbFrame;
use smoothscale::timeline::Rational;
use smoothscale::video::{
    ColourTags, Copies, EncodeSettings, EncodedStream, FrameReader, Item, Sink, Source, VideoCodec,
    VideoError, VideoFormat, Window, YuvLayout,
};

const WIDTH: u32 = 160;
const HEIGHT: u32 = 96;
const FRAMES: i64 = 24;
const RATE: i64 = 25;
/// The packets' clock (NVENC-style 90 kHz), 3600 ticks a frame.
const CLOCK: i64 = 90_000;

/// One Annex-B access unit as an encoder hands it out.
struct AccessUnit {
    data: Vec<u8>,
    pts: i64,
    dts: i64,
    keyframe: bool,
}

/// A clip encoded to Annex-B access units, with the parameter sets of its first keyframe.
struct Encoded {
    codec: VideoCodec,
    header: Vec<u8>,
    units: Vec<AccessUnit>,
}

/// The NAL units of an Annex-B byte stream (start codes and trailing zero bytes removed).
fn nal_units(data: &[u8]) -> Vec<&[u8]> {
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
fn parameter_sets(codec: VideoCodec, unit: &[u8]) -> Vec<u8> {
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
fn pattern(index: i64) -> ff::frame::Video {
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
fn encode(codec: VideoCodec) -> Option<Encoded> {
    ff::init().unwrap();
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

fn receive(encoder: &mut ff::encoder::Video, units: &mut Vec<AccessUnit>) {
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

/// Tagged BT.709: a frame this small is BT.601 when untagged, so reading BT.709 back shows the
/// container's tags arrived (the raw stream carries none).
fn format() -> VideoFormat {
    VideoFormat {
        width: WIDTH,
        height: HEIGHT,
        layout: YuvLayout {
            shift: (1, 1),
            bits: 8,
        },
        tags: ColourTags::resolve(
            color::Space::BT709,
            color::Range::MPEG,
            color::Primaries::BT709,
            color::TransferCharacteristic::BT709,
            chroma::Location::Left,
            (WIDTH as usize, HEIGHT as usize, 8),
        ),
        rate: Rational::from_int(RATE),
        sample_aspect: Rational::ONE,
    }
}

fn stream(encoded: &Encoded) -> EncodedStream<'_> {
    EncodedStream {
        codec: encoded.codec,
        sequence_header: &encoded.header,
        time_base: Rational::new(1, CLOCK.into()).unwrap(),
    }
}

/// Muxes every access unit of `encoded` into `path`; returns the count `finish` reports.
fn write(path: &Path, container: &str, copies: Option<Copies<'_>>, encoded: &Encoded) -> Sink {
    let mut sink = Sink::create_encoded(path, container, copies, format(), stream(encoded))
        .expect("create the encoded sink");
    for u in &encoded.units {
        sink.write_encoded(&u.data, u.pts, u.dts, u.keyframe)
            .expect("write an access unit");
    }
    sink
}

/// The raw access units decoded by FFmpeg's decoder without any container, to RGB with `tags`.
fn decode_raw(encoded: &Encoded, tags: ColourTags) -> Vec<RgbFrame> {
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

/// Reads `path` back and checks it holds exactly the encoded stream.
fn check_output(path: &Path, encoded: &Encoded) {
    let mut source = Source::open(path, Window::default()).expect("open the muxed file");
    let info = *source.info();
    let (id, tag) = match encoded.codec {
        VideoCodec::H264 => (ff::codec::Id::H264, "avc1"),
        VideoCodec::Hevc => (ff::codec::Id::HEVC, "hvc1"),
    };
    assert_eq!(info.codec, id, "{}: declared codec", path.display());
    assert_eq!((info.width, info.height), (WIDTH, HEIGHT));
    if encoded.codec == VideoCodec::H264 {
        // FFmpeg's H.264 decoder keeps the container's colour when the stream has none (the
        // HEVC decoder resets it, so HEVC is checked in the container only, below).
        assert_eq!(info.tags, format().tags, "{}: colour tags", path.display());
    }
    assert_eq!(
        container_colour(path),
        Some((1, 1, 1)),
        "{}: BT.709 primaries, transfer and matrix in the container",
        path.display()
    );
    assert_eq!(info.rate, Rational::from_int(RATE), "{}", path.display());

    let mut frames = Vec::new();
    while let Some(item) = source.next_item().unwrap() {
        if let Item::Frame(frame) = item {
            frames.push(frame);
        }
    }
    assert_eq!(frames.len(), FRAMES as usize, "{}: frames", path.display());
    for (i, frame) in frames.iter().enumerate() {
        let expected = Rational::new(i as i128, RATE.into()).unwrap();
        assert_eq!(
            frame.time,
            expected,
            "{}: time of frame {i}",
            path.display()
        );
    }
    let raw = decode_raw(encoded, info.tags);
    assert_eq!(raw.len(), frames.len());
    for (i, (muxed, raw)) in frames.iter().zip(&raw).enumerate() {
        assert!(
            muxed.rgb == *raw,
            "{}: frame {i} differs from the raw packets' decode",
            path.display()
        );
    }

    // The muxer turned the Annex-B parameter sets into a configuration record (version 1).
    ff::init().unwrap();
    let input = ff::format::input(path).unwrap();
    let video = input.streams().best(ff::media::Type::Video).unwrap();
    let extradata = smoothscale_av_ext::extradata(&video.parameters()).to_vec();
    assert_eq!(
        extradata.first(),
        Some(&1),
        "{}: avcC/hvcC written, not Annex-B: {extradata:02x?}",
        path.display()
    );
    if path.extension().is_some_and(|e| e == "mp4") {
        let probe = common::probe(path);
        let streams = common::streams(&probe, "video");
        assert_eq!(streams[0]["codec_tag_string"], tag, "{}", path.display());
    }
}

/// The colour description the container itself stores, as (primaries, transfer, matrix) code
/// points: the MP4 `colr` box of type `nclx`, or the Matroska `Colour` element's
/// `Primaries` (0x55BB), `TransferCharacteristics` (0x55BA) and `MatrixCoefficients` (0x55B1),
/// each a one-byte unsigned integer.
fn container_colour(path: &Path) -> Option<(u16, u16, u16)> {
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

fn roundtrip(codec: VideoCodec) {
    let Some(encoded) = encode(codec) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (name, container) in [("out.mp4", "mp4"), ("out.mkv", "matroska")] {
        let path = dir.path().join(name);
        let sink = write(&path, container, None, &encoded);
        assert_eq!(sink.frames(), FRAMES as u64);
        assert_eq!(sink.finish().unwrap(), FRAMES as u64);
        check_output(&path, &encoded);
    }
}

#[test]
fn h264_access_units_mux_into_mp4_and_mkv() {
    roundtrip(VideoCodec::H264);
}

#[test]
fn hevc_access_units_mux_into_mp4_and_mkv() {
    roundtrip(VideoCodec::Hevc);
}

/// The audio packets of a file's first audio stream, in order.
fn audio_packets(path: &Path) -> Vec<Vec<u8>> {
    let mut input = ff::format::input(path).unwrap();
    let index = input
        .streams()
        .best(ff::media::Type::Audio)
        .expect("an audio stream")
        .index();
    input
        .packets()
        .filter(|(s, _)| s.index() == index)
        .map(|(_, p)| p.data().unwrap_or_default().to_vec())
        .collect()
}

#[test]
fn audio_of_the_source_is_copied_beside_encoded_video() {
    let Some(encoded) = encode(VideoCodec::H264) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let clip = common::shared_clip("plant_320x240_h264_aac.mp4").unwrap_or_else(|| {
        eprintln!("using a generated clip with AAC audio instead");
        common::make_clip(
            dir.path(),
            "av.mp4",
            &[
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=160x96:rate=25:duration=1",
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:duration=1",
                "-c:v",
                "libx264",
                "-c:a",
                "aac",
            ],
        )
    });
    for (name, container) in [("av.mp4", "mp4"), ("av.mkv", "matroska")] {
        let path = dir.path().join(name);
        let mut source = Source::open(&clip, Window::default()).unwrap();
        let mut sink = write(&path, container, Some(Copies::of(&source)), &encoded);
        let mut copied = Vec::new();
        while let Some(item) = source.next_item().unwrap() {
            if let Item::Packet(packet) = item {
                copied.push(packet.data().unwrap_or_default().to_vec());
                sink.write_packet(packet).unwrap();
            }
        }
        assert_eq!(sink.finish().unwrap(), FRAMES as u64);
        assert!(!copied.is_empty(), "{}: the clip has audio", clip.display());
        assert_eq!(
            audio_packets(&path),
            copied,
            "{name}: audio copied bit for bit"
        );
        check_output(&path, &encoded);
    }
}

#[test]
fn calls_that_do_not_fit_the_sink_are_typed_errors() {
    let Some(encoded) = encode(VideoCodec::H264) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("encoded.mkv");
    let mut sink = write(&path, "matroska", None, &encoded);
    let err = sink
        .write_frame(&RgbFrame::new(WIDTH as usize, HEIGHT as usize))
        .unwrap_err();
    assert!(
        matches!(
            err,
            VideoError::WrongSink {
                call: "write_frame",
                ..
            }
        ),
        "{err}"
    );
    let err = sink.write_encoded(&[], 0, 0, false).unwrap_err();
    assert!(matches!(err, VideoError::BadOutput(..)), "{err}");
    // The refused calls wrote nothing: the file is still the encoded stream alone.
    assert_eq!(sink.finish().unwrap(), FRAMES as u64);
    check_output(&path, &encoded);

    let settings = EncodeSettings {
        codec: VideoCodec::H264,
        crf: 23,
        preset: "ultrafast".into(),
    };
    let path = dir.path().join("software.mkv");
    let mut sink = Sink::create_video_only(&path, "matroska", format(), &settings).unwrap();
    let u = &encoded.units[0];
    let err = sink
        .write_encoded(&u.data, u.pts, u.dts, u.keyframe)
        .unwrap_err();
    assert!(
        matches!(
            err,
            VideoError::WrongSink {
                call: "write_encoded",
                ..
            }
        ),
        "{err}"
    );
    sink.write_frame(&RgbFrame::new(WIDTH as usize, HEIGHT as usize))
        .unwrap();
    assert_eq!(sink.finish().unwrap(), 1);

    // A sequence header that is not Annex-B is refused before anything is written.
    let not_annexb = [1u8, 0x64, 0, 0x1f];
    let bad = EncodedStream {
        sequence_header: &not_annexb,
        ..stream(&encoded)
    };
    let path = dir.path().join("bad.mkv");
    let err = Sink::create_encoded(&path, "matroska", None, format(), bad)
        .err()
        .expect("refused");
    assert!(matches!(err, VideoError::BadOutput(..)), "{err}");
    assert!(!path.exists(), "nothing is created for a refused stream");
}
