//! A restricted pickle reader: it interprets only the opcodes `torch.save` uses for a
//! state_dict, resolves only the globals in [`Global::lookup`], and never imports or calls
//! anything. Everything else is refused with a [`PickleError`] naming the opcode or global.

use std::collections::HashMap;

use super::error::PickleError;
use super::rebuild::{opcode_name, persistent, reduce};
use super::value::{dict_insert, empty_dict, empty_seq, seq, seq_extend, Global, Value};

/// Most nodes that memo writes and reads may copy in total, each 16 bytes of text counting as one
/// more (bounds "billion laughs" inputs, and repeated reads of one long string).
const MAX_COPIED_NODES: u64 = 1 << 22;
/// Most opcodes one pickle may execute (each pushes at most one value, so this bounds memory).
const MAX_OPS: u64 = 1 << 23;
/// Longest module or name line of a GLOBAL opcode.
const MAX_GLOBAL_LINE: usize = 256;

/// Runs the pickle in `data` and returns the object it builds.
pub fn unpickle(data: &[u8]) -> Result<Value, PickleError> {
    Vm {
        data,
        pos: 0,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        copied: 0,
        ops: 0,
    }
    .run()
}

struct Vm<'a> {
    data: &'a [u8],
    pos: usize,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u32, Value>,
    copied: u64,
    ops: u64,
}

pub(super) fn type_err(offset: usize, message: impl Into<String>) -> PickleError {
    PickleError::Type {
        offset,
        message: message.into(),
    }
}

impl Vm<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], PickleError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(PickleError::Truncated(self.pos))?;
        let s = self
            .data
            .get(self.pos..end)
            .ok_or(PickleError::Truncated(self.pos))?;
        self.pos = end;
        Ok(s)
    }

    fn uint(&mut self, n: usize) -> Result<u64, PickleError> {
        let b = self.take(n)?;
        Ok(b.iter().rev().fold(0u64, |a, &x| (a << 8) | u64::from(x)))
    }

    fn line(&mut self) -> Result<String, PickleError> {
        let start = self.pos;
        let rest = self.data.get(start..).unwrap_or_default();
        let len = rest
            .iter()
            .take(MAX_GLOBAL_LINE)
            .position(|&c| c == b'\n')
            .ok_or(PickleError::Truncated(start))?;
        let s = self.take(len)?;
        let s = std::str::from_utf8(s)
            .map_err(|_| PickleError::Utf8(start))?
            .to_owned();
        self.take(1)?;
        Ok(s)
    }

    fn string(&mut self, n: usize) -> Result<Value, PickleError> {
        let at = self.pos;
        let b = self.take(n)?;
        let s = std::str::from_utf8(b).map_err(|_| PickleError::Utf8(at))?;
        Ok(Value::Str(s.to_owned()))
    }

    fn pop(&mut self, at: usize) -> Result<Value, PickleError> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(PickleError::StackUnderflow(at));
        }
        self.stack.pop().ok_or(PickleError::StackUnderflow(at))
    }

    fn pop_mark(&mut self, at: usize) -> Result<Vec<Value>, PickleError> {
        let mark = self.marks.pop().ok_or(PickleError::StackUnderflow(at))?;
        Ok(self.stack.split_off(mark.min(self.stack.len())))
    }

    fn tuple(&mut self, items: Vec<Value>) -> Result<(), PickleError> {
        let s = seq(items).ok_or(PickleError::Bounds("nesting depth"))?;
        self.stack.push(Value::Tuple(s));
        Ok(())
    }

    fn put(&mut self, index: u32, at: usize) -> Result<(), PickleError> {
        let top = self.stack.last().ok_or(PickleError::StackUnderflow(at))?;
        self.copied = self.copied.saturating_add(top.nodes());
        if self.copied > MAX_COPIED_NODES {
            return Err(PickleError::Bounds("memo copying"));
        }
        let v = top.clone();
        self.memo.insert(index, v);
        Ok(())
    }

    fn get(&mut self, index: u32, at: usize) -> Result<(), PickleError> {
        let v = self
            .memo
            .get(&index)
            .ok_or(PickleError::BadMemo { index, offset: at })?;
        self.copied = self.copied.saturating_add(v.nodes());
        if self.copied > MAX_COPIED_NODES {
            return Err(PickleError::Bounds("memo copying"));
        }
        let v = v.clone();
        self.stack.push(v);
        Ok(())
    }

    fn set_items(&mut self, pairs: Vec<Value>, at: usize) -> Result<(), PickleError> {
        if !pairs.len().is_multiple_of(2) {
            return Err(type_err(at, "odd number of items for SETITEMS"));
        }
        let Some(Value::Dict(d)) = self.stack.last_mut() else {
            return Err(type_err(at, "SETITEM(S) target is not a dict"));
        };
        let mut it = pairs.into_iter();
        while let (Some(k), Some(v)) = (it.next(), it.next()) {
            if !dict_insert(d, k, v) {
                return Err(PickleError::Bounds("nesting depth"));
            }
        }
        Ok(())
    }

    fn append(&mut self, items: Vec<Value>, at: usize) -> Result<(), PickleError> {
        let Some(Value::List(l)) = self.stack.last_mut() else {
            return Err(type_err(at, "APPEND(S) target is not a list"));
        };
        if !seq_extend(l, items) {
            return Err(PickleError::Bounds("nesting depth"));
        }
        Ok(())
    }

    fn run(mut self) -> Result<Value, PickleError> {
        loop {
            let at = self.pos;
            self.ops += 1;
            if self.ops > MAX_OPS {
                return Err(PickleError::Bounds("opcode count"));
            }
            let op = *self.take(1)?.first().ok_or(PickleError::Truncated(at))?;
            match op {
                0x80 => {
                    let v = self.uint(1)? as u8;
                    if !(2..=5).contains(&v) {
                        return Err(PickleError::Protocol(v));
                    }
                }
                0x95 => {
                    self.take(8)?;
                }
                b'.' => {
                    if self.stack.len() != 1 || !self.marks.is_empty() {
                        return Err(PickleError::BadStop(self.stack.len()));
                    }
                    return self.pop(at);
                }
                b'(' => self.marks.push(self.stack.len()),
                b'0' => {
                    self.pop(at)?;
                }
                b'}' => self.stack.push(Value::Dict(empty_dict())),
                b']' => self.stack.push(Value::List(empty_seq())),
                b')' => self.tuple(Vec::new())?,
                b't' => {
                    let items = self.pop_mark(at)?;
                    self.tuple(items)?;
                }
                0x85..=0x87 => {
                    let n = usize::from(op - 0x84);
                    let mut items = Vec::with_capacity(n);
                    for _ in 0..n {
                        items.push(self.pop(at)?);
                    }
                    items.reverse();
                    self.tuple(items)?;
                }
                b'X' => {
                    let n = self.uint(4)? as usize;
                    let s = self.string(n)?;
                    self.stack.push(s);
                }
                0x8c => {
                    let n = self.uint(1)? as usize;
                    let s = self.string(n)?;
                    self.stack.push(s);
                }
                b'J' => {
                    let v = self.uint(4)? as u32 as i32;
                    self.stack.push(Value::Int(i64::from(v)));
                }
                b'K' => {
                    let v = self.uint(1)?;
                    self.stack.push(Value::Int(v as i64));
                }
                b'M' => {
                    let v = self.uint(2)?;
                    self.stack.push(Value::Int(v as i64));
                }
                0x8a => {
                    let n = self.uint(1)? as usize;
                    if n > 8 {
                        return Err(PickleError::Bounds("LONG1 integer width"));
                    }
                    let raw = self.uint(n)?;
                    let shift = 64 - 8 * n as u32;
                    let v = if n == 0 {
                        0
                    } else {
                        ((raw << shift) as i64) >> shift
                    };
                    self.stack.push(Value::Int(v));
                }
                b'N' => self.stack.push(Value::None),
                0x88 => self.stack.push(Value::Bool(true)),
                0x89 => self.stack.push(Value::Bool(false)),
                b'q' => {
                    let i = self.uint(1)? as u32;
                    self.put(i, at)?;
                }
                b'r' => {
                    let i = self.uint(4)? as u32;
                    self.put(i, at)?;
                }
                0x94 => {
                    let i =
                        u32::try_from(self.memo.len()).map_err(|_| PickleError::Bounds("memo"))?;
                    self.put(i, at)?;
                }
                b'h' => {
                    let i = self.uint(1)? as u32;
                    self.get(i, at)?;
                }
                b'j' => {
                    let i = self.uint(4)? as u32;
                    self.get(i, at)?;
                }
                b'c' => {
                    let module = self.line()?;
                    let name = self.line()?;
                    self.global(module, name)?;
                }
                0x93 => {
                    let name = self.pop(at)?;
                    let module = self.pop(at)?;
                    match (module, name) {
                        (Value::Str(m), Value::Str(n)) => self.global(m, n)?,
                        _ => return Err(type_err(at, "STACK_GLOBAL needs two strings")),
                    }
                }
                b'R' => {
                    let args = self.pop(at)?;
                    let func = self.pop(at)?;
                    let v = reduce(func, args, at)?;
                    self.stack.push(v);
                }
                b'b' => {
                    let _state = self.pop(at)?;
                    if !matches!(self.stack.last(), Some(Value::Dict(_))) {
                        return Err(type_err(at, "BUILD is only accepted on an OrderedDict"));
                    }
                }
                b'Q' => {
                    let pid = self.pop(at)?;
                    let v = persistent(pid, at)?;
                    self.stack.push(v);
                }
                b's' => {
                    let v = self.pop(at)?;
                    let k = self.pop(at)?;
                    self.set_items(vec![k, v], at)?;
                }
                b'u' => {
                    let items = self.pop_mark(at)?;
                    self.set_items(items, at)?;
                }
                b'a' => {
                    let v = self.pop(at)?;
                    self.append(vec![v], at)?;
                }
                b'e' => {
                    let items = self.pop_mark(at)?;
                    self.append(items, at)?;
                }
                _ => {
                    return Err(PickleError::UnsupportedOpcode {
                        opcode: op,
                        name: opcode_name(op),
                        offset: at,
                    })
                }
            }
        }
    }

    fn global(&mut self, module: String, name: String) -> Result<(), PickleError> {
        match Global::lookup(&module, &name) {
            Some(g) => {
                self.stack.push(Value::Global(g));
                Ok(())
            }
            None => Err(PickleError::ForbiddenGlobal { module, name }),
        }
    }
}

#[cfg(test)]
#[path = "pickle_tests.rs"]
mod tests;
