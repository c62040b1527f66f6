//! NVENC on a GPU: a generated moving pattern is uploaded into the encoder's registered device
//! buffers, encoded at the default constant quality, written as an Annex-B stream (the sequence
//! header, then the packets) and decoded back by FFmpeg in software: every frame must come back,
//! with PSNR >= 38 dB, the packets' pts must be the frames', their dts increasing and never after
//! the pts, and the VUI must carry the BT.709 tags. Without a GPU or NVENC (H100/H200 have none)
//! each test prints `skipped: ...` and passes.

mod common;

use std::process::Command;

use common::gpu::{cuda_device, skip};
use smoothscale::nvcodec::decoder::{HostFrame, SurfaceFormat};
use smoothscale::nvcodec::encoder::{EncoderSettings, NvEncoder, NvencError};
use smoothscale::nvcodec::{NvencParamError, NvencRequest, Quality, Vui, DEFAULT_CQ};
use smoothscale::video::VideoCodec;

const WIDTH: u32 = 640;
const HEIGHT: u32 = 360;
const FRAMES: i64 = 30;
const MIN_PSNR: f64 = 38.0;

/// A smooth moving pattern; 10-bit samples sit in the high bits of 16 (P010).
fn pattern(t: i64, ten_bit: bool) -> HostFrame {
    let t = t as f64;
    let sample = |v: f64| -> Vec<u8> {
        let v = v.clamp(16.0, 235.0);
        if ten_bit {
            (((v * 4.0).round() as u16) << 6).to_le_bytes().to_vec()
        } else {
            vec![v.round() as u8]
        }
    };
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let mut luma = Vec::new();
    for y in 0..h {
        for x in 0..w {
            let (x, y) = (x as f64, y as f64);
            luma.extend(sample(
                126.0 + 60.0 * ((x + 3.0 * t) / 23.0).sin() * ((y - 2.0 * t) / 17.0).cos(),
            ));
        }
    }
    let mut chroma = Vec::new();
    for y in 0..h / 2 {
        for x in 0..w / 2 {
            let (x, y) = (x as f64, y as f64);
            chroma.extend(sample(128.0 + 30.0 * ((x + t) / 31.0).sin()));
            chroma.extend(sample(128.0 + 30.0 * ((y - t) / 29.0).cos()));
        }
    }
    let format = if ten_bit {
        SurfaceFormat::P016
    } else {
        SurfaceFormat::Nv12
    };
    HostFrame {
        format,
        width: WIDTH,
        height: HEIGHT,
        luma,
        chroma,
    }
}

/// The frame laid out in rows of `pitch` bytes, as the input buffer holds it.
fn pitched(frame: &HostFrame, pitch: usize) -> Vec<u8> {
    let row = frame.width as usize * frame.format.bytes_per_sample();
    let mut out = vec![0u8; pitch * frame.height as usize * 3 / 2];
    for (i, src) in frame
        .luma
        .chunks(row)
        .chain(frame.chroma.chunks(row))
        .enumerate()
    {
        out[i * pitch..i * pitch + row].copy_from_slice(src);
    }
    out
}

fn encode_and_decode_back(codec: VideoCodec, ten_bit: bool) {
    let Some(ctx) = cuda_device() else { return };
    let stream = ctx.new_stream().unwrap();
    let settings = EncoderSettings {
        request: NvencRequest {
            codec,
            ten_bit,
            quality: Quality::ConstantQuality(DEFAULT_CQ),
            width: WIDTH,
            height: HEIGHT,
            frame_rate: (30, 1),
            b_frames: 2,
        },
        vui: Vui {
            full_range: false,
            primaries: 1,
            transfer: 1,
            matrix: 1,
            chroma_location: 0,
        },
        frame_duration: 1,
    };
    let mut encoder = match NvEncoder::new(stream.clone(), &settings) {
        Ok(e) => e,
        Err(e) if e.is_no_nvenc() => return skip(&format!("no NVENC ({e})")),
        Err(NvencError::Params(e @ NvencParamError::TenBitUnsupported(_))) => {
            return skip(&format!("no 10-bit NVENC ({e})"))
        }
        Err(e) => panic!("{e}"),
    };
    let frames: Vec<HostFrame> = (0..FRAMES).map(|t| pattern(t, ten_bit)).collect();
    let mut packets = Vec::new();
    for (t, frame) in frames.iter().enumerate() {
        let host = pitched(frame, encoder.pitch() as usize);
        stream
            .memcpy_htod(host.as_slice(), encoder.next_input().unwrap())
            .unwrap();
        packets.extend(encoder.encode(t as i64).unwrap());
    }
    packets.extend(encoder.finish().unwrap());

    assert!(packets[0].keyframe, "the first packet is a keyframe");
    let mut pts: Vec<i64> = packets.iter().map(|p| p.pts).collect();
    pts.sort_unstable();
    assert_eq!(pts, (0..FRAMES).collect::<Vec<_>>());
    for pair in packets.windows(2) {
        assert!(pair[0].dts < pair[1].dts, "dts increases");
    }
    assert!(
        packets.iter().all(|p| p.dts <= p.pts),
        "dts never after pts"
    );

    let dir = tempfile::tempdir().unwrap();
    let (demuxer, pix_fmt) = match (codec, ten_bit) {
        (VideoCodec::H264, _) => ("h264", "nv12"),
        (VideoCodec::Hevc, false) => ("hevc", "nv12"),
        (VideoCodec::Hevc, true) => ("hevc", "p010le"),
    };
    let file = dir.path().join(format!("out.{demuxer}"));
    let mut stream_bytes = encoder.sequence_header().to_vec();
    assert!(!stream_bytes.is_empty(), "a sequence header");
    packets
        .iter()
        .for_each(|p| stream_bytes.extend_from_slice(&p.data));
    std::fs::write(&file, &stream_bytes).unwrap();
    let file = file.to_str().unwrap();
    let tags = common::tool(
        "ffprobe",
        &[
            "-v",
            "error",
            "-show_entries",
            "stream=color_primaries,color_transfer,color_space",
            "-of",
            "csv=p=0",
            file,
        ],
    );
    assert_eq!(tags.trim(), "bt709,bt709,bt709", "VUI colour tags");
    let raw = Command::new("ffmpeg")
        .args([
            "-v", "error", "-f", demuxer, "-i", file, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-",
        ])
        .output()
        .expect("ffmpeg runs");
    assert!(
        raw.status.success(),
        "{}",
        String::from_utf8_lossy(&raw.stderr)
    );
    let size = frames[0].luma.len() + frames[0].chroma.len();
    let decoded: Vec<HostFrame> = raw
        .stdout
        .chunks(size)
        .map(|c| HostFrame::from_packed(frames[0].format, WIDTH, HEIGHT, c).expect("whole frames"))
        .collect();
    assert_eq!(decoded.len(), frames.len(), "frame count");
    for (i, (a, b)) in frames.iter().zip(&decoded).enumerate() {
        let psnr = a.psnr(b).unwrap();
        assert!(
            psnr >= MIN_PSNR,
            "frame {i}: PSNR {psnr:.2} dB < {MIN_PSNR}"
        );
    }
    eprintln!(
        "{demuxer} ({pix_fmt}): {} frames back with PSNR >= {MIN_PSNR} dB",
        decoded.len()
    );
}

#[test]
fn h264_from_nv12_decodes_back() {
    encode_and_decode_back(VideoCodec::H264, false);
}

#[test]
fn hevc_from_nv12_decodes_back() {
    encode_and_decode_back(VideoCodec::Hevc, false);
}

#[test]
fn hevc_main10_from_p010_decodes_back() {
    encode_and_decode_back(VideoCodec::Hevc, true);
}
