//! `Sink::create_encoded` with real FFmpeg on the CPU: Annex-B H.264 and HEVC access units, made
//! by FFmpeg's own software encoders without the global-header flag (parameter sets in band, as
//! NVENC gives them), muxed into MP4 and MKV and read back with `video::Source`: the frame count
//! and times, the declared codec and colour, `avcC`/`hvcC` written by the muxer, `hvc1` in MP4,
//! pixels identical to decoding the raw packets, audio copied bit for bit, and typed errors for
//! calls that do not fit the sink.

mod common;
mod encoded;

use std::path::Path;

use ff::{chroma, color};
use ffmpeg_next as ff;
use smoothscale::frame::RgbFrame;
use smoothscale::timeline::Rational;
use smoothscale::video::{
    ColourTags, Copies, EncodeSettings, EncodedStream, Item, Sink, Source, VideoCodec, VideoError,
    VideoFormat, Window, YuvLayout,
};

use encoded::{container_colour, decode_raw, encode, Encoded, CLOCK, FRAMES, HEIGHT, RATE, WIDTH};

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
    smoothscale::video::init(false).unwrap();
    let input = ff::format::input(path).unwrap();
    let duration = input.duration() as f64 / f64::from(ff::ffi::AV_TIME_BASE);
    let expected = FRAMES as f64 / RATE as f64;
    let audio = input.streams().best(ff::media::Type::Audio).is_some();
    assert!(
        audio || (duration - expected).abs() < 0.002,
        "{}: lasts {duration} s, not {expected} (each packet one frame long)",
        path.display()
    );
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
