//! The bad-input corpus: every case is a file made here (with the ffmpeg CLI, or by hand) and a
//! `smoothscale run` with its expected outcome — a correct output, or exit 1 with one clear line
//! naming the problem. No case may panic, hang (each has a deadline) or leave anything at the
//! output path. Model-file cases need the ONNX Runtime library and are skipped, with the reason
//! printed, when it is absent.

mod common;

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::model_files::{f32s, good_archive, pickle, tiny_bin, unicode, zip, T, TINY_PARAM};
use common::{assert_clean_failure, make_clip, probe, smoothscale, streams};

/// No case may take longer than this.
const DEADLINE: Duration = Duration::from_secs(90);

/// What a case must do.
#[derive(Debug, Clone)]
enum Expect {
    /// Exit 0 with a number of video frames in `frames` and `audio` audio streams.
    Ok {
        frames: RangeInclusive<u64>,
        audio: usize,
    },
    /// Exit 1, one `error:` line containing the text, nothing at the output path.
    Fail(&'static str),
    /// Exit 1 naming the text, and the file already at the output path is left as it was.
    Refused(&'static str),
}

struct Case {
    name: String,
    input: PathBuf,
    output: PathBuf,
    args: Vec<String>,
    expect: Expect,
}

struct Corpus {
    dir: tempfile::TempDir,
    cases: Vec<Case>,
}

fn ok(frames: u64, audio: usize) -> Expect {
    Expect::Ok {
        frames: frames..=frames,
        audio,
    }
}

impl Corpus {
    fn new() -> Self {
        Corpus {
            dir: tempfile::tempdir().unwrap(),
            cases: Vec::new(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// A clip made by the ffmpeg CLI from `args` (inputs and codec options).
    fn clip(&self, name: &str, args: &[&str]) -> PathBuf {
        make_clip(self.dir.path(), name, args)
    }

    /// A file with these bytes.
    fn bytes(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    fn add(&mut self, name: &str, input: PathBuf, out_ext: &str, args: &[&str], expect: Expect) {
        let output = self.path(&format!("out-{name}.{out_ext}"));
        self.add_to(name, input, output, args, expect);
    }

    fn add_to(&mut self, name: &str, input: PathBuf, output: PathBuf, args: &[&str], e: Expect) {
        self.cases.push(Case {
            name: name.to_string(),
            input,
            output,
            args: args.iter().map(|s| s.to_string()).collect(),
            expect: e,
        });
    }
}

/// A 96x64 test pattern at 10 fps, `frames` frames long, as ffmpeg input arguments.
fn pattern(size: &str, frames: u32) -> Vec<String> {
    vec![
        "-f".into(),
        "lavfi".into(),
        "-i".into(),
        format!(
            "testsrc2=size={size}:rate=10:duration={}",
            f64::from(frames) / 10.0
        ),
    ]
}

/// A sine tone as ffmpeg input arguments.
fn tone(freq: u32) -> Vec<String> {
    vec![
        "-f".into(),
        "lavfi".into(),
        "-i".into(),
        format!("sine=frequency={freq}:duration=0.5"),
    ]
}

fn args<'a>(parts: &'a [Vec<String>], extra: &'a [&'a str]) -> Vec<&'a str> {
    let mut all: Vec<&str> = parts.iter().flatten().map(String::as_str).collect();
    all.extend_from_slice(extra);
    all
}

/// A deterministic byte stream (xorshift), for random and bit-flipped files.
struct Noise(u64);

impl Noise {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Offset and size of the first top-level MP4 box of `kind`.
fn mp4_box(data: &[u8], kind: &[u8; 4]) -> Option<(usize, usize)> {
    let mut at = 0;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        if &data[at + 4..at + 8] == kind {
            return Some((at, size));
        }
        if size < 8 {
            return None;
        }
        at += size;
    }
    None
}

/// The containers and codecs FFmpeg decodes, pixel formats, sizes and stream layouts.
fn media_cases(c: &mut Corpus) {
    let v = |frames| pattern("96x64", frames);
    let x264 = ["-c:v", "libx264", "-preset", "ultrafast"];
    let plain = c.clip(
        "plain.mp4",
        &args(&[v(5), tone(440)], &[&x264[..], &["-c:a", "aac"]].concat()),
    );
    c.add("plain", plain, "mp4", &[], ok(5, 1));
    let p = c.clip("no-audio.mp4", &args(&[v(5)], &x264));
    c.add("no-audio", p, "mp4", &[], ok(5, 0));
    let p = c.clip(
        "three-audio.mkv",
        &args(
            &[v(5), tone(300), tone(500), tone(700)],
            &[
                &x264[..],
                &[
                    "-map",
                    "0:v",
                    "-map",
                    "1:a",
                    "-map",
                    "2:a",
                    "-map",
                    "3:a",
                    "-c:a:0",
                    "aac",
                    "-c:a:1",
                    "libopus",
                    "-c:a:2",
                    "libmp3lame",
                ],
            ]
            .concat(),
        ),
    );
    c.add("three-audio-streams", p, "mkv", &[], ok(5, 3));
    let srt = c.bytes(
        "subs.srt",
        b"1\n00:00:00,000 --> 00:00:00,400\nhello\n\n2\n00:00:00,400 --> 00:00:00,500\nbye\n",
    );
    let p = c.clip(
        "subtitles.mkv",
        &args(
            &[v(5), vec!["-i".into(), srt.to_str().unwrap().into()]],
            &[&x264[..], &["-c:s", "srt"]].concat(),
        ),
    );
    c.add("subtitles-mkv", p, "mkv", &[], ok(5, 0));
    let p = c.clip(
        "subtitles.mp4",
        &args(
            &[v(5), vec!["-i".into(), srt.to_str().unwrap().into()]],
            &[&x264[..], &["-c:s", "mov_text"]].concat(),
        ),
    );
    c.add("subtitles-mp4", p, "mp4", &[], ok(5, 0));
    let p = c.clip("one-frame.mp4", &args(&[v(1)], &x264));
    c.add("one-frame", p, "mp4", &[], ok(1, 0));
    let p = c.clip("two-frames.mp4", &args(&[v(2)], &x264));
    c.add("two-frames", p, "mp4", &[], ok(2, 0));
    for (name, size) in [("2x2", "2x2"), ("322x242", "322x242"), ("8x600", "8x600")] {
        let p = c.clip(&format!("{name}.mp4"), &args(&[pattern(size, 3)], &x264));
        c.add(&format!("size-{name}"), p, "mp4", &[], ok(3, 0));
    }
    let p = c.clip(
        "odd-321x241.mkv",
        &args(&[pattern("321x241", 3)], &["-c:v", "ffv1"]),
    );
    c.add("odd-size-321x241", p, "mkv", &[], ok(3, 0));
    for (name, pix, ext) in [
        ("yuv444", "yuv444p", "mp4"),
        ("yuv422", "yuv422p", "mp4"),
        ("yuv420-10bit", "yuv420p10le", "mp4"),
        ("yuv444-10bit", "yuv444p10le", "mkv"),
    ] {
        let p = c.clip(
            &format!("{name}.{ext}"),
            &args(&[v(3)], &[&x264[..], &["-pix_fmt", pix]].concat()),
        );
        c.add(&format!("h264-{name}"), p, ext, &[], ok(3, 0));
    }
    let p = c.clip(
        "hevc10.mp4",
        &args(
            &[v(3)],
            &[
                "-c:v",
                "libx265",
                "-preset",
                "ultrafast",
                "-pix_fmt",
                "yuv420p10le",
                "-x265-params",
                "log-level=error",
            ],
        ),
    );
    c.add("hevc-10bit", p, "mp4", &[], ok(3, 0));
    let p = c.clip(
        "prores422.mov",
        &args(&[v(3)], &["-c:v", "prores_ks", "-profile:v", "2"]),
    );
    c.add("prores-422-10bit-mov", p, "mov", &[], ok(3, 0));
    let p = c.clip(
        "vfr.mp4",
        &args(
            &[v(10)],
            &[
                &x264[..],
                &[
                    "-vf",
                    "setpts='PTS+if(gt(N,4),3,0)/TB*0.05'",
                    "-fps_mode",
                    "vfr",
                ],
            ]
            .concat(),
        ),
    );
    c.add(
        "variable-frame-rate",
        p,
        "mp4",
        &[],
        Expect::Ok {
            frames: 1..=u64::MAX,
            audio: 0,
        },
    );
    let p = c.clip(
        "rotated.mp4",
        &args(
            &[v(3)],
            &[&x264[..], &["-metadata:s:v", "rotate=90"]].concat(),
        ),
    );
    c.add("rotation-tag", p, "mp4", &[], ok(3, 0));
    let p = c.clip(
        "vp9-opus.webm",
        &args(
            &[v(3), tone(440)],
            &[
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-c:a",
                "libopus",
            ],
        ),
    );
    c.add("webm-vp9-opus", p, "mp4", &[], ok(3, 1));
    let p = c.clip(
        "vp8-vorbis.webm",
        &args(
            &[v(3), tone(440)],
            &[
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-c:a",
                "libvorbis",
            ],
        ),
    );
    c.add("webm-vp8-vorbis-to-mkv", p, "mkv", &[], ok(3, 1));
    let other_codecs: [(&str, &str, &[&str]); 10] = [
        (
            "mjpeg.avi",
            "mjpeg-avi",
            &["-c:v", "mjpeg", "-pix_fmt", "yuvj420p"],
        ),
        ("mpeg4.avi", "mpeg4-part2-avi", &["-c:v", "mpeg4"]),
        ("mpeg2.ts", "mpeg2-ts", &["-c:v", "mpeg2video"]),
        ("ffv1.mkv", "ffv1-mkv", &["-c:v", "ffv1"]),
        (
            "gray.mkv",
            "ffv1-gray",
            &["-c:v", "ffv1", "-pix_fmt", "gray"],
        ),
        ("rgb.mkv", "ffv1-rgb", &["-c:v", "ffv1", "-pix_fmt", "bgr0"]),
        ("anim.gif", "gif-palette", &["-c:v", "gif"]),
        ("raw.y4m", "y4m-raw", &["-pix_fmt", "yuv420p"]),
        ("theora.ogv", "theora-ogg", &["-c:v", "libtheora"]),
        (
            "av1.mkv",
            "av1-mkv",
            &["-c:v", "libaom-av1", "-cpu-used", "8", "-row-mt", "1"],
        ),
    ];
    for (file, name, codec) in other_codecs {
        let p = c.clip(file, &args(&[v(3)], codec));
        c.add(name, p, "mp4", &[], ok(3, 0));
    }
    let p = c.clip("still.png", &args(&[v(1)], &["-frames:v", "1"]));
    c.add("png-still", p, "mp4", &[], ok(1, 0));
    let p = c.clip(
        "audio-only.m4a",
        &args(&[tone(440)], &["-c:a", "aac", "-vn"]),
    );
    c.add("audio-only", p, "mp4", &[], Expect::Fail("no video stream"));
}

/// Damaged and hostile containers.
fn damaged_cases(c: &mut Corpus) {
    let x264 = [
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        "5",
        "-c:a",
        "aac",
    ];
    let src = [pattern("96x64", 20), tone(440)];
    let tail = c.clip("moov-at-end.mp4", &args(&src, &x264));
    let fast = c.clip(
        "faststart.mp4",
        &args(&src, &[&x264[..], &["-movflags", "+faststart"]].concat()),
    );
    let mkv = c.clip("whole.mkv", &args(&src[..1], &x264[..6]));
    let mkv_audio = c.clip("whole-audio.mkv", &args(&src, &x264));
    let (tail_bytes, fast_bytes) = (std::fs::read(&tail).unwrap(), std::fs::read(&fast).unwrap());
    let (mkv_bytes, mkv_audio) = (
        std::fs::read(&mkv).unwrap(),
        std::fs::read(&mkv_audio).unwrap(),
    );
    let mut noise = Noise(0x5eed_0001);

    let p = c.bytes("empty.mp4", b"");
    c.add("empty-file", p, "mp4", &[], Expect::Fail("cannot open"));
    let p = c.bytes("text.mp4", &b"this is not a video\n".repeat(50));
    c.add("text-file", p, "mp4", &[], Expect::Fail("cannot open"));
    let p = c.bytes("random.mp4", &noise.bytes(64 * 1024));
    c.add("random-bytes", p, "mp4", &[], Expect::Fail("cannot open"));
    let mut fake = fast_bytes[..32].to_vec();
    fake.extend(noise.bytes(32 * 1024));
    let p = c.bytes("ftyp-then-noise.mp4", &fake);
    c.add(
        "mp4-header-then-noise",
        p,
        "mp4",
        &[],
        Expect::Fail("cannot open"),
    );
    let p = c.bytes("cut-16.mp4", &tail_bytes[..16]);
    c.add(
        "truncated-in-ftyp",
        p,
        "mp4",
        &[],
        Expect::Fail("cannot open"),
    );
    let (moov, _) = mp4_box(&tail_bytes, b"moov").expect("moov");
    let p = c.bytes("cut-before-moov.mp4", &tail_bytes[..moov]);
    c.add(
        "truncated-before-moov",
        p,
        "mp4",
        &[],
        Expect::Fail("cannot open"),
    );
    // FFmpeg reads what it can of a cut index: here no track survives.
    let p = c.bytes("cut-in-moov.mp4", &tail_bytes[..moov + 200]);
    c.add(
        "truncated-inside-moov",
        p,
        "mp4",
        &[],
        Expect::Fail("no video stream"),
    );
    let (fmoov, fsize) = mp4_box(&fast_bytes, b"moov").expect("moov");
    let p = c.bytes("cut-after-moov.mp4", &fast_bytes[..fmoov + fsize + 8]);
    c.add(
        "truncated-right-after-moov",
        p,
        "mp4",
        &[],
        Expect::Fail("no decodable frames"),
    );
    let p = c.bytes("cut-in-mdat.mp4", &fast_bytes[..fast_bytes.len() / 2]);
    c.add(
        "truncated-inside-mdat",
        p,
        "mp4",
        &[],
        Expect::Fail("truncated"),
    );
    let p = c.bytes("cut-half.mkv", &mkv_bytes[..mkv_bytes.len() / 2]);
    c.add("truncated-mkv", p, "mkv", &[], Expect::Fail("truncated"));
    // FFmpeg's MKV muxer tags each track with its duration, so audio does not hide the cut.
    let p = c.bytes("cut-half-audio.mkv", &mkv_audio[..mkv_audio.len() / 2]);
    c.add(
        "truncated-mkv-with-audio",
        p,
        "mkv",
        &[],
        Expect::Fail("truncated"),
    );
    // Bit flips inside the media data, headers intact: the decoder conceals what it can, a frame
    // it cannot decode is held over by the one before (one lost at the very end shortens the
    // output by a frame).
    let (mdat, msize) = mp4_box(&fast_bytes, b"mdat").expect("mdat");
    let mut flipped = fast_bytes.clone();
    for _ in 0..40 {
        let at = mdat + 64 + (noise.next() as usize) % (msize - 64);
        flipped[at] ^= 1 << (noise.next() % 8);
    }
    let p = c.bytes("bit-flips.mp4", &flipped);
    let expect = Expect::Ok {
        frames: 18..=20,
        audio: 1,
    };
    c.add("bit-flips-in-video", p, "mp4", &[], expect);
    // Raw video in MKV whose track declares 8192x8192 (patched from 320x256), which FFmpeg
    // accepts: refused before anything that size is made.
    let raw = c.clip(
        "raw-320x256.mkv",
        &args(
            &[pattern("320x256", 2)],
            &["-c:v", "rawvideo", "-pix_fmt", "yuv420p"],
        ),
    );
    let mut raw = std::fs::read(raw).unwrap();
    for (from, to) in [
        ([0xb0, 0x82, 0x01, 0x40], [0xb0, 0x82, 0x20, 0x00]),
        ([0xba, 0x82, 0x01, 0x00], [0xba, 0x82, 0x20, 0x00]),
    ] {
        let at = raw
            .windows(4)
            .position(|w| w == from)
            .expect("size element");
        raw[at..at + 4].copy_from_slice(&to);
    }
    let p = c.bytes("huge.mkv", &raw);
    c.add(
        "huge-declared-size",
        p,
        "mp4",
        &[],
        Expect::Fail("megapixels"),
    );
    // A y4m header declaring the same: FFmpeg's demuxer refuses it first.
    let mut y4m = b"YUV4MPEG2 W40000 H40000 F10:1 Ip A1:1 C420jpeg\nFRAME\n".to_vec();
    y4m.extend(vec![128u8; 4096]);
    let p = c.bytes("huge.y4m", &y4m);
    c.add(
        "huge-y4m-header",
        p,
        "mp4",
        &[],
        Expect::Fail("cannot open"),
    );
    // The limits are configurable: the same small clip over a lowered pixel or memory limit.
    c.add(
        "over-max-pixels",
        fast.clone(),
        "mp4",
        &["--max-pixels", "5000"],
        Expect::Fail("megapixels"),
    );
    c.add(
        "over-max-memory",
        fast.clone(),
        "mp4",
        &["--max-memory", "100K"],
        Expect::Fail("memory limit"),
    );
    let p = c.path("no-such-input.mp4");
    c.add("missing-input", p, "mp4", &[], Expect::Fail("cannot open"));
    let p = c.dir.path().to_path_buf();
    c.add(
        "input-is-a-folder",
        p,
        "mp4",
        &[],
        Expect::Fail("cannot open"),
    );
    c.add(
        "start-past-the-end",
        fast.clone(),
        "mp4",
        &["--start", "30"],
        Expect::Fail("no decodable frames"),
    );
}

/// Where the output goes.
fn output_cases(c: &mut Corpus) {
    let input = c.clip(
        "for-outputs.mp4",
        &args(&[pattern("64x48", 3)], &["-c:v", "libx264"]),
    );
    let missing = c.path("no/such/folder/out.mp4");
    c.add_to(
        "output-folder-missing",
        input.clone(),
        missing,
        &[],
        Expect::Fail("does not exist"),
    );
    // Root may write anywhere it has permission bits for; /proc refuses new files to everyone.
    let read_only = if is_root() {
        PathBuf::from("/proc/smoothscale-corpus-out.mp4")
    } else {
        let folder = c.path("read-only");
        std::fs::create_dir(&folder).unwrap();
        let mut perms = std::fs::metadata(&folder).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o555);
        std::fs::set_permissions(&folder, perms).unwrap();
        folder.join("out.mp4")
    };
    c.add_to(
        "output-folder-read-only",
        input.clone(),
        read_only,
        &[],
        Expect::Fail("output"),
    );
    c.add_to(
        "input-equals-output",
        input.clone(),
        input.clone(),
        &["--overwrite"],
        Expect::Refused("is the input file"),
    );
    let existing = c.bytes("existing.mp4", b"keep me");
    c.add_to(
        "existing-output",
        input.clone(),
        existing,
        &[],
        Expect::Refused("--overwrite"),
    );
    c.add(
        "unknown-output-extension",
        input.clone(),
        "xyz",
        &[],
        Expect::Fail(".xyz"),
    );
    let file_as_folder = c.path("for-outputs.mp4/out.mp4");
    c.add_to(
        "output-under-a-file",
        input,
        file_as_folder,
        &[],
        Expect::Fail("does not exist"),
    );
}

/// Model files that are broken, hostile or of the wrong kind for the option.
fn model_cases(c: &mut Corpus) {
    let input = c.clip(
        "for-models.mp4",
        &args(&[pattern("64x64", 2)], &["-c:v", "libx264"]),
    );
    let model = |c: &mut Corpus, name: &str, file: PathBuf, opt: &[&str], e: Expect| {
        let mut all = opt.to_vec();
        all.push(file.to_str().unwrap());
        let all: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        let refs: Vec<&str> = all.iter().map(String::as_str).collect();
        c.add(name, input.clone(), "mp4", &refs, e);
    };
    let up = ["--upscale", "2x", "--upscale-model"];
    let rife = ["--interpolate", "2x", "--rife-model"];
    let good = good_archive();
    let p = c.bytes("truncated.pth", &good[..good.len() / 2]);
    model(c, "model-truncated", p, &up, Expect::Fail("truncated.pth"));
    // Were anything executed, this file would exist (checked after every case ran).
    let marker = c.path("pwned");
    let mut evil = b"\x80\x02cos\nsystem\n".to_vec();
    unicode(&mut evil, &format!("touch {}", marker.display()));
    evil.extend_from_slice(b"\x85R.");
    let p = c.bytes("evil.pth", &zip(&[("m/data.pkl", &evil, 0, 0)]));
    model(
        c,
        "model-pickle-os-system",
        p,
        &up,
        Expect::Fail("os.system"),
    );
    let pkl = pickle(None, &[T("w", "FloatStorage", "0", 1000, &[10, 100])]);
    let lie = zip(&[
        ("m/data.pkl", &pkl, 0, 0),
        ("m/data/0", &f32s(&[0.0; 6]), 0, 0),
    ]);
    let p = c.bytes("lying-sizes.pth", &lie);
    model(
        c,
        "model-lying-storage-size",
        p,
        &up,
        Expect::Fail("storage"),
    );
    let mut big = good_archive();
    let cd = big
        .windows(4)
        .position(|w| w == [0x50, 0x4b, 1, 2])
        .unwrap();
    big[cd + 20..cd + 28].copy_from_slice(&[0xff, 0xff, 0xff, 0x7f, 0xff, 0xff, 0xff, 0x7f]);
    let p = c.bytes("oversized-entry.pth", &big);
    model(
        c,
        "model-oversized-zip-entry",
        p,
        &up,
        Expect::Fail("oversized-entry.pth"),
    );
    c.bytes("broken.bin", &tiny_bin());
    let p = c.bytes(
        "broken.param",
        TINY_PARAM.replace("6=27\nPReLU", "6=26\nPReLU").as_bytes(),
    );
    model(
        c,
        "model-malformed-ncnn",
        p,
        &up,
        Expect::Fail("broken.param"),
    );
    c.bytes("tiny.bin", &tiny_bin());
    let tiny = c.bytes("tiny.param", TINY_PARAM.as_bytes());
    model(
        c,
        "model-upscaler-as-rife",
        tiny.clone(),
        &rife,
        Expect::Fail("is not a RIFE model"),
    );
    model(
        c,
        "model-scale-1-for-2x",
        tiny,
        &up,
        Expect::Fail("cannot give 2x"),
    );
    let p = c.bytes("not-a-model.pth", b"PK\x03\x04 definitely not a checkpoint");
    model(c, "model-garbage", p, &up, Expect::Fail("not-a-model.pth"));
    if let Some(onnx) = wrong_inputs_onnx(&c.path("wrong-inputs.onnx")) {
        model(
            c,
            "model-onnx-wrong-inputs",
            onnx,
            &up,
            Expect::Fail("input"),
        );
    }
}

/// An ONNX graph `x → y` (Identity), written with the Python `onnx` package; `None`, with the
/// reason printed, when that package is absent.
fn wrong_inputs_onnx(path: &Path) -> Option<PathBuf> {
    let script = "import onnx,sys\nfrom onnx import helper as h, TensorProto as T\n\
        g=h.make_graph([h.make_node('Identity',['x'],['y'])],'g',\
        [h.make_tensor_value_info('x',T.FLOAT,[1,3,8,8])],\
        [h.make_tensor_value_info('y',T.FLOAT,[1,3,8,8])])\n\
        onnx.save(h.make_model(g,ir_version=8,opset_imports=[h.make_opsetid('',17)]),sys.argv[1])\n";
    let made = std::process::Command::new("python3")
        .args(["-c", script, path.to_str().unwrap()])
        .output();
    match made {
        Ok(out) if out.status.success() => Some(path.to_path_buf()),
        _ => {
            eprintln!("skipping the ONNX wrong-inputs case: python3 with onnx is absent");
            None
        }
    }
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Whether the ONNX Runtime library can be loaded (model cases need it).
fn runtime_available(dir: &Path) -> bool {
    let out = smoothscale()
        .args(["export-onnx", "--model"])
        .arg(dir.join("tiny.param"))
        .arg("--out")
        .arg(dir.join("probe.onnx"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    !stderr.contains("ONNX Runtime")
}

/// Runs with a deadline: a hang fails the case instead of the whole suite.
fn run_with_deadline(mut child: Child, name: &str) -> Output {
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap();
        }
        if started.elapsed() > DEADLINE {
            child.kill().ok();
            panic!("{name}: still running after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn check(case: &Case, output: &Output) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{}: {stderr}", case.name);
    match &case.expect {
        Expect::Ok { frames, audio } => {
            assert_eq!(output.status.code(), Some(0), "{}: {stderr}", case.name);
            let p = probe(&case.output);
            let video = streams(&p, "video");
            assert_eq!(video.len(), 1, "{}", case.name);
            let n: u64 = video[0]["nb_read_frames"]
                .as_str()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            assert!(frames.contains(&n), "{}: {n} frames", case.name);
            assert_eq!(streams(&p, "audio").len(), *audio, "{}: audio", case.name);
        }
        Expect::Fail(needle) => assert_clean_failure(output, &case.output, needle),
        Expect::Refused(needle) => {
            assert_eq!(output.status.code(), Some(1), "{}: {stderr}", case.name);
            let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
            assert_eq!(errors.len(), 1, "{}: {stderr}", case.name);
            assert!(errors[0].contains(needle), "{}: {stderr}", case.name);
        }
    }
}

#[test]
fn every_bad_input_has_its_expected_outcome() {
    let mut corpus = Corpus::new();
    media_cases(&mut corpus);
    damaged_cases(&mut corpus);
    output_cases(&mut corpus);
    let runtime = {
        corpus.bytes("tiny.bin", &tiny_bin());
        corpus.bytes("tiny.param", TINY_PARAM.as_bytes());
        runtime_available(corpus.dir.path())
    };
    if runtime {
        model_cases(&mut corpus);
    } else {
        eprintln!("skipping the model-file cases: the ONNX Runtime library is absent");
    }
    let existing_before = std::fs::read(corpus.path("existing.mp4")).unwrap();
    let input_before = std::fs::read(corpus.path("for-outputs.mp4")).unwrap();
    let mut failures = Vec::new();
    for case in &corpus.cases {
        let child = smoothscale()
            .arg("run")
            .arg(&case.input)
            .arg(&case.output)
            .args(&case.args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let output = run_with_deadline(child, &case.name);
        let outcome = std::panic::catch_unwind(|| check(case, &output));
        eprintln!(
            "{:<32} {:?} -> exit {:?} {}",
            case.name,
            case.expect,
            output.status.code(),
            if outcome.is_ok() { "ok" } else { "WRONG" }
        );
        if outcome.is_err() {
            failures.push(case.name.clone());
        }
    }
    assert!(!corpus.path("pwned").exists(), "a pickle ran code");
    assert_eq!(
        std::fs::read(corpus.path("existing.mp4")).unwrap(),
        existing_before
    );
    assert_eq!(
        std::fs::read(corpus.path("for-outputs.mp4")).unwrap(),
        input_before
    );
    common::assert_no_partials(corpus.dir.path());
    eprintln!("{} cases", corpus.cases.len());
    assert!(
        failures.is_empty(),
        "cases with the wrong outcome: {failures:?}"
    );
    let minimum = if runtime { 60 } else { 50 };
    assert!(
        corpus.cases.len() >= minimum,
        "{} cases",
        corpus.cases.len()
    );
}

/// Engines are never loaded on a machine they were not built for: a plan whose manifest names
/// another GPU, compute capability or TensorRT version, or a plan that is not the one its
/// manifest describes, is rebuilt (with the reason), never used.
#[test]
fn engines_from_another_machine_are_rebuilt_not_loaded() {
    use smoothscale::tensorrt::{
        sha256_file, write_manifest, CacheDecision, ComputeCapability, EngineCache, EngineKey,
        EnginePrecision, Manifest, MANIFEST_FORMAT,
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = EngineCache::new(dir.path());
    let here = EngineKey {
        model_sha256: "ab".repeat(32),
        graph_version: "rife-4.25/1".into(),
        tensorrt_version: "10.16.0".into(),
        gpu_name: "NVIDIA Thor".into(),
        compute_capability: ComputeCapability {
            major: 11,
            minor: 0,
        },
        inputs: Vec::new(),
        precision: EnginePrecision::Fp16,
        options: Default::default(),
    };
    let plan = cache.plan_path("rife");
    std::fs::write(&plan, vec![7u8; 4096]).unwrap();
    let built_on = |key: EngineKey| {
        let manifest = Manifest {
            format: MANIFEST_FORMAT,
            key,
            plan_bytes: 4096,
            plan_sha256: sha256_file(&plan).unwrap(),
            build_seconds: 1.0,
        };
        write_manifest(&cache.manifest_path("rife"), &manifest).unwrap();
        cache.decide("rife", &here)
    };
    assert!(matches!(built_on(here.clone()), CacheDecision::Hit { .. }));
    let others = [
        EngineKey {
            gpu_name: "NVIDIA H100 80GB HBM3".into(),
            compute_capability: ComputeCapability { major: 9, minor: 0 },
            ..here.clone()
        },
        EngineKey {
            tensorrt_version: "10.13.3".into(),
            ..here.clone()
        },
        EngineKey {
            precision: EnginePrecision::Fp32,
            ..here.clone()
        },
    ];
    for other in others {
        match built_on(other.clone()) {
            CacheDecision::Rebuild { reason } => assert!(!reason.is_empty()),
            d => panic!("{other:?}: {d:?}"),
        }
    }
    // The right manifest beside a different plan (swapped or corrupted file).
    built_on(here.clone());
    std::fs::write(&plan, vec![8u8; 4096]).unwrap();
    assert!(matches!(
        cache.decide("rife", &here),
        CacheDecision::Rebuild { .. }
    ));
}
