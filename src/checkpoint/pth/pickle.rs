//! Data-only pickle interpreter: a stack machine that turns a pickle byte stream into an
//! object graph held in an arena.
//!
//! Owns the opcode set (binary protocols 2–5 as `torch.save` writes them), the stack, MARK and
//! memo semantics, and dict/list/set mutation. It never executes anything: `GLOBAL` yields a
//! [`Obj::Global`] naming the callable, `REDUCE`/`NEWOBJ` record a [`Obj::Call`], and `BUILD`
//! is ignored. The one call it evaluates is `collections.OrderedDict(...)`, into a
//! [`Obj::Dict`], because later `SETITEMS` fill it. Must not know what a tensor or a storage
//! is (that is `torch.rs`) nor where the bytes came from.
//!
//! Every object is created by one opcode, so the arena, stack and memo grow at most linearly
//! with the input; no length read from the stream is trusted beyond the bytes that remain.
//! The opcode values are in `pickle/op.rs`, the bounded reads of the stream in
//! `pickle/input.rs`; the dispatch here goes by opcode group.

use std::collections::HashMap;

use super::object::{NONE, Obj, ObjId, Pickle};
use input::Input;

mod input;
mod op;

/// Why a pickle stream could not be interpreted. Every message is one line.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PickleError {
    #[error("pickle opcode 0x{opcode:02x} at byte {offset} is not supported")]
    Unsupported { opcode: u8, offset: usize },
    #[error("pickle is truncated: {what} at byte {offset} runs past the end of the data")]
    Truncated { what: &'static str, offset: usize },
    #[error("pickle is malformed at byte {offset}: {detail}")]
    Malformed { offset: usize, detail: String },
}

/// Interpret the pickle starting at `data[start..]` up to its `STOP`.
pub fn unpickle(data: &[u8], start: usize) -> Result<Pickle, PickleError> {
    let vm = Vm {
        input: Input { data, pos: start },
        objs: Vec::new(),
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        at: start,
    };
    vm.run()
}

struct Vm<'a> {
    input: Input<'a>,
    objs: Vec<Obj>,
    stack: Vec<ObjId>,
    /// Stack heights at each open MARK.
    marks: Vec<usize>,
    memo: HashMap<u32, ObjId>,
    /// Offset of the opcode being executed, for errors.
    at: usize,
}

impl Vm<'_> {
    fn malformed(&self, detail: impl Into<String>) -> PickleError {
        PickleError::Malformed {
            offset: self.at,
            detail: detail.into(),
        }
    }

    fn new_obj(&mut self, obj: Obj) -> ObjId {
        self.objs.push(obj);
        self.objs.len() - 1
    }

    fn push(&mut self, obj: Obj) {
        let id = self.new_obj(obj);
        self.stack.push(id);
    }

    /// Lowest stack height the current MARK frame may pop down to.
    fn floor(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Result<ObjId, PickleError> {
        if self.stack.len() <= self.floor() {
            return Err(self.malformed("stack underflow"));
        }
        self.stack
            .pop()
            .ok_or_else(|| self.malformed("stack underflow"))
    }

    fn top(&self) -> Result<ObjId, PickleError> {
        match self.stack.last() {
            Some(&id) if self.stack.len() > self.floor() => Ok(id),
            _ => Err(self.malformed("stack underflow")),
        }
    }

    /// Items pushed since the last MARK, removing the mark.
    fn pop_mark(&mut self) -> Result<Vec<ObjId>, PickleError> {
        let mark = self
            .marks
            .pop()
            .ok_or_else(|| self.malformed("no MARK to pop"))?;
        if mark > self.stack.len() {
            return Err(self.malformed("MARK above the stack"));
        }
        Ok(self.stack.split_off(mark))
    }

    fn put(&mut self, index: u32) -> Result<(), PickleError> {
        let top = self.top()?;
        self.memo.insert(index, top);
        Ok(())
    }

    fn get(&mut self, index: u32) -> Result<(), PickleError> {
        let id = *self
            .memo
            .get(&index)
            .ok_or_else(|| self.malformed(format!("memo entry {index} is not set")))?;
        self.stack.push(id);
        Ok(())
    }

    fn string(&mut self, len: usize) -> Result<(), PickleError> {
        let bytes = self.input.take(len, "string")?;
        let text =
            std::str::from_utf8(bytes).map_err(|_| self.malformed("string is not valid UTF-8"))?;
        self.push(Obj::Str(text.to_owned()));
        Ok(())
    }

    fn bytes(&mut self, len: usize) -> Result<(), PickleError> {
        let bytes = self.input.take(len, "bytes")?.to_vec();
        self.push(Obj::Bytes(bytes));
        Ok(())
    }

    /// Python 2 `str` (`BINSTRING`): text when it is UTF-8, bytes otherwise.
    fn py2_string(&mut self, len: usize) -> Result<(), PickleError> {
        let bytes = self.input.take(len, "string")?;
        match std::str::from_utf8(bytes) {
            Ok(text) => self.push(Obj::Str(text.to_owned())),
            Err(_) => self.push(Obj::Bytes(bytes.to_vec())),
        }
        Ok(())
    }

    fn long(&mut self, len: usize) -> Result<(), PickleError> {
        let bytes = self.input.take(len, "long")?;
        self.push(int_from_le(bytes));
        Ok(())
    }

    fn tuple(&mut self, n: usize) -> Result<(), PickleError> {
        let mut items = Vec::with_capacity(n);
        for _ in 0..n {
            items.push(self.pop()?);
        }
        items.reverse();
        self.push(Obj::Tuple(items));
        Ok(())
    }

    fn global(&mut self, module: String, name: String) {
        self.push(Obj::Global { module, name });
    }

    fn reduce(&mut self, callable: ObjId, args: ObjId) {
        let is_ordered_dict = matches!(
            self.objs.get(callable),
            Some(Obj::Global { module, name }) if module == "collections" && name == "OrderedDict"
        );
        let no_args = matches!(self.objs.get(args), Some(Obj::Tuple(a)) if a.is_empty());
        if is_ordered_dict && no_args {
            self.push(Obj::Dict(Vec::new()));
        } else {
            self.push(Obj::Call { callable, args });
        }
    }

    fn set_items(&mut self, items: Vec<ObjId>) -> Result<(), PickleError> {
        if !items.len().is_multiple_of(2) {
            return Err(self.malformed("SETITEMS with an odd number of items"));
        }
        let target = self.top()?;
        let pairs = items.chunks_exact(2).map(|kv| (kv[0], kv[1]));
        match self.objs.get_mut(target) {
            Some(Obj::Dict(entries)) => entries.extend(pairs),
            // An opaque object's own __setitem__ is not run; its items are not data we read.
            Some(Obj::Call { .. }) => {}
            other => {
                let kind = other.map_or("nothing", |o| o.kind());
                return Err(self.malformed(format!("SETITEM on a {kind}")));
            }
        }
        Ok(())
    }

    fn append_items(&mut self, items: Vec<ObjId>) -> Result<(), PickleError> {
        let target = self.top()?;
        match self.objs.get_mut(target) {
            Some(Obj::List(list)) => list.extend(items),
            Some(Obj::Call { .. }) => {}
            other => {
                let kind = other.map_or("nothing", |o| o.kind());
                return Err(self.malformed(format!("APPEND on a {kind}")));
            }
        }
        Ok(())
    }

    fn add_items(&mut self, items: Vec<ObjId>) -> Result<(), PickleError> {
        let target = self.top()?;
        match self.objs.get_mut(target) {
            Some(Obj::Set(set)) => set.extend(items),
            other => {
                let kind = other.map_or("nothing", |o| o.kind());
                return Err(self.malformed(format!("ADDITEMS on a {kind}")));
            }
        }
        Ok(())
    }

    fn text(&self, bytes: &[u8], what: &str) -> Result<String, PickleError> {
        std::str::from_utf8(bytes)
            .map(str::to_owned)
            .map_err(|_| self.malformed(format!("{what} is not valid UTF-8")))
    }

    fn run(mut self) -> Result<Pickle, PickleError> {
        loop {
            self.at = self.input.pos;
            let code = self.input.u8("opcode")?;
            if code == op::STOP {
                let root = self.pop()?;
                return Ok(Pickle::new(self.objs, root, self.input.pos));
            }
            // One match picks the opcode's group (its handler then matches the opcode
            // itself): opcodes are dispatched once, not tried group after group.
            let known = match code {
                op::PROTO | op::FRAME | op::MARK | op::POP | op::POP_MARK | op::DUP => {
                    self.stack_op(code)?
                }
                op::NONE
                | op::NEWTRUE
                | op::NEWFALSE
                | op::BININT1
                | op::BININT2
                | op::BININT
                | op::LONG1
                | op::LONG4
                | op::BINFLOAT => self.scalar_op(code)?,
                op::BINUNICODE
                | op::SHORT_BINUNICODE
                | op::BINUNICODE8
                | op::BINBYTES
                | op::SHORT_BINBYTES
                | op::BINBYTES8
                | op::BINSTRING
                | op::SHORT_BINSTRING => self.text_op(code)?,
                op::EMPTY_DICT
                | op::EMPTY_LIST
                | op::EMPTY_TUPLE
                | op::EMPTY_SET
                | op::TUPLE
                | op::TUPLE1
                | op::TUPLE2
                | op::TUPLE3
                | op::LIST
                | op::DICT
                | op::FROZENSET => self.container_op(code)?,
                op::SETITEM | op::SETITEMS | op::APPEND | op::APPENDS | op::ADDITEMS => {
                    self.fill_op(code)?
                }
                op::BINPUT | op::LONG_BINPUT | op::MEMOIZE | op::BINGET | op::LONG_BINGET => {
                    self.memo_op(code)?
                }
                op::GLOBAL
                | op::STACK_GLOBAL
                | op::REDUCE
                | op::NEWOBJ
                | op::NEWOBJ_EX
                | op::BINPERSID
                | op::PERSID
                | op::BUILD => self.object_op(code)?,
                _ => false,
            };
            if !known {
                return Err(PickleError::Unsupported {
                    opcode: code,
                    offset: self.at,
                });
            }
        }
    }

    /// Framing and the stack: `PROTO`, `FRAME`, `MARK`, `POP`, `POP_MARK`, `DUP`.
    /// `Ok(false)` for an opcode of another group.
    fn stack_op(&mut self, code: u8) -> Result<bool, PickleError> {
        match code {
            op::PROTO => {
                let proto = self.input.u8("PROTO")?;
                if proto > 5 {
                    return Err(self.malformed(format!("protocol {proto} is not supported")));
                }
            }
            op::FRAME => {
                self.input.take(8, "FRAME")?;
            }
            op::MARK => self.marks.push(self.stack.len()),
            op::POP => {
                if self.stack.len() > self.floor() {
                    self.pop()?;
                } else {
                    self.pop_mark()?;
                }
            }
            op::POP_MARK => {
                self.pop_mark()?;
            }
            op::DUP => {
                let top = self.top()?;
                self.stack.push(top);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Scalars: `None`, booleans, integers and floats.
    /// `Ok(false)` for an opcode of another group.
    fn scalar_op(&mut self, code: u8) -> Result<bool, PickleError> {
        match code {
            op::NONE => self.push(Obj::None),
            op::NEWTRUE => self.push(Obj::Bool(true)),
            op::NEWFALSE => self.push(Obj::Bool(false)),
            op::BININT1 => {
                let v = self.input.u8("BININT1")?;
                self.push(Obj::Int(i64::from(v)));
            }
            op::BININT2 => {
                let v = u16::from_le_bytes(self.input.array("BININT2")?);
                self.push(Obj::Int(i64::from(v)));
            }
            op::BININT => {
                let v = i32::from_le_bytes(self.input.array("BININT")?);
                self.push(Obj::Int(i64::from(v)));
            }
            op::LONG1 => {
                let n = self.input.u8("LONG1")?;
                self.long(usize::from(n))?;
            }
            op::LONG4 => {
                let n = self.input.u32("LONG4")?;
                self.long(n as usize)?;
            }
            op::BINFLOAT => {
                let v = f64::from_be_bytes(self.input.array("BINFLOAT")?);
                self.push(Obj::Float(v));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Strings and byte strings.
    /// `Ok(false)` for an opcode of another group.
    fn text_op(&mut self, code: u8) -> Result<bool, PickleError> {
        match code {
            op::BINUNICODE => {
                let n = self.input.u32("BINUNICODE")?;
                self.string(n as usize)?;
            }
            op::SHORT_BINUNICODE => {
                let n = self.input.u8("SHORT_BINUNICODE")?;
                self.string(usize::from(n))?;
            }
            op::BINUNICODE8 => {
                let n = self.input.len_u64("BINUNICODE8")?;
                self.string(n)?;
            }
            op::BINBYTES => {
                let n = self.input.u32("BINBYTES")?;
                self.bytes(n as usize)?;
            }
            op::SHORT_BINBYTES => {
                let n = self.input.u8("SHORT_BINBYTES")?;
                self.bytes(usize::from(n))?;
            }
            op::BINBYTES8 => {
                let n = self.input.len_u64("BINBYTES8")?;
                self.bytes(n)?;
            }
            op::BINSTRING => {
                let n = self.input.u32("BINSTRING")?;
                self.py2_string(n as usize)?;
            }
            op::SHORT_BINSTRING => {
                let n = self.input.u8("SHORT_BINSTRING")?;
                self.py2_string(usize::from(n))?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// New containers: empty ones, and tuples, lists, dicts and sets of the items above a
    /// MARK (or of the top one to three items).
    /// `Ok(false)` for an opcode of another group.
    fn container_op(&mut self, code: u8) -> Result<bool, PickleError> {
        match code {
            op::EMPTY_DICT => self.push(Obj::Dict(Vec::new())),
            op::EMPTY_LIST => self.push(Obj::List(Vec::new())),
            op::EMPTY_TUPLE => self.push(Obj::Tuple(Vec::new())),
            op::EMPTY_SET => self.push(Obj::Set(Vec::new())),
            op::TUPLE => {
                let items = self.pop_mark()?;
                self.push(Obj::Tuple(items));
            }
            op::TUPLE1 => self.tuple(1)?,
            op::TUPLE2 => self.tuple(2)?,
            op::TUPLE3 => self.tuple(3)?,
            op::LIST => {
                let items = self.pop_mark()?;
                self.push(Obj::List(items));
            }
            op::DICT => {
                let items = self.pop_mark()?;
                self.push(Obj::Dict(Vec::new()));
                self.set_items(items)?;
            }
            op::FROZENSET => {
                let items = self.pop_mark()?;
                self.push(Obj::Set(items));
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Adding items to the container on the stack: `SETITEM(S)`, `APPEND(S)`, `ADDITEMS`.
    /// `Ok(false)` for an opcode of another group.
    fn fill_op(&mut self, code: u8) -> Result<bool, PickleError> {
        match code {
            op::SETITEM => {
                let value = self.pop()?;
                let key = self.pop()?;
                self.set_items(vec![key, value])?;
            }
            op::SETITEMS => {
                let items = self.pop_mark()?;
                self.set_items(items)?;
            }
            op::APPEND => {
                let item = self.pop()?;
                self.append_items(vec![item])?;
            }
            op::APPENDS => {
                let items = self.pop_mark()?;
                self.append_items(items)?;
            }
            op::ADDITEMS => {
                let items = self.pop_mark()?;
                self.add_items(items)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The memo: `BINPUT`, `LONG_BINPUT`, `MEMOIZE`, `BINGET`, `LONG_BINGET`.
    /// `Ok(false)` for an opcode of another group.
    fn memo_op(&mut self, code: u8) -> Result<bool, PickleError> {
        match code {
            op::BINPUT => {
                let i = self.input.u8("BINPUT")?;
                self.put(u32::from(i))?;
            }
            op::LONG_BINPUT => {
                let i = self.input.u32("LONG_BINPUT")?;
                self.put(i)?;
            }
            op::MEMOIZE => {
                let i =
                    u32::try_from(self.memo.len()).map_err(|_| self.malformed("memo is full"))?;
                self.put(i)?;
            }
            op::BINGET => {
                let i = self.input.u8("BINGET")?;
                self.get(u32::from(i))?;
            }
            op::LONG_BINGET => {
                let i = self.input.u32("LONG_BINGET")?;
                self.get(i)?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Globals, calls, persistent ids and `BUILD`, recorded, never executed.
    /// `Ok(false)` for an opcode of another group.
    fn object_op(&mut self, code: u8) -> Result<bool, PickleError> {
        match code {
            op::GLOBAL => {
                let module = self.input.line("GLOBAL module")?;
                let name = self.input.line("GLOBAL name")?;
                let module = self.text(module, "GLOBAL module")?;
                let name = self.text(name, "GLOBAL name")?;
                self.global(module, name);
            }
            op::STACK_GLOBAL => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (Obj::Str(module), Obj::Str(name)) = (self.obj(module), self.obj(name)) else {
                    return Err(self.malformed("STACK_GLOBAL needs two strings"));
                };
                let (module, name) = (module.clone(), name.clone());
                self.global(module, name);
            }
            op::REDUCE | op::NEWOBJ => {
                let args = self.pop()?;
                let callable = self.pop()?;
                self.reduce(callable, args);
            }
            op::NEWOBJ_EX => {
                let _kwargs = self.pop()?;
                let args = self.pop()?;
                let callable = self.pop()?;
                self.push(Obj::Call { callable, args });
            }
            op::BINPERSID => {
                let pid = self.pop()?;
                self.push(Obj::PersistentId(pid));
            }
            op::PERSID => {
                let line = self.input.line("PERSID")?;
                let text = self.text(line, "PERSID")?;
                let pid = self.new_obj(Obj::Str(text));
                self.push(Obj::PersistentId(pid));
            }
            op::BUILD => {
                // BUILD sets an object's state (e.g. an OrderedDict's `_metadata`); not data
                // this reader needs, so the state is dropped and the object kept as is.
                let _state = self.pop()?;
                self.top()?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    fn obj(&self, id: ObjId) -> &Obj {
        self.objs.get(id).unwrap_or(&NONE)
    }
}

/// Little-endian two's-complement integer (`LONG1`/`LONG4`), `BigInt` when wider than `i64`.
fn int_from_le(bytes: &[u8]) -> Obj {
    let negative = bytes.last().is_some_and(|&b| b & 0x80 != 0);
    let fill = if negative { 0xff } else { 0x00 };
    let (low, high) = bytes.split_at(bytes.len().min(8));
    let fits = high.iter().all(|&b| b == fill)
        && (high.is_empty() || low.last().is_some_and(|&b| (b & 0x80 != 0) == negative));
    if !fits {
        return Obj::BigInt(bytes.to_vec());
    }
    let mut buf = [fill; 8];
    buf[..low.len()].copy_from_slice(low);
    Obj::Int(i64::from_le_bytes(buf))
}

#[cfg(test)]
mod tests;
