//! The torch-specific parts of the pickle reader: the allowed callables (`REDUCE`), the
//! storage persistent ids (`BINPERSID`) and opcode names for error messages.

use super::error::PickleError;
use super::pickle::type_err;
use super::value::{empty_dict, Global, StorageRef, TensorRef, Value};

/// Most dimensions of a tensor.
const MAX_DIMS: usize = 16;

fn ints(v: &Value, at: usize, what: &str) -> Result<Vec<u64>, PickleError> {
    let Value::Tuple(t) = v else {
        return Err(type_err(
            at,
            format!("{what} is a {}, not a tuple", v.kind()),
        ));
    };
    if t.items.len() > MAX_DIMS {
        return Err(PickleError::Bounds("tensor rank"));
    }
    t.items
        .iter()
        .map(|x| match x {
            Value::Int(i) if *i >= 0 => Ok(*i as u64),
            _ => Err(type_err(at, format!("{what} holds a non-negative int"))),
        })
        .collect()
}

/// Applies an allowed callable. Only tensor rebuilding and empty OrderedDicts are accepted.
pub(super) fn reduce(func: Value, args: Value, at: usize) -> Result<Value, PickleError> {
    let Value::Global(g) = func else {
        return Err(type_err(at, format!("REDUCE on a {}", func.kind())));
    };
    let Value::Tuple(args) = args else {
        return Err(type_err(at, "REDUCE arguments are not a tuple"));
    };
    let a = args.items.as_slice();
    match (g, a) {
        (Global::OrderedDict, []) => Ok(Value::Dict(empty_dict())),
        (
            Global::RebuildTensorV2,
            [Value::Storage(s), Value::Int(off), shape, stride, _, _, ..],
        ) if a.len() <= 7 && *off >= 0 => {
            let shape = ints(shape, at, "tensor shape")?;
            let stride = ints(stride, at, "tensor stride")?;
            if shape.len() != stride.len() {
                return Err(type_err(at, "shape and stride lengths differ"));
            }
            Ok(Value::Tensor(TensorRef {
                storage: s.clone(),
                offset: *off as u64,
                shape,
                stride,
            }))
        }
        (Global::RebuildParameter, [t @ Value::Tensor(_), _, _]) => Ok(t.clone()),
        _ => Err(type_err(
            at,
            format!("unsupported call of {g:?} with {} arguments", a.len()),
        )),
    }
}

/// Resolves a persistent id `('storage', <storage type>, key, location, numel)`.
pub(super) fn persistent(pid: Value, at: usize) -> Result<Value, PickleError> {
    let Value::Tuple(t) = pid else {
        return Err(type_err(at, "persistent id is not a tuple"));
    };
    match t.items.as_slice() {
        [Value::Str(tag), Value::Global(Global::Storage(dtype)), Value::Str(key), Value::Str(_), Value::Int(n)]
            if tag == "storage"
                && *n >= 0
                && !key.is_empty()
                && key.len() <= 64
                && key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') =>
        {
            Ok(Value::Storage(StorageRef {
                dtype: *dtype,
                key: key.clone(),
                numel: *n as u64,
            }))
        }
        _ => Err(type_err(
            at,
            "persistent id is not ('storage', type, key, location, numel)",
        )),
    }
}

/// The pickletools name of an opcode, for error messages.
pub(super) fn opcode_name(op: u8) -> &'static str {
    match op {
        b'I' => "INT",
        b'L' => "LONG",
        b'F' => "FLOAT",
        b'G' => "BINFLOAT",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'V' => "UNICODE",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        b'P' => "PERSID",
        b'i' => "INST",
        b'o' => "OBJ",
        b'd' => "DICT",
        b'l' => "LIST",
        b'p' => "PUT",
        b'g' => "GET",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        0x81 => "NEWOBJ",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x8b => "LONG4",
        0x8d => "BINUNICODE8",
        0x8e => "BINBYTES8",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x92 => "NEWOBJ_EX",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => "unknown",
    }
}
