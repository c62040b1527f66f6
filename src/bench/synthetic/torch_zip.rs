//! A writer of `torch.save` zip archives (stored entries, a protocol-2 pickle of a dict of
//! contiguous fp32 tensors), the format `models::checkpoint` reads, so that the bench's made-up
//! weights go through the same loading path as a real checkpoint.

use crate::models::checkpoint::crc32;
use crate::models::weights::StateDict;

/// The archive's folder name.
const PREFIX: &str = "archive";

/// A pickle writer for the few opcodes a state dict needs.
struct Pickle(Vec<u8>);

impl Pickle {
    fn op(&mut self, op: u8) {
        self.0.push(op);
    }

    fn text(&mut self, s: &str) {
        self.op(b'X'); // BINUNICODE
        self.0.extend_from_slice(&(s.len() as u32).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn int(&mut self, v: u64) {
        self.op(b'J'); // BININT (the sizes here fit)
        self.0
            .extend_from_slice(&i32::try_from(v).unwrap_or(i32::MAX).to_le_bytes());
    }

    fn global(&mut self, module: &str, name: &str) {
        self.op(b'c');
        self.0
            .extend_from_slice(format!("{module}\n{name}\n").as_bytes());
    }

    fn tuple(&mut self, values: &[u64]) {
        self.op(b'(');
        values.iter().for_each(|&v| self.int(v));
        self.op(b't');
    }
}

/// The pickle of `{key: tensor}` with tensor `i` in storage `i`.
fn data_pkl(sd: &StateDict) -> Vec<u8> {
    let mut p = Pickle(vec![0x80, 2]); // PROTO 2
    p.op(b'}');
    p.op(b'(');
    for (i, (key, t)) in sd.iter().enumerate() {
        p.text(key);
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.op(b'(');
        // The persistent id: ("storage", FloatStorage, key, location, numel).
        p.op(b'(');
        p.text("storage");
        p.global("torch", "FloatStorage");
        p.text(&i.to_string());
        p.text("cpu");
        p.int(t.data.len() as u64);
        p.op(b't');
        p.op(b'Q'); // BINPERSID
        p.int(0);
        let shape: Vec<u64> = t.shape.iter().map(|&d| d as u64).collect();
        let mut stride: Vec<u64> = shape
            .iter()
            .rev()
            .scan(1u64, |acc, &d| {
                let s = *acc;
                *acc *= d;
                Some(s)
            })
            .collect();
        stride.reverse();
        p.tuple(&shape);
        p.tuple(&stride);
        p.op(0x89); // NEWFALSE: requires_grad
        p.global("collections", "OrderedDict");
        p.op(b')');
        p.op(b'R');
        p.op(b't');
        p.op(b'R');
    }
    p.op(b'u'); // SETITEMS
    p.op(b'.');
    p.0
}

/// A zip of stored entries.
#[derive(Default)]
struct Zip {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl Zip {
    fn add(&mut self, name: &str, data: &[u8]) {
        let offset = self.out.len() as u32;
        let fields = |v: &mut Vec<u8>| {
            for x in [0u16, 0, 0, 0] {
                // flags, method (stored), time, date
                v.extend_from_slice(&x.to_le_bytes());
            }
            for x in [crc32(data), data.len() as u32, data.len() as u32] {
                v.extend_from_slice(&x.to_le_bytes());
            }
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes());
        };
        self.out.extend_from_slice(&[0x50, 0x4b, 3, 4, 20, 0]);
        fields(&mut self.out);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(data);
        self.central
            .extend_from_slice(&[0x50, 0x4b, 1, 2, 20, 0, 20, 0]);
        fields(&mut self.central);
        self.central.extend_from_slice(&[0; 10]);
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.entries += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let at = self.out.len() as u32;
        let size = self.central.len() as u32;
        self.out.append(&mut self.central);
        self.out.extend_from_slice(&[0x50, 0x4b, 5, 6, 0, 0, 0, 0]);
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&at.to_le_bytes());
        self.out.extend_from_slice(&[0, 0]);
        self.out
    }
}

/// `sd` as the bytes of a `torch.save` archive (no `params` wrapper: the bare dict).
pub fn archive(sd: &StateDict) -> Vec<u8> {
    let mut zip = Zip::default();
    zip.add(&format!("{PREFIX}/data.pkl"), &data_pkl(sd));
    zip.add(&format!("{PREFIX}/byteorder"), b"little");
    for (i, t) in sd.values().enumerate() {
        let bytes: Vec<u8> = t.data.iter().flat_map(|v| v.to_le_bytes()).collect();
        zip.add(&format!("{PREFIX}/data/{i}"), &bytes);
    }
    zip.finish()
}
