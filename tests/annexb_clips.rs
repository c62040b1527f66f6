//! The AVCC/HVCC → Annex-B conversion on the real clips of ../shared/media (skipped when absent):
//! byte for byte against FFmpeg's own `h264_mp4toannexb` / `hevc_mp4toannexb` filters, and
//! decoded by FFmpeg's software decoder, without the container's extradata, into the same frames
//! as the original packets; and the display clock gives those frames FFmpeg's presentation times.

mod common;

use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::Command;

use common::shared_clip;
use ffmpeg_next as ff;
use smoothscale::nvcodec::{AnnexB, DisplayClock, NalCodec};

/// The video packets of a clip, its codec, and its extradata.
struct Clip {
    codec: NalCodec,
    id: ff::codec::Id,
    extradata: Vec<u8>,
    parameters: ff::codec::Parameters,
    packets: Vec<ff::Packet>,
}

fn read_clip(path: &Path) -> Clip {
    ff::init().unwrap();
    let mut input = ff::format::input(path).unwrap();
    let stream = input.streams().best(ff::media::Type::Video).unwrap();
    let index = stream.index();
    let parameters = stream.parameters();
    let id = parameters.id();
    let codec = match id {
        ff::codec::Id::H264 => NalCodec::H264,
        ff::codec::Id::HEVC => NalCodec::Hevc,
        other => panic!("{}: unexpected codec {other:?}", path.display()),
    };
    let extradata = smoothscale_av_ext::extradata(&parameters).to_vec();
    let mut packets = Vec::new();
    loop {
        let mut packet = ff::Packet::empty();
        match packet.read(&mut input) {
            Ok(()) if packet.stream() == index => packets.push(packet),
            Ok(()) => {}
            Err(ff::Error::Eof) => break,
            Err(e) => panic!("{}: {e}", path.display()),
        }
    }
    Clip {
        codec,
        id,
        extradata,
        parameters,
        packets,
    }
}

/// Every packet converted, in order.
fn convert(clip: &Clip) -> Vec<Vec<u8>> {
    let mut converter = AnnexB::new(clip.codec, &clip.extradata).unwrap();
    assert!(
        !converter.is_passthrough(),
        "the MP4 clips are length-prefixed"
    );
    clip.packets
        .iter()
        .map(|p| {
            let mut out = Vec::new();
            converter.convert(p.data().unwrap(), &mut out).unwrap();
            out
        })
        .collect()
}

/// FFmpeg's own conversion of the clip's video stream, or `None` when the CLI is absent.
fn ffmpeg_annexb(path: &Path, codec: NalCodec) -> Option<Vec<u8>> {
    let (bsf, format) = match codec {
        NalCodec::H264 => ("h264_mp4toannexb", "h264"),
        NalCodec::Hevc => ("hevc_mp4toannexb", "hevc"),
    };
    let out = match Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args([
            "-map", "0:v:0", "-c", "copy", "-bsf:v", bsf, "-f", format, "-",
        ])
        .output()
    {
        Ok(out) => out,
        Err(e) => {
            eprintln!("skipping the comparison with FFmpeg's filter: no ffmpeg CLI ({e})");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(out.stdout)
}

/// Decodes packets into (pts, hash of the visible pixels) per frame.
fn decode(
    mut decoder: ff::decoder::Video,
    packets: impl Iterator<Item = ff::Packet>,
) -> Vec<(Option<i64>, u64)> {
    let mut frames = Vec::new();
    let mut frame = ff::frame::Video::empty();
    let mut drain = |decoder: &mut ff::decoder::Video, frames: &mut Vec<_>| {
        while decoder.receive_frame(&mut frame).is_ok() {
            assert_eq!(frame.format(), ff::format::Pixel::YUV420P);
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            for plane in 0..frame.planes() {
                let width = frame.plane_width(plane) as usize;
                let stride = frame.stride(plane);
                let data = frame.data(plane);
                for row in 0..frame.plane_height(plane) as usize {
                    data[row * stride..row * stride + width].hash(&mut hasher);
                }
            }
            frames.push((frame.pts(), hasher.finish()));
        }
    };
    for packet in packets {
        decoder.send_packet(&packet).unwrap();
        drain(&mut decoder, &mut frames);
    }
    decoder.send_eof().unwrap();
    drain(&mut decoder, &mut frames);
    frames
}

fn check_clip(name: &str, codec: NalCodec) {
    let Some(path) = shared_clip(name) else {
        return;
    };
    let clip = read_clip(&path);
    assert_eq!(clip.codec, codec);
    let converted = convert(&clip);

    let compared = if let Some(reference) = ffmpeg_annexb(&path, codec) {
        let ours = converted.concat();
        let first_difference = ours.iter().zip(&reference).position(|(a, b)| a != b);
        assert!(
            ours == reference,
            "{name}: {} bytes against FFmpeg's {}, first difference at {first_difference:?}",
            ours.len(),
            reference.len()
        );
        "identical to FFmpeg's filter"
    } else {
        "not compared with FFmpeg's filter"
    };

    let original = ff::codec::context::Context::from_parameters(clip.parameters.clone())
        .unwrap()
        .decoder()
        .video()
        .unwrap();
    let expected = decode(original, clip.packets.iter().cloned());

    // The Annex-B decoder gets no extradata: the parameter sets must be in the packets.
    let codec = ff::decoder::find(clip.id).unwrap();
    let bare = ff::codec::context::Context::new_with_codec(codec)
        .decoder()
        .video()
        .unwrap();
    let packets = clip.packets.iter().zip(&converted).map(|(p, data)| {
        let mut q = ff::Packet::copy(data);
        q.set_pts(p.pts());
        q.set_dts(p.dts());
        q.set_flags(p.flags());
        q
    });
    let got = decode(bare, packets);
    assert!(!expected.is_empty());
    assert_eq!(got.len(), expected.len(), "{name}: frame count");
    assert!(got == expected, "{name}: decoded frames differ");

    // The timestamps NVDEC's parser would carry: sent in decode order, shown in pts order, they
    // must give the frames the times FFmpeg's decoder gives them.
    let mut clock = DisplayClock::new(1);
    let mut sent: Vec<i64> = clip
        .packets
        .iter()
        .map(|p| clock.submit(p.pts(), p.dts()))
        .collect();
    sent.sort_unstable();
    let shown: Vec<Option<i64>> = sent
        .iter()
        .map(|&t| {
            let shown = clock.display(t).unwrap();
            assert!(!shown.inferred);
            Some(shown.pts)
        })
        .collect();
    let decoded: Vec<Option<i64>> = expected.iter().map(|(pts, _)| *pts).collect();
    assert_eq!(shown, decoded, "{name}: display times");
    assert_eq!((clock.pending(), clock.dropped()), (0, 0));
    eprintln!(
        "{name}: {} packets, {} frames identical, output {compared}",
        clip.packets.len(),
        got.len()
    );
}

#[test]
fn h264_cfr_clip_matches_ffmpeg_and_decodes_identically() {
    check_clip("dog_1920x1080_h264_cfr30_aac.mp4", NalCodec::H264);
}

#[test]
fn h264_vfr_clip_matches_ffmpeg_and_decodes_identically() {
    check_clip("dog_1920x1080_h264_vfr_aac.mp4", NalCodec::H264);
}

#[test]
fn h264_small_clip_matches_ffmpeg_and_decodes_identically() {
    check_clip("plant_320x240_h264_aac.mp4", NalCodec::H264);
}

#[test]
fn hevc_clip_matches_ffmpeg_and_decodes_identically() {
    check_clip("plant_320x240_hevc_aac.mp4", NalCodec::Hevc);
}
