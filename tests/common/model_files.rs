//! Model files built in the tests: a tiny writer for synthetic PyTorch archives (stored zip +
//! protocol-2 pickle) and a tiny ncnn SRVGG (scale 1), to make valid and hostile checkpoints.

pub fn crc32(data: &[u8]) -> u32 {
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

/// Writes a zip of `(name, data, method, flags)` entries.
pub fn zip(entries: &[(&str, &[u8], u16, u16)]) -> Vec<u8> {
    let (mut out, mut central) = (Vec::new(), Vec::new());
    for &(name, data, method, flags) in entries {
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            for x in [flags, method, 0, 0] {
                v.extend_from_slice(&x.to_le_bytes());
            }
            for x in [crc32(data), data.len() as u32, data.len() as u32] {
                v.extend_from_slice(&x.to_le_bytes());
            }
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        out.extend_from_slice(&[0x50, 0x4b, 3, 4, 20, 0]);
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(&[0x50, 0x4b, 1, 2, 20, 0, 20, 0]);
        common(&mut central);
        central.extend_from_slice(&[0; 10]);
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let (cd_offset, n) = (out.len() as u32, entries.len() as u16);
    out.extend_from_slice(&central);
    out.extend_from_slice(&[0x50, 0x4b, 5, 6, 0, 0, 0, 0]);
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&n.to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&[0, 0]);
    out
}

pub fn unicode(p: &mut Vec<u8>, s: &str) {
    p.push(b'X');
    p.extend_from_slice(&(s.len() as u32).to_le_bytes());
    p.extend_from_slice(s.as_bytes());
}

pub fn int(p: &mut Vec<u8>, v: u32) {
    p.push(b'J');
    p.extend_from_slice(&v.to_le_bytes());
}

/// A tensor for the pickle: key, storage type, storage key, numel, shape (contiguous).
pub struct T<'a>(
    pub &'a str,
    pub &'a str,
    pub &'a str,
    pub u32,
    pub &'a [u32],
);

pub fn pickle(wrapper: Option<&str>, tensors: &[T]) -> Vec<u8> {
    let mut p = vec![0x80, 2, b'}'];
    if let Some(w) = wrapper {
        unicode(&mut p, w);
        p.push(b'}');
    }
    p.push(b'(');
    for T(name, ty, key, numel, shape) in tensors {
        unicode(&mut p, name);
        p.extend_from_slice(b"ctorch._utils\n_rebuild_tensor_v2\n((");
        unicode(&mut p, "storage");
        p.extend_from_slice(format!("ctorch\n{ty}\n").as_bytes());
        unicode(&mut p, key);
        unicode(&mut p, "cuda:0");
        int(&mut p, *numel);
        p.extend_from_slice(b"tQ");
        int(&mut p, 0);
        p.push(b'(');
        shape.iter().for_each(|&d| int(&mut p, d));
        p.extend_from_slice(b"t(");
        let mut stride: Vec<u32> = shape
            .iter()
            .rev()
            .scan(1, |acc, &d| {
                let s = *acc;
                *acc *= d;
                Some(s)
            })
            .collect();
        stride.reverse();
        stride.iter().for_each(|&s| int(&mut p, s));
        p.extend_from_slice(b"t\x89ccollections\nOrderedDict\n)RtR");
    }
    p.push(b'u');
    if wrapper.is_some() {
        p.push(b's');
    }
    p.push(b'.');
    p
}

pub fn f32s(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

/// A valid archive: `module.a` fp32 [2,3], `b` fp16 [2], `c` bf16 [1], under `params`.
pub fn good_archive() -> Vec<u8> {
    let pkl = pickle(
        Some("params"),
        &[
            T("module.a", "FloatStorage", "0", 6, &[2, 3]),
            T("b", "HalfStorage", "1", 2, &[2]),
            T("c", "BFloat16Storage", "2", 1, &[1]),
        ],
    );
    let a = f32s(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    zip(&[
        ("m/data.pkl", &pkl, 0, 0),
        ("m/byteorder", b"little", 0, 0),
        ("m/data/0", &a, 0, 0),
        ("m/data/1", &[0x00, 0x3c, 0x00, 0xc0], 0, 0),
        ("m/data/2", &[0x40, 0x40], 0, 0),
    ])
}

/// A scale-1 SRVGGNetCompact with one feature channel, as ncnn `.param` text.
pub const TINY_PARAM: &str = "7767517\n4 4\nInput in 0 1 data\n\
Convolution c0 1 1 data a 0=1 1=3 4=1 5=1 6=27\nPReLU p1 1 1 a b 0=1\n\
Convolution c2 1 1 b out 0=3 1=3 4=1 5=1 6=27\n";

/// The weights of [`TINY_PARAM`].
pub fn tiny_bin() -> Vec<u8> {
    let mut b = 0u32.to_le_bytes().to_vec();
    b.extend(f32s(&[0.5; 27]));
    b.extend(f32s(&[0.1, 0.25]));
    b.extend(0u32.to_le_bytes());
    b.extend(f32s(&[1.0; 27]));
    b.extend(f32s(&[0.0; 3]));
    b
}
