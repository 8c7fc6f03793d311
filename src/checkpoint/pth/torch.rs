//! PyTorch's object model over a decoded pickle: which globals are tensor rebuild functions
//! or storage types, what a storage persistent id says, and the view a tensor takes of its
//! storage.
//!
//! Owns the whitelist of globals this reader gives a meaning to; every other global stays
//! opaque. Must not read storage bytes (that is `decode.rs`) nor know the container format.

use super::object::{Obj, ObjId, Pickle};
use crate::checkpoint::DType;

/// Wrappers (`_rebuild_parameter`, `_rebuild_from_type_v2`) nest at most this deep.
const MAX_WRAP_DEPTH: usize = 8;

/// The globals this reader understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Known {
    RebuildTensorV2,
    /// `_rebuild_parameter(data, requires_grad, hooks)` and `..._with_state(...)`.
    RebuildParameter,
    /// `_rebuild_from_type_v2(func, new_type, args, state)`: `func(*args)`.
    RebuildFromTypeV2,
    Storage(DType),
    /// Anything else: an opaque value (optimizer classes, `OrderedDict`, ...).
    Opaque,
}

pub fn classify(module: &str, name: &str) -> Known {
    match (module, name) {
        ("torch._utils", "_rebuild_tensor_v2") => Known::RebuildTensorV2,
        ("torch._utils", "_rebuild_parameter" | "_rebuild_parameter_with_state") => {
            Known::RebuildParameter
        }
        ("torch._tensor", "_rebuild_from_type_v2") => Known::RebuildFromTypeV2,
        ("torch", storage) => storage_dtype(storage).map_or(Known::Opaque, Known::Storage),
        _ => Known::Opaque,
    }
}

fn storage_dtype(name: &str) -> Option<DType> {
    Some(match name {
        "FloatStorage" => DType::F32,
        "DoubleStorage" => DType::F64,
        "HalfStorage" => DType::F16,
        "BFloat16Storage" => DType::BF16,
        "LongStorage" => DType::I64,
        "IntStorage" => DType::I32,
        "ShortStorage" => DType::I16,
        "CharStorage" => DType::I8,
        "ByteStorage" => DType::U8,
        "BoolStorage" => DType::Bool,
        _ => return None,
    })
}

/// Bytes per element of a storage of `dtype`.
pub fn element_size(dtype: DType) -> usize {
    match dtype {
        DType::F64 | DType::I64 => 8,
        DType::F32 | DType::I32 => 4,
        DType::F16 | DType::BF16 | DType::I16 => 2,
        DType::I8 | DType::U8 | DType::Bool => 1,
    }
}

/// A storage as its persistent id describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageRef {
    /// Key of the storage's bytes in the container (`data/<key>` in a ZIP).
    pub key: String,
    pub dtype: DType,
    /// Element offset of a legacy storage view into its root storage (0 otherwise).
    pub view_offset: usize,
}

/// A tensor: a strided view of a storage. Offset and strides are in elements.
#[derive(Debug, Clone, PartialEq)]
pub struct TensorRef {
    pub storage: StorageRef,
    pub offset: usize,
    pub size: Vec<usize>,
    pub stride: Vec<usize>,
}

/// Interpret a persistent id object `('storage', StorageType, key, location, numel[, view])`.
pub fn storage_ref(p: &Pickle, pid: ObjId) -> Result<StorageRef, String> {
    let Obj::PersistentId(tuple) = p.get(pid) else {
        return Err(format!(
            "storage is a {}, not a persistent id",
            p.get(pid).kind()
        ));
    };
    let fields = p
        .as_seq(*tuple)
        .ok_or("storage persistent id is not a tuple")?;
    let [tag, ty, key, _location, _numel, rest @ ..] = fields else {
        return Err(format!(
            "storage persistent id has {} fields, expected 5",
            fields.len()
        ));
    };
    if p.as_str(*tag) != Some("storage") {
        return Err("persistent id is not a 'storage' record".into());
    }
    let Obj::Global { module, name } = p.get(*ty) else {
        return Err("storage type is not a global".into());
    };
    let Known::Storage(dtype) = classify(module, name) else {
        return Err(format!("storage type {module}.{name} is not supported"));
    };
    let key = match p.get(*key) {
        Obj::Str(s) => s.clone(),
        Obj::Int(i) => i.to_string(),
        other => return Err(format!("storage key is a {}", other.kind())),
    };
    let view_offset = match rest.first().map(|&v| p.get(v)) {
        None | Some(Obj::None) => 0,
        Some(Obj::Tuple(view)) => {
            let off = view.get(1).and_then(|&o| p.as_int(o));
            off.and_then(|o| usize::try_from(o).ok())
                .ok_or("storage view has a bad offset")?
        }
        Some(other) => return Err(format!("storage view metadata is a {}", other.kind())),
    };
    Ok(StorageRef {
        key,
        dtype,
        view_offset,
    })
}

/// Every storage persistent id in the pickle, in creation order (unreadable ones skipped).
pub fn all_storages(p: &Pickle) -> Vec<StorageRef> {
    p.objects()
        .enumerate()
        .filter(|(_, obj)| matches!(obj, Obj::PersistentId(_)))
        .filter_map(|(id, _)| storage_ref(p, id).ok())
        .collect()
}

/// `Ok(None)` if `id` is not a tensor; an error if it is one this reader cannot describe.
pub fn tensor_ref(p: &Pickle, id: ObjId) -> Result<Option<TensorRef>, String> {
    let Obj::Call { callable, args } = p.get(id) else {
        return Ok(None);
    };
    let args = p.as_seq(*args).unwrap_or_default();
    apply(p, *callable, args, 0)
}

fn apply(
    p: &Pickle,
    callable: ObjId,
    args: &[ObjId],
    depth: usize,
) -> Result<Option<TensorRef>, String> {
    let Obj::Global { module, name } = p.get(callable) else {
        return Ok(None);
    };
    if depth > MAX_WRAP_DEPTH {
        return Err("tensor wrappers nest too deeply".into());
    }
    match classify(module, name) {
        Known::RebuildTensorV2 => rebuild_tensor_v2(p, args).map(Some),
        Known::RebuildParameter => {
            let data = args.first().ok_or("parameter without data")?;
            let Obj::Call { callable, args } = p.get(*data) else {
                return Err("parameter does not wrap a tensor".into());
            };
            let inner = p.as_seq(*args).unwrap_or_default();
            apply(p, *callable, inner, depth + 1)?
                .map(Some)
                .ok_or_else(|| "parameter does not wrap a tensor".into())
        }
        Known::RebuildFromTypeV2 => {
            let [func, _new_type, inner, ..] = args else {
                return Err("_rebuild_from_type_v2 needs 4 arguments".into());
            };
            let inner = p.as_seq(*inner).ok_or("_rebuild_from_type_v2 arguments")?;
            apply(p, *func, inner, depth + 1)
        }
        Known::Storage(_) | Known::Opaque => {
            if module.starts_with("torch") && name.starts_with("_rebuild") {
                Err(format!("tensor kind {module}.{name} is not supported"))
            } else {
                Ok(None)
            }
        }
    }
}

fn rebuild_tensor_v2(p: &Pickle, args: &[ObjId]) -> Result<TensorRef, String> {
    let [storage, offset, size, stride, ..] = args else {
        return Err(format!(
            "_rebuild_tensor_v2 has {} arguments, expected ≥ 4",
            args.len()
        ));
    };
    let storage = storage_ref(p, *storage)?;
    let offset = non_negative(p, *offset).ok_or("storage offset is not a non-negative int")?;
    let size = usize_seq(p, *size).ok_or("size is not a tuple of non-negative ints")?;
    let stride = usize_seq(p, *stride).ok_or("stride is not a tuple of non-negative ints")?;
    if size.len() != stride.len() {
        return Err(format!(
            "{}-d size with {}-d stride",
            size.len(),
            stride.len()
        ));
    }
    Ok(TensorRef {
        storage,
        offset,
        size,
        stride,
    })
}

fn non_negative(p: &Pickle, id: ObjId) -> Option<usize> {
    p.as_int(id).and_then(|v| usize::try_from(v).ok())
}

fn usize_seq(p: &Pickle, id: ObjId) -> Option<Vec<usize>> {
    p.as_seq(id)?.iter().map(|&v| non_negative(p, v)).collect()
}
