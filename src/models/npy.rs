//! A small reader for NumPy `.npy` files holding little-endian f32 arrays in C order (what the golden
//! cases use). The header is parsed strictly and its size is bounded.

use std::path::Path;

use crate::models::weights::Tensor;

/// Largest header accepted, in bytes (NumPy writes 64–128 in practice).
const MAX_HEADER: usize = 64 * 1024;
/// Largest number of dimensions accepted.
const MAX_DIMS: usize = 8;
const MAGIC: &[u8] = b"\x93NUMPY";

/// Why an `.npy` file was refused.
#[derive(Debug, thiserror::Error)]
pub enum NpyError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("not an .npy file (bad magic)")]
    Magic,
    #[error("unsupported .npy version {0}.{1}")]
    Version(u8, u8),
    #[error("truncated .npy file")]
    Truncated,
    #[error(".npy header of {0} bytes exceeds the {MAX_HEADER}-byte limit")]
    HeaderTooLarge(usize),
    #[error("malformed .npy header: {0}")]
    Header(String),
    #[error("unsupported dtype {0:?} (only little-endian f32, '<f4')")]
    Dtype(String),
    #[error("Fortran-order arrays are not supported")]
    FortranOrder,
    #[error("data is {got} bytes, shape {shape:?} needs {want}")]
    DataSize {
        shape: Vec<usize>,
        want: usize,
        got: usize,
    },
}

/// Reads an `.npy` file into a [`Tensor`].
pub fn read(path: &Path) -> Result<Tensor, NpyError> {
    let bytes = std::fs::read(path).map_err(|source| NpyError::Io {
        path: path.display().to_string(),
        source,
    })?;
    parse(&bytes)
}

/// Parses the bytes of an `.npy` file.
pub fn parse(bytes: &[u8]) -> Result<Tensor, NpyError> {
    if bytes.len() < MAGIC.len() + 2 || &bytes[..MAGIC.len()] != MAGIC {
        return Err(if bytes.len() < 8 && MAGIC.starts_with(bytes) {
            NpyError::Truncated
        } else {
            NpyError::Magic
        });
    }
    let (major, minor) = (bytes[6], bytes[7]);
    let (len_size, start) = match major {
        1 => (2, 10),
        2 | 3 => (4, 12),
        _ => return Err(NpyError::Version(major, minor)),
    };
    if bytes.len() < start {
        return Err(NpyError::Truncated);
    }
    let header_len = if len_size == 2 {
        u16::from_le_bytes([bytes[8], bytes[9]]) as usize
    } else {
        u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize
    };
    if header_len > MAX_HEADER {
        return Err(NpyError::HeaderTooLarge(header_len));
    }
    let end = start + header_len;
    let header = bytes.get(start..end).ok_or(NpyError::Truncated)?;
    let header =
        std::str::from_utf8(header).map_err(|_| NpyError::Header("not ASCII/UTF-8".into()))?;
    let (descr, fortran, shape) = parse_header(header)?;
    if descr != "<f4" {
        return Err(NpyError::Dtype(descr));
    }
    if fortran {
        return Err(NpyError::FortranOrder);
    }
    let numel = shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| NpyError::Header("shape overflows".into()))?;
    let want = numel
        .checked_mul(4)
        .ok_or_else(|| NpyError::Header("shape overflows".into()))?;
    let data = &bytes[end..];
    if data.len() != want {
        return Err(NpyError::DataSize {
            shape,
            want,
            got: data.len(),
        });
    }
    let data = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Ok(Tensor { shape, data })
}

/// Parses the Python dict literal `{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }`.
fn parse_header(h: &str) -> Result<(String, bool, Vec<usize>), NpyError> {
    let bad = |m: &str| NpyError::Header(m.to_string());
    let body = h
        .trim_end_matches(['\n', ' ', '\0'])
        .strip_prefix('{')
        .and_then(|s| s.strip_suffix('}'))
        .ok_or_else(|| bad("not a dict literal"))?;
    let (mut descr, mut fortran, mut shape) = (None, None, None);
    let mut rest = body.trim_start();
    while !rest.is_empty() {
        let (key, after) = quoted(rest).ok_or_else(|| bad("expected a quoted key"))?;
        let after = after
            .trim_start()
            .strip_prefix(':')
            .ok_or_else(|| bad("expected ':'"))?
            .trim_start();
        rest = match key {
            "descr" => {
                let (v, r) = quoted(after).ok_or_else(|| bad("descr is not a string"))?;
                descr = Some(v.to_string());
                r
            }
            "fortran_order" => {
                if let Some(r) = after.strip_prefix("False") {
                    fortran = Some(false);
                    r
                } else if let Some(r) = after.strip_prefix("True") {
                    fortran = Some(true);
                    r
                } else {
                    return Err(bad("fortran_order is not a bool"));
                }
            }
            "shape" => {
                let inner = after
                    .strip_prefix('(')
                    .ok_or_else(|| bad("shape is not a tuple"))?;
                let close = inner.find(')').ok_or_else(|| bad("unclosed shape"))?;
                let mut dims = Vec::new();
                for part in inner[..close].split(',').map(str::trim) {
                    if part.is_empty() {
                        continue;
                    }
                    if dims.len() == MAX_DIMS {
                        return Err(bad("too many dimensions"));
                    }
                    dims.push(part.parse().map_err(|_| bad("bad dimension"))?);
                }
                shape = Some(dims);
                &inner[close + 1..]
            }
            other => return Err(NpyError::Header(format!("unknown key {other:?}"))),
        };
        rest = rest.trim_start();
        rest = rest.strip_prefix(',').unwrap_or(rest).trim_start();
    }
    match (descr, fortran, shape) {
        (Some(d), Some(f), Some(s)) => Ok((d, f, s)),
        _ => Err(bad("missing descr, fortran_order or shape")),
    }
}

/// Splits a leading `'...'` or `"..."` string off `s`.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let q = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let end = s[1..].find(q)? + 1;
    Some((&s[1..end], &s[end + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str, data: &[u8]) -> Vec<u8> {
        let mut h = header.to_string();
        while !(10 + h.len() + 1).is_multiple_of(64) {
            h.push(' ');
        }
        h.push('\n');
        let mut out = MAGIC.to_vec();
        out.extend([1, 0]);
        out.extend((h.len() as u16).to_le_bytes());
        out.extend(h.as_bytes());
        out.extend(data);
        out
    }

    fn floats(v: &[f32]) -> Vec<u8> {
        v.iter().flat_map(|f| f.to_le_bytes()).collect()
    }

    #[test]
    fn reads_f32_c_order() {
        let b = npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 3), }",
            &floats(&[1.0, 2.0, 3.0, 4.0, 5.0, -6.5]),
        );
        let t = parse(&b).unwrap();
        assert_eq!(t.shape, vec![1, 2, 3]);
        assert_eq!(t.data, vec![1.0, 2.0, 3.0, 4.0, 5.0, -6.5]);
    }

    #[test]
    fn reads_scalar_and_1d() {
        let t = parse(&npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
            &floats(&[7.0]),
        ))
        .unwrap();
        assert_eq!((t.shape.len(), t.data), (0, vec![7.0]));
        let t = parse(&npy(
            "{'shape': (2,), 'fortran_order': False, 'descr': '<f4'}",
            &floats(&[1.0, 2.0]),
        ))
        .unwrap();
        assert_eq!(t.shape, vec![2]);
    }

    #[test]
    fn rejects_malformed() {
        let ok_hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
        let data = floats(&[1.0, 2.0]);
        assert!(matches!(parse(b"hello world"), Err(NpyError::Magic)));
        assert!(matches!(parse(b"\x93NUM"), Err(NpyError::Truncated)));
        let mut b = npy(ok_hdr, &data);
        b[6] = 9;
        assert!(matches!(parse(&b), Err(NpyError::Version(9, 0))));
        let b = npy(ok_hdr, &data);
        assert!(matches!(parse(&b[..40]), Err(NpyError::Truncated)));
        assert!(matches!(
            parse(&b[..b.len() - 1]),
            Err(NpyError::DataSize { .. })
        ));
        let cases = [
            ("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", "dtype"),
            ("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "dtype"),
            ("{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", "fortran"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (x,), }", "header"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2, }", "header"),
            ("{'descr': '<f4', 'shape': (2,), }", "header"),
            ("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2,), }", "header"),
            ("'descr': '<f4'", "header"),
            ("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", "header"),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,2), }",
                "header",
            ),
            (
                "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 99999999999, 99999999999), }",
                "header",
            ),
        ];
        for (h, kind) in cases {
            let e = parse(&npy(h, &data)).unwrap_err();
            let got = match e {
                NpyError::Dtype(_) => "dtype",
                NpyError::FortranOrder => "fortran",
                NpyError::Header(_) => "header",
                ref other => panic!("{h}: unexpected {other}"),
            };
            assert_eq!(got, kind, "{h}: {e}");
        }
    }

    #[test]
    fn rejects_huge_header_length() {
        let mut b = MAGIC.to_vec();
        b.extend([2, 0]);
        b.extend(u32::MAX.to_le_bytes());
        assert!(matches!(parse(&b), Err(NpyError::HeaderTooLarge(_))));
    }
}
