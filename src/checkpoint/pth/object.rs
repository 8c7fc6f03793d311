//! The object graph an unpickled stream produces, held in an arena, and read access to it.
//!
//! Owns the value vocabulary ([`Obj`]) and dict semantics on reading (a repeated key keeps its
//! first position). Must not parse bytes (that is `pickle.rs`) nor give objects a torch meaning
//! (that is `torch.rs`).

use std::collections::HashMap;

/// Index of an object in a [`Pickle`]'s arena.
pub type ObjId = usize;

/// One unpickled object. Containers refer to their items by [`ObjId`], so a memoized object
/// that is mutated after being memoized is seen mutated by every reference, as in Python.
#[derive(Debug, Clone, PartialEq)]
pub enum Obj {
    None,
    Bool(bool),
    Int(i64),
    /// An integer that does not fit `i64` (`LONG1`/`LONG4`): little-endian two's complement.
    BigInt(Vec<u8>),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Tuple(Vec<ObjId>),
    List(Vec<ObjId>),
    /// Items in insertion order. A key set twice appears twice; [`Pickle::dict_items`] keeps
    /// the first position with the last value, as a Python dict does.
    Dict(Vec<(ObjId, ObjId)>),
    Set(Vec<ObjId>),
    /// A `module.name` reference (`GLOBAL`, `STACK_GLOBAL`); nothing is imported.
    Global {
        module: String,
        name: String,
    },
    /// `callable(*args)` recorded by `REDUCE`/`NEWOBJ`; never evaluated here.
    Call {
        callable: ObjId,
        args: ObjId,
    },
    /// A persistent id (`BINPERSID`): the object the pickler kept outside the stream.
    PersistentId(ObjId),
}

impl Obj {
    /// Short type name for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Obj::None => "None",
            Obj::Bool(_) => "bool",
            Obj::Int(_) | Obj::BigInt(_) => "int",
            Obj::Float(_) => "float",
            Obj::Str(_) => "str",
            Obj::Bytes(_) => "bytes",
            Obj::Tuple(_) => "tuple",
            Obj::List(_) => "list",
            Obj::Dict(_) => "dict",
            Obj::Set(_) => "set",
            Obj::Global { .. } => "global",
            Obj::Call { .. } => "object",
            Obj::PersistentId(_) => "persistent id",
        }
    }
}

/// A decoded pickle: the arena of objects, the root (what `STOP` returned) and where the
/// stream ended (the byte after `STOP`, for formats that concatenate pickles).
#[derive(Debug, Clone)]
pub struct Pickle {
    objs: Vec<Obj>,
    root: ObjId,
    end: usize,
}

pub(super) static NONE: Obj = Obj::None;

impl Pickle {
    pub(super) fn new(objs: Vec<Obj>, root: ObjId, end: usize) -> Self {
        Self { objs, root, end }
    }

    pub fn root(&self) -> ObjId {
        self.root
    }

    /// Offset of the first byte after this pickle's `STOP` in the buffer it was read from.
    pub fn end(&self) -> usize {
        self.end
    }

    /// The object `id` (ids come from this pickle; a foreign id reads as `None`).
    pub fn get(&self, id: ObjId) -> &Obj {
        self.objs.get(id).unwrap_or(&NONE)
    }

    /// Every object in the arena, in creation order.
    pub fn objects(&self) -> impl Iterator<Item = &Obj> {
        self.objs.iter()
    }

    pub fn as_str(&self, id: ObjId) -> Option<&str> {
        match self.get(id) {
            Obj::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_int(&self, id: ObjId) -> Option<i64> {
        match self.get(id) {
            Obj::Int(i) => Some(*i),
            Obj::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// Items of a tuple or list.
    pub fn as_seq(&self, id: ObjId) -> Option<&[ObjId]> {
        match self.get(id) {
            Obj::Tuple(items) | Obj::List(items) => Some(items),
            _ => None,
        }
    }

    /// Items of a dict in insertion order, a repeated `str`/`int` key keeping its first
    /// position and its last value. `None` if `id` is not a dict.
    pub fn dict_items(&self, id: ObjId) -> Option<Vec<(ObjId, ObjId)>> {
        let Obj::Dict(raw) = self.get(id) else {
            return None;
        };
        let mut out: Vec<(ObjId, ObjId)> = Vec::with_capacity(raw.len());
        let mut seen: HashMap<KeyRef<'_>, usize> = HashMap::new();
        for &(k, v) in raw {
            let key = match self.get(k) {
                Obj::Str(s) => Some(KeyRef::Str(s)),
                Obj::Int(i) => Some(KeyRef::Int(*i)),
                _ => None,
            };
            let earlier = key.as_ref().and_then(|key| seen.get(key).copied());
            match (earlier.and_then(|at| out.get_mut(at)), key) {
                (Some(slot), _) => slot.1 = v,
                (None, key) => {
                    if let Some(key) = key {
                        seen.insert(key, out.len());
                    }
                    out.push((k, v));
                }
            }
        }
        Some(out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum KeyRef<'a> {
    Str(&'a str),
    Int(i64),
}
