//! The fuzzed entry points, shared by the cargo-fuzz targets (`fuzz_targets/`) and the regression
//! test of the root crate (`tests/fuzz_regressions.rs`, which includes this file by path), so a
//! saved input replays exactly as the fuzzer ran it.
//!
//! Each function turns the raw fuzz input into the calls a real load makes, lets the reader
//! accept or refuse it, and panics only when an invariant of an accepted result is broken.
//! They return `true` when the input was accepted, `false` when it was refused with an error.

use smoothscale::models::checkpoint::{detect, prune, read_ncnn_bytes, read_torch_bytes, Limits};
use smoothscale::models::weights::StateDict;
use smoothscale::nvcodec::annexb::{AnnexB, NalCodec};
use smoothscale::tensorrt::manifest_from_bytes;

/// The `torch.save` reader. The first byte picks the form of the rest: even, the rest is a zip
/// archive as found on disk; odd, the rest is the `data.pkl` pickle, which is wrapped here in a
/// well-formed archive (correct CRCs, so pickle mutations are not lost to checksum errors) with
/// storages `archive/data/0`..`3` of 24, 4, 2 and 64 bytes.
pub fn checkpoint(data: &[u8]) -> bool {
    let Some((&mode, body)) = data.split_first() else {
        return false;
    };
    let wrapped;
    let archive = if mode % 2 == 0 {
        body
    } else {
        wrapped = torch_archive(body);
        &wrapped
    };
    match read_torch_bytes(archive, &Limits::default()) {
        Ok(sd) => {
            check_state_dict(sd);
            true
        }
        Err(_) => false,
    }
}

/// The ncnn reader: the input up to its first NUL byte is the `.param` text, the rest the `.bin`.
pub fn ncnn(data: &[u8]) -> bool {
    let (param, bin) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    match read_ncnn_bytes(param, bin, &Limits::default()) {
        Ok(sd) => {
            check_state_dict(sd);
            true
        }
        Err(_) => false,
    }
}

/// The TensorRT engine manifest reader. An accepted manifest must serialize back to one that
/// is accepted again with the same key, and its key must fingerprint and compare.
pub fn engine_manifest(data: &[u8]) -> bool {
    let Ok(m) = manifest_from_bytes(data) else {
        return false;
    };
    assert_eq!(m.key.fingerprint().len(), 16);
    assert!(m.key.differences(&m.key).is_empty());
    // What `write_manifest` writes, without the file.
    let json = serde_json::to_vec_pretty(&m).expect("a manifest always serializes");
    let again = manifest_from_bytes(&json).expect("a written manifest reads back");
    assert_eq!(again.key, m.key);
    assert_eq!(again.key.fingerprint(), m.key.fingerprint());
    true
}

/// The AVCC/HVCC to Annex-B conversion. Byte 0: bit 0 picks the codec (H.264, HEVC); bytes 1-2
/// (little-endian) the length of the extradata that follows; then packets, each after a
/// little-endian 16-bit length (lengths are clipped to what is left).
pub fn annexb(data: &[u8]) -> bool {
    let Some((&flags, rest)) = data.split_first() else {
        return false;
    };
    let codec = if flags & 1 == 0 {
        NalCodec::H264
    } else {
        NalCodec::Hevc
    };
    let (extradata, mut rest) = take_prefixed(rest);
    let Ok(mut conv) = AnnexB::new(codec, extradata) else {
        return false;
    };
    assert_eq!(conv.codec(), codec);
    assert_eq!(conv.is_passthrough(), conv.nal_length_size().is_none());
    let header = conv.header();
    assert!(header.is_empty() || header.starts_with(&[0, 0, 0, 1]));
    assert!(matches!(conv.nal_length_size(), None | Some(1 | 2 | 4)));
    let mut out = vec![0xAA];
    let mut accepted = true;
    while !rest.is_empty() {
        let (packet, tail) = take_prefixed(rest);
        rest = tail;
        let before = out.clone();
        match conv.convert(packet, &mut out) {
            Ok(()) => {
                assert!(out.starts_with(&before));
                let added = &out[before.len()..];
                if conv.is_passthrough() {
                    assert_eq!(added, packet);
                } else {
                    assert!(added.is_empty() || added.starts_with(&[0, 0, 0, 1]));
                    // Each unit keeps its bytes; its 1-, 2- or 4-byte length becomes a 3- or
                    // 4-byte start code, and a unit is at least one byte.
                    assert!(5 * added.len() >= 4 * packet.len());
                }
            }
            Err(_) => {
                assert_eq!(
                    out, before,
                    "a failed conversion must leave the output as it was"
                );
                accepted = false;
            }
        }
    }
    accepted
}

/// Splits `data` after a little-endian 16-bit length and that many bytes (clipped).
fn take_prefixed(data: &[u8]) -> (&[u8], &[u8]) {
    let len = match data {
        [a, b, ..] => usize::from(u16::from_le_bytes([*a, *b])),
        _ => return (&[], &[]),
    };
    let data = &data[2..];
    data.split_at(len.min(data.len()))
}

/// What every accepted state_dict must satisfy, then the rest of a real load: detection and
/// pruning of the network.
fn check_state_dict(mut sd: StateDict) {
    for (key, t) in &sd {
        let numel = t
            .shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .expect("an accepted shape has a representable size");
        assert_eq!(t.data.len(), numel, "{key}");
    }
    if let Ok(arch) = detect(&sd) {
        prune(arch, &mut sd);
    }
}

/// A stored zip archive `archive/…` holding `pickle` as `data.pkl`, a little-endian byte order
/// and four storages.
pub fn torch_archive(pickle: &[u8]) -> Vec<u8> {
    let storage = |len: usize, seed: u8| -> Vec<u8> {
        (0..len)
            .map(|i| seed.wrapping_add((i as u8).wrapping_mul(37)))
            .collect()
    };
    let entries: [(&str, Vec<u8>); 6] = [
        ("archive/data.pkl", pickle.to_vec()),
        ("archive/byteorder", b"little".to_vec()),
        ("archive/data/0", storage(24, 1)),
        ("archive/data/1", storage(4, 2)),
        ("archive/data/2", storage(2, 3)),
        ("archive/data/3", storage(64, 4)),
    ];
    stored_zip(&entries)
}

/// Writes a zip of stored (uncompressed) entries.
pub fn stored_zip(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let fields = |v: &mut Vec<u8>| {
            // version needed, flags, method, time, date
            for x in [20u16, 0, 0, 0, 0] {
                v.extend_from_slice(&x.to_le_bytes());
            }
            for x in [crc32(data), data.len() as u32, data.len() as u32] {
                v.extend_from_slice(&x.to_le_bytes());
            }
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        fields(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        fields(&mut central);
        // comment length, disk, internal and external attributes
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    let n = entries.len() as u16;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0; 2]);
    out
}

/// CRC-32 (IEEE, reflected), bit by bit: small inputs only.
fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}
