//! A minimal, bounds-checked zip reader for `torch.save` archives: central directory walk
//! (zip64 aware), stored entries only, CRC-32 verified on access. It borrows the file bytes
//! (normally a memory map) and never copies entry data.

use std::collections::BTreeMap;

use super::error::ZipError;

const EOCD_SIG: u32 = 0x0605_4b50;
const EOCD_LEN: usize = 22;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_LOCATOR_LEN: usize = 20;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const CENTRAL_LEN: usize = 46;
const LOCAL_SIG: u32 = 0x0403_4b50;
const LOCAL_LEN: usize = 30;

/// Reads a little-endian integer of `N` bytes at `off`, or `None` when out of range.
fn le<const N: usize>(b: &[u8], off: usize) -> Option<u64> {
    let end = off.checked_add(N)?;
    let bytes = b.get(off..end)?;
    Some(
        bytes
            .iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)),
    )
}

/// One stored entry: where its data lies in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    data_offset: usize,
    len: usize,
    crc: u32,
}

/// A parsed zip archive borrowing the file bytes.
#[derive(Debug)]
pub struct ZipArchive<'a> {
    bytes: &'a [u8],
    entries: BTreeMap<String, Entry>,
}

fn oob(what: impl Into<String>, offset: u64, len: u64, file_len: usize) -> ZipError {
    ZipError::OutOfBounds {
        what: what.into(),
        offset,
        len,
        file_len: file_len as u64,
    }
}

/// Checks `offset..offset+len` lies inside the file and returns it as a `usize` range.
fn span(
    what: &str,
    offset: u64,
    len: u64,
    file_len: usize,
) -> Result<std::ops::Range<usize>, ZipError> {
    let end = offset.checked_add(len);
    match end {
        Some(end) if end <= file_len as u64 => {
            // Both fit in usize because they are <= file_len.
            Ok(offset as usize..end as usize)
        }
        _ => Err(oob(what, offset, len, file_len)),
    }
}

/// Central-directory location and entry count.
struct Directory {
    offset: u64,
    size: u64,
    count: u64,
}

fn find_eocd(b: &[u8]) -> Result<usize, ZipError> {
    let max_back = EOCD_LEN + usize::from(u16::MAX);
    let lowest = b.len().saturating_sub(max_back);
    let mut pos = b
        .len()
        .checked_sub(EOCD_LEN)
        .ok_or(ZipError::NoEndOfCentralDirectory)?;
    loop {
        if le::<4>(b, pos) == Some(u64::from(EOCD_SIG)) {
            let comment = le::<2>(b, pos + 20).unwrap_or(u64::MAX);
            if (pos + EOCD_LEN) as u64 + comment == b.len() as u64 {
                return Ok(pos);
            }
        }
        if pos == lowest {
            return Err(ZipError::NoEndOfCentralDirectory);
        }
        pos -= 1;
    }
}

fn read_directory(b: &[u8]) -> Result<Directory, ZipError> {
    let eocd = find_eocd(b)?;
    let field = |o: usize| le::<2>(b, eocd + o).ok_or(ZipError::NoEndOfCentralDirectory);
    let (disk, cd_disk, on_disk, count) = (field(4)?, field(6)?, field(8)?, field(10)?);
    let size = le::<4>(b, eocd + 12).ok_or(ZipError::NoEndOfCentralDirectory)?;
    let offset = le::<4>(b, eocd + 16).ok_or(ZipError::NoEndOfCentralDirectory)?;
    let needs64 = count == 0xFFFF || size == 0xFFFF_FFFF || offset == 0xFFFF_FFFF;
    if !needs64 {
        if disk != 0 || cd_disk != 0 || on_disk != count {
            return Err(ZipError::MultiDisk);
        }
        return Ok(Directory {
            offset,
            size,
            count,
        });
    }
    let loc = eocd
        .checked_sub(ZIP64_LOCATOR_LEN)
        .ok_or(ZipError::Zip64("no zip64 locator"))?;
    if le::<4>(b, loc) != Some(u64::from(ZIP64_LOCATOR_SIG)) {
        return Err(ZipError::Zip64("no zip64 locator"));
    }
    let rec = le::<8>(b, loc + 8).ok_or(ZipError::Zip64("locator"))?;
    let rec = span("zip64 end of central directory", rec, 56, b.len())?.start;
    if le::<4>(b, rec) != Some(u64::from(ZIP64_EOCD_SIG)) {
        return Err(ZipError::BadSignature {
            what: "zip64 end of central directory",
            offset: rec as u64,
        });
    }
    let f = |o: usize, w: usize| -> Result<u64, ZipError> {
        let v = if w == 4 {
            le::<4>(b, rec + o)
        } else {
            le::<8>(b, rec + o)
        };
        v.ok_or(ZipError::Zip64("record"))
    };
    let (disk, cd_disk, on_disk, count) = (f(16, 4)?, f(20, 4)?, f(24, 8)?, f(32, 8)?);
    if disk != 0 || cd_disk != 0 || on_disk != count {
        return Err(ZipError::MultiDisk);
    }
    Ok(Directory {
        offset: f(48, 8)?,
        size: f(40, 8)?,
        count,
    })
}

/// The zip64 extended-information extra field: replaces those of `vals` that are saturated.
fn apply_zip64_extra(extra: &[u8], vals: &mut [&mut u64; 3]) -> Result<(), ZipError> {
    let mut pos = 0usize;
    while pos + 4 <= extra.len() {
        let id = le::<2>(extra, pos).ok_or(ZipError::Zip64("extra"))?;
        let len = le::<2>(extra, pos + 2).ok_or(ZipError::Zip64("extra"))? as usize;
        let body = extra
            .get(pos + 4..pos + 4 + len)
            .ok_or(ZipError::Zip64("extra field overruns"))?;
        if id == 1 {
            let mut at = 0usize;
            for v in vals.iter_mut() {
                if **v == 0xFFFF_FFFF {
                    **v = le::<8>(body, at).ok_or(ZipError::Zip64("extra field too short"))?;
                    at += 8;
                }
            }
            return Ok(());
        }
        pos += 4 + len;
    }
    if vals.iter().any(|v| **v == 0xFFFF_FFFF) {
        return Err(ZipError::Zip64("saturated size without zip64 extra field"));
    }
    Ok(())
}

impl<'a> ZipArchive<'a> {
    /// Parses the central directory of `bytes`, checking every entry against the file and
    /// refusing compressed or encrypted entries. At most `max_entries` entries are accepted.
    pub fn parse(bytes: &'a [u8], max_entries: u64) -> Result<Self, ZipError> {
        let n = bytes.len();
        let dir = read_directory(bytes)?;
        let cd = span("central directory", dir.offset, dir.size, n)?;
        let fits = (cd.len() / CENTRAL_LEN) as u64;
        if dir.count > max_entries || dir.count > fits {
            return Err(ZipError::TooManyEntries {
                count: dir.count,
                limit: max_entries.min(fits),
            });
        }
        let mut entries = BTreeMap::new();
        let mut pos = cd.start;
        for _ in 0..dir.count {
            let (name, entry, next) = Self::central_entry(bytes, pos, cd.end)?;
            if entries.insert(name.clone(), entry).is_some() {
                return Err(ZipError::Duplicate(name));
            }
            pos = next;
        }
        Ok(Self { bytes, entries })
    }

    fn central_entry(
        b: &[u8],
        pos: usize,
        cd_end: usize,
    ) -> Result<(String, Entry, usize), ZipError> {
        let n = b.len();
        let fixed = span(
            "central directory entry",
            pos as u64,
            CENTRAL_LEN as u64,
            cd_end,
        )?;
        let h = |o: usize, w: usize| {
            let at = fixed.start + o;
            if w == 2 {
                le::<2>(b, at)
            } else {
                le::<4>(b, at)
            }
            .unwrap_or(0)
        };
        if h(0, 4) != u64::from(CENTRAL_SIG) {
            return Err(ZipError::BadSignature {
                what: "central directory entry",
                offset: pos as u64,
            });
        }
        let (flags, method, crc) = (h(8, 2), h(10, 2) as u16, h(16, 4) as u32);
        let (mut csize, mut usize_, mut local) = (h(20, 4), h(24, 4), h(42, 4));
        let (name_len, extra_len, comment_len) = (h(28, 2), h(30, 2), h(32, 2));
        let var_len = name_len + extra_len + comment_len;
        let var = span("central directory entry", fixed.end as u64, var_len, cd_end)?;
        let name_bytes = &b[var.start..var.start + name_len as usize];
        let extra = &b[var.start + name_len as usize..var.start + (name_len + extra_len) as usize];
        let name = std::str::from_utf8(name_bytes)
            .map_err(|_| ZipError::BadName)?
            .to_owned();
        apply_zip64_extra(extra, &mut [&mut usize_, &mut csize, &mut local])?;
        if flags & 0x41 != 0 {
            return Err(ZipError::Encrypted { name });
        }
        if method != 0 {
            return Err(ZipError::Compressed { name, method });
        }
        if csize != usize_ {
            return Err(ZipError::SizeMismatch {
                name,
                compressed: csize,
                uncompressed: usize_,
            });
        }
        let lh = span(
            &format!("local header of {name:?}"),
            local,
            LOCAL_LEN as u64,
            n,
        )?;
        if le::<4>(b, lh.start) != Some(u64::from(LOCAL_SIG)) {
            return Err(ZipError::BadSignature {
                what: "local file header",
                offset: local,
            });
        }
        let lname = le::<2>(b, lh.start + 26).unwrap_or(0);
        let lextra = le::<2>(b, lh.start + 28).unwrap_or(0);
        let lmethod = le::<2>(b, lh.start + 8).unwrap_or(u64::MAX);
        let local_name = b.get(lh.end..lh.end + lname as usize);
        if local_name != Some(name_bytes) || lmethod != 0 {
            return Err(ZipError::LocalHeaderMismatch { name });
        }
        let data_start = lh.end as u64 + lname + lextra;
        let data = span(&format!("data of {name:?}"), data_start, csize, n)?;
        let entry = Entry {
            data_offset: data.start,
            len: data.len(),
            crc,
        };
        Ok((name, entry, var.end))
    }

    /// Names of all entries, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.keys().map(String::as_str)
    }

    /// Size in bytes of an entry, if present.
    pub fn len_of(&self, name: &str) -> Option<u64> {
        self.entries.get(name).map(|e| e.len as u64)
    }

    /// The bytes of an entry after verifying its CRC-32; `None` if there is no such entry.
    pub fn get(&self, name: &str) -> Option<Result<&'a [u8], ZipError>> {
        let e = self.entries.get(name)?;
        let data = self.bytes.get(e.data_offset..e.data_offset + e.len)?;
        if crc32(data) != e.crc {
            return Some(Err(ZipError::Crc {
                name: name.to_owned(),
            }));
        }
        Some(Ok(data))
    }
}

/// CRC-32 (IEEE 802.3, reflected), as used by zip.
pub fn crc32(data: &[u8]) -> u32 {
    static TABLE: std::sync::OnceLock<[u32; 256]> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let mut t = [0u32; 256];
        for (i, slot) in t.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *slot = c;
        }
        t
    });
    !data.iter().fold(!0u32, |c, &x| {
        table[((c ^ u32::from(x)) & 0xFF) as usize] ^ (c >> 8)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_known_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    #[test]
    fn empty_and_garbage_are_rejected() {
        assert_eq!(
            ZipArchive::parse(b"", 10).unwrap_err(),
            ZipError::NoEndOfCentralDirectory
        );
        assert_eq!(
            ZipArchive::parse(&[0u8; 100], 10).unwrap_err(),
            ZipError::NoEndOfCentralDirectory
        );
    }

    #[test]
    fn empty_archive_parses() {
        let mut eocd = vec![0x50, 0x4b, 0x05, 0x06];
        eocd.extend_from_slice(&[0u8; 18]);
        let z = ZipArchive::parse(&eocd, 10).unwrap();
        assert_eq!(z.names().count(), 0);
    }

    #[test]
    fn directory_outside_file_is_rejected() {
        let mut eocd = vec![0x50, 0x4b, 0x05, 0x06, 0, 0, 0, 0, 1, 0, 1, 0];
        eocd.extend_from_slice(&46u32.to_le_bytes());
        eocd.extend_from_slice(&1000u32.to_le_bytes());
        eocd.extend_from_slice(&[0, 0]);
        assert!(matches!(
            ZipArchive::parse(&eocd, 10).unwrap_err(),
            ZipError::OutOfBounds { .. }
        ));
    }
}
