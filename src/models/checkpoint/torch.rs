//! `torch.save` zip archives: locate `<name>/data.pkl`, unpickle it with the restricted reader,
//! pick the state_dict (`params_ema`, else `params`, else the bare dict) and materialise every
//! tensor view from its `<name>/data/<key>` storage, checking sizes, offsets and strides.

use super::dtype::{decode_all, element};
use super::error::{ErrorKind, TorchError};
use super::keys::strip_prefix;
use super::pickle::unpickle;
use super::value::{TensorRef, Value};
use super::zip::ZipArchive;
use super::Limits;
use crate::models::weights::{StateDict, Tensor};

/// Reads a torch zip archive held in `bytes` into a state_dict.
pub fn read(bytes: &[u8], limits: &Limits) -> Result<StateDict, ErrorKind> {
    let zip = ZipArchive::parse(bytes, limits.max_zip_entries)?;
    let pkls: Vec<&str> = zip
        .names()
        .filter(|n| n.ends_with("/data.pkl") && n.matches('/').count() == 1)
        .collect();
    let [pkl_name] = pkls.as_slice() else {
        return Err(TorchError::DataPkl(pkls.len()).into());
    };
    let prefix = pkl_name.trim_end_matches("data.pkl").to_owned();
    if let Some(order) = zip.get(&format!("{prefix}byteorder")) {
        let order = order?;
        if order != b"little" {
            return Err(TorchError::ByteOrder(String::from_utf8_lossy(order).into_owned()).into());
        }
    }
    let pkl_len = zip.len_of(pkl_name).unwrap_or(0);
    if pkl_len > limits.max_pickle_bytes {
        return Err(ErrorKind::TooLarge {
            what: (*pkl_name).to_owned(),
            size: pkl_len,
            limit: limits.max_pickle_bytes,
        });
    }
    let pkl = zip.get(pkl_name).ok_or(TorchError::DataPkl(0))??;
    let root = unpickle(pkl)?;
    let dict = select_state_dict(&root)?;
    let mut out = StateDict::new();
    let mut total: u64 = 0;
    for (k, v) in dict {
        let Value::Str(key) = k else {
            return Err(TorchError::NotStateDict(format!("a key is a {}", k.kind())).into());
        };
        let Value::Tensor(t) = v else {
            let msg = format!("{key:?} is a {}, not a tensor", v.kind());
            return Err(TorchError::NotStateDict(msg).into());
        };
        let tensor = materialise(&zip, &prefix, key, t, limits, &mut total)?;
        let name = strip_prefix(key).to_owned();
        if out.insert(name.clone(), tensor).is_some() {
            return Err(TorchError::DuplicateKey(name).into());
        }
    }
    Ok(out)
}

/// The dict holding the tensors: `params_ema`, else `params`, else the root itself.
fn select_state_dict(root: &Value) -> Result<&[(Value, Value)], TorchError> {
    let Value::Dict(top) = root else {
        return Err(TorchError::NotStateDict(format!(
            "the pickled object is a {}, not a dict",
            root.kind()
        )));
    };
    for wrapper in ["params_ema", "params"] {
        match root.get(wrapper) {
            Some(Value::Dict(d)) => return Ok(&d.items),
            Some(other) => {
                return Err(TorchError::NotStateDict(format!(
                    "{wrapper:?} is a {}, not a dict",
                    other.kind()
                )))
            }
            None => {}
        }
    }
    Ok(&top.items)
}

/// Reads one tensor view, checking it against its storage entry and the size budget.
fn materialise(
    zip: &ZipArchive<'_>,
    prefix: &str,
    name: &str,
    t: &TensorRef,
    limits: &Limits,
    total: &mut u64,
) -> Result<Tensor, ErrorKind> {
    let s = &t.storage;
    let entry = format!("{prefix}data/{}", s.key);
    let bad_layout = || TorchError::BadLayout(name.to_owned());
    let declared = s.numel.checked_mul(s.dtype.size()).ok_or_else(bad_layout)?;
    let actual = zip
        .len_of(&entry)
        .ok_or_else(|| TorchError::MissingStorage(entry.clone()))?;
    if declared != actual {
        return Err(TorchError::StorageSize {
            key: s.key.clone(),
            declared,
            actual,
        }
        .into());
    }
    let count = t
        .shape
        .iter()
        .try_fold(1u64, |a, &d| a.checked_mul(d))
        .ok_or_else(bad_layout)?;
    let out_bytes = count.checked_mul(4).ok_or_else(bad_layout)?;
    *total = total.saturating_add(out_bytes);
    if *total > limits.max_total_bytes {
        return Err(ErrorKind::TooLarge {
            what: format!("tensors up to {name:?}"),
            size: *total,
            limit: limits.max_total_bytes,
        });
    }
    // One past the largest element index the view addresses.
    let mut end = t.offset.checked_add(1).ok_or_else(bad_layout)?;
    for (&d, &st) in t.shape.iter().zip(&t.stride) {
        let reach = d.saturating_sub(1).checked_mul(st).ok_or_else(bad_layout)?;
        end = end.checked_add(reach).ok_or_else(bad_layout)?;
    }
    if count > 0 && end > s.numel {
        return Err(TorchError::ViewOutOfBounds {
            name: name.to_owned(),
            needed: end,
            numel: s.numel,
        }
        .into());
    }
    if count > s.numel {
        return Err(TorchError::OverlappingView {
            name: name.to_owned(),
            count,
            numel: s.numel,
        }
        .into());
    }
    let shape: Vec<usize> = t.shape.iter().map(|&d| d as usize).collect();
    if count == 0 {
        return Ok(Tensor {
            shape,
            data: Vec::new(),
        });
    }
    let bytes = zip
        .get(&entry)
        .ok_or_else(|| TorchError::MissingStorage(entry.clone()))??;
    let data = if is_contiguous(&t.shape, &t.stride) {
        let esz = s.dtype.size() as usize;
        let start = t.offset as usize * esz;
        let run = bytes
            .get(start..start + count as usize * esz)
            .ok_or_else(bad_layout)?;
        decode_all(s.dtype, run)
    } else {
        gather(t, bytes, count as usize).ok_or_else(bad_layout)?
    };
    Ok(Tensor { shape, data })
}

/// True when `stride` is the row-major stride of `shape` (size-1 dimensions are free).
fn is_contiguous(shape: &[u64], stride: &[u64]) -> bool {
    let mut expected = 1u64;
    for (&d, &s) in shape.iter().zip(stride).rev() {
        if d != 1 && s != expected {
            return false;
        }
        expected = expected.saturating_mul(d);
    }
    true
}

/// Copies a strided view element by element in row-major order.
fn gather(t: &TensorRef, bytes: &[u8], count: usize) -> Option<Vec<f32>> {
    let rank = t.shape.len();
    let mut index = vec![0u64; rank];
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let at = t.offset + index.iter().zip(&t.stride).map(|(i, s)| i * s).sum::<u64>();
        out.push(element(t.storage.dtype, bytes, usize::try_from(at).ok()?)?);
        for d in (0..rank).rev() {
            let (i, n) = (index.get_mut(d)?, *t.shape.get(d)?);
            *i += 1;
            if *i < n {
                break;
            }
            *i = 0;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::checkpoint::value::{DType, StorageRef};

    #[test]
    fn contiguity() {
        assert!(is_contiguous(&[2, 3], &[3, 1]));
        assert!(is_contiguous(&[1, 192, 1, 1], &[192, 1, 1, 1]));
        assert!(is_contiguous(&[1, 3], &[999, 1]));
        assert!(!is_contiguous(&[2, 3], &[1, 2]));
    }

    #[test]
    fn gather_transposed_view() {
        // Storage [0,1,2,3,4,5] viewed as the transpose of a 2x3 matrix.
        let bytes: Vec<u8> = (0..6).flat_map(|i| (i as f32).to_le_bytes()).collect();
        let t = TensorRef {
            storage: StorageRef {
                dtype: DType::F32,
                key: "0".into(),
                numel: 6,
            },
            offset: 0,
            shape: vec![3, 2],
            stride: vec![1, 3],
        };
        assert_eq!(
            gather(&t, &bytes, 6).unwrap(),
            vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
        );
    }
}
