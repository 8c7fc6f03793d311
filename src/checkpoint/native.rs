//! qtool's native checkpoint: a safetensors file of little-endian f32 tensors whose
//! `__metadata__["qtool"]` holds [`NativeMeta`] as JSON (plus the tensor order).
//!
//! Owns the on-disk layout and its validation. Must not interpret the tensors (layer mapping,
//! quantization arithmetic) and writes no timestamps: same content gives the same bytes.

use crate::io::atomic::write_bytes_atomic;
use crate::ir::QuantAttrs;
use ndarray::{ArrayD, IxDyn};
use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use thiserror::Error;

/// Value of [`NativeMeta::format`].
pub const FORMAT: &str = "qtool-checkpoint";
/// Newest [`NativeMeta::format_version`] this build reads and the one it writes.
pub const FORMAT_VERSION: u32 = 1;
/// Key of the qtool JSON in the safetensors `__metadata__` map.
pub const META_KEY: &str = "qtool";

/// A checkpoint in qtool's own format. Tensor order is preserved.
#[derive(Debug, Clone, PartialEq)]
pub struct NativeCheckpoint {
    pub meta: NativeMeta,
    pub tensors: Vec<(String, ArrayD<f32>)>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct NativeMeta {
    /// Always [`FORMAT`].
    pub format: String,
    pub format_version: u32,
    /// qtool version that wrote the file.
    pub qtool_version: String,
    pub arch: String,
    pub epoch: Option<u64>,
    pub layers: Vec<LayerMeta>,
    /// Training state of a checkpoint written by `qtool train` (recipe, progress, optimizer
    /// step count), opaque here; absent in quantized checkpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub training: Option<serde_json::Value>,
    /// How a quantized checkpoint's integers were obtained (`qtool quantize`'s clip method);
    /// absent in float checkpoints.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clipping_method: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct LayerMeta {
    pub name: String,
    pub quant: QuantAttrs,
}

impl NativeMeta {
    /// Metadata of the current format written by this qtool version.
    pub fn new(arch: impl Into<String>, epoch: Option<u64>, layers: Vec<LayerMeta>) -> Self {
        NativeMeta {
            format: FORMAT.to_string(),
            format_version: FORMAT_VERSION,
            qtool_version: env!("CARGO_PKG_VERSION").to_string(),
            arch: arch.into(),
            epoch,
            layers,
            training: None,
            clipping_method: None,
        }
    }
}

/// What `__metadata__["qtool"]` holds: the metadata plus the tensor order.
#[derive(Serialize, Deserialize)]
struct Stored<M> {
    #[serde(flatten)]
    meta: M,
    tensor_order: Vec<String>,
}

#[derive(Debug, Error)]
pub enum NativeError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: truncated or corrupt checkpoint ({reason})", path.display())]
    Corrupt { path: PathBuf, reason: String },
    #[error("{}: safetensors metadata has no `{key}` entry (not a qtool checkpoint?)", path.display())]
    MissingMeta { path: PathBuf, key: &'static str },
    #[error("{}: malformed `{key}` metadata: {reason}", path.display())]
    MalformedMeta {
        path: PathBuf,
        key: &'static str,
        reason: String,
    },
    #[error("{}: tensor `{tensor}` has dtype {dtype}, only F32 is supported", path.display())]
    UnsupportedDtype {
        path: PathBuf,
        tensor: String,
        dtype: String,
    },
    #[error("{}: tensor `{tensor}` is listed in the metadata but absent", path.display())]
    MissingTensor { path: PathBuf, tensor: String },
    #[error("{}: tensor `{tensor}` is present but not listed in the metadata", path.display())]
    UnlistedTensor { path: PathBuf, tensor: String },
    #[error("{}: cannot write checkpoint: {reason}", path.display())]
    Invalid { path: PathBuf, reason: String },
}

impl NativeCheckpoint {
    /// Whether `qtool quantize` wrote this checkpoint (the lifecycle stage a file records in
    /// its metadata: quantized files carry their clipping method).
    pub fn is_quantized(&self) -> bool {
        self.meta.clipping_method.is_some()
    }

    /// Serializes to safetensors bytes (deterministic: no timestamps, sorted layout).
    fn to_bytes(&self, path: &Path) -> Result<Vec<u8>, NativeError> {
        let invalid = |reason: String| NativeError::Invalid {
            path: path.to_path_buf(),
            reason,
        };
        let mut seen = HashSet::new();
        for (name, _) in &self.tensors {
            if name == "__metadata__" || !seen.insert(name.as_str()) {
                return Err(invalid(format!(
                    "tensor name `{name}` is reserved or repeated"
                )));
            }
        }
        for l in &self.meta.layers {
            if l.quant
                .act
                .and_then(|a| a.cap)
                .is_some_and(|c| !c.is_finite())
            {
                return Err(invalid(format!(
                    "layer `{}`: non-finite activation cap",
                    l.name
                )));
            }
        }
        let stored = Stored {
            meta: &self.meta,
            tensor_order: self.tensors.iter().map(|(n, _)| n.clone()).collect(),
        };
        let json = serde_json::to_string(&stored).map_err(|e| invalid(e.to_string()))?;
        let data: Vec<(&str, Vec<usize>, Vec<u8>)> = self
            .tensors
            .iter()
            .map(|(n, a)| {
                let bytes = a.iter().flat_map(|v| v.to_le_bytes()).collect();
                (n.as_str(), a.shape().to_vec(), bytes)
            })
            .collect();
        let mut views = Vec::with_capacity(data.len());
        for (name, shape, bytes) in &data {
            let view = TensorView::new(Dtype::F32, shape.clone(), bytes)
                .map_err(|e| invalid(format!("tensor `{name}`: {e}")))?;
            views.push((*name, view));
        }
        let info = HashMap::from([(META_KEY.to_string(), json)]);
        safetensors::serialize(views, Some(info)).map_err(|e| invalid(e.to_string()))
    }

    /// Writes the checkpoint atomically; same content always gives byte-identical files.
    pub fn write(&self, path: &Path) -> Result<(), NativeError> {
        let bytes = self.to_bytes(path)?;
        write_bytes_atomic(path, &bytes).map_err(|source| NativeError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    pub fn read(path: &Path) -> Result<Self, NativeError> {
        let bytes = std::fs::read(path).map_err(|source| NativeError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, path)
    }

    /// Parse a file's bytes (`path` names it in errors).
    pub fn from_bytes(bytes: &[u8], path: &Path) -> Result<Self, NativeError> {
        let p = || path.to_path_buf();
        let corrupt = |e: safetensors::SafeTensorError| NativeError::Corrupt {
            path: p(),
            reason: e.to_string(),
        };
        // `SafeTensors` does not expose `__metadata__`, so the header is parsed on its own too.
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(corrupt)?;
        let st = SafeTensors::deserialize(bytes).map_err(corrupt)?;
        let json = header
            .metadata()
            .as_ref()
            .and_then(|m| m.get(META_KEY))
            .ok_or(NativeError::MissingMeta {
                path: p(),
                key: META_KEY,
            })?;
        let malformed = |reason: String| NativeError::MalformedMeta {
            path: p(),
            key: META_KEY,
            reason,
        };
        let stored: Stored<NativeMeta> =
            serde_json::from_str(json).map_err(|e| malformed(e.to_string()))?;
        let meta = stored.meta;
        if meta.format != FORMAT {
            return Err(malformed(format!(
                "format is {:?}, expected {FORMAT:?}",
                meta.format
            )));
        }
        if meta.format_version > FORMAT_VERSION {
            return Err(malformed(format!(
                "format_version {} is newer than this qtool reads ({FORMAT_VERSION})",
                meta.format_version
            )));
        }
        let mut tensors = Vec::with_capacity(stored.tensor_order.len());
        for name in stored.tensor_order {
            if tensors.iter().any(|(n, _)| *n == name) {
                return Err(malformed(format!("tensor_order repeats `{name}`")));
            }
            let view = st.tensor(&name).map_err(|_| NativeError::MissingTensor {
                path: p(),
                tensor: name.clone(),
            })?;
            if view.dtype() != Dtype::F32 {
                return Err(NativeError::UnsupportedDtype {
                    path: p(),
                    tensor: name,
                    dtype: view.dtype().to_string(),
                });
            }
            let values: Vec<f32> = view
                .data()
                .chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let array = ArrayD::from_shape_vec(IxDyn(view.shape()), values).map_err(|e| {
                NativeError::Corrupt {
                    path: p(),
                    reason: format!("tensor `{name}`: {e}"),
                }
            })?;
            tensors.push((name, array));
        }
        if tensors.len() != st.len() {
            let mut names = st.names();
            names.sort_unstable();
            let extra = names
                .into_iter()
                .find(|n| !tensors.iter().any(|(t, _)| t == n));
            return Err(NativeError::UnlistedTensor {
                path: p(),
                tensor: extra.unwrap_or_default().to_string(),
            });
        }
        Ok(NativeCheckpoint { meta, tensors })
    }
}

/// A native checkpoint seen as a PyTorch-style state dict (same key names, same order), so
/// the layer-mapping rules that read ai8x checkpoints read qtool's own files too.
impl From<NativeCheckpoint> for super::TorchCheckpoint {
    fn from(c: NativeCheckpoint) -> Self {
        let state_dict = c
            .tensors
            .into_iter()
            .map(|(name, t)| {
                let raw = super::RawTensor {
                    shape: t.shape().to_vec(),
                    dtype: super::DType::F32,
                    values: t.iter().map(|v| f64::from(*v)).collect(),
                };
                (name, raw)
            })
            .collect();
        super::TorchCheckpoint {
            epoch: c.meta.epoch.map(|e| e as i64),
            arch: Some(c.meta.arch),
            state_dict,
            top_level_keys: vec!["state_dict".into(), "arch".into(), "epoch".into()],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::{ActQuant, QuantScheme, WeightBits};

    fn sample() -> NativeCheckpoint {
        let quant = QuantAttrs {
            scheme: QuantScheme::Max78000,
            weight_bits: Some(WeightBits::B2),
            bias_bits: Some(8),
            output_shift: Some(-1),
            act: Some(ActQuant {
                bits: 8,
                cap: Some(1.5),
            }),
            ..QuantAttrs::default()
        };
        let layers = vec![
            LayerMeta {
                name: "conv1".into(),
                quant,
            },
            LayerMeta {
                name: "fc".into(),
                quant: QuantAttrs::default(),
            },
        ];
        let special = [
            f32::from_bits(0x7fc0_1234), // NaN with payload
            f32::from_bits(0xffa0_0001), // negative signalling-pattern NaN
            -0.0,
            f32::from_bits(1), // smallest subnormal
            f32::from_bits(0x807f_ffff),
            f32::INFINITY,
            f32::NEG_INFINITY,
            1.0e-3,
        ];
        let w = ArrayD::from_shape_vec(IxDyn(&[2, 1, 2, 2]), special.to_vec()).unwrap();
        NativeCheckpoint {
            meta: NativeMeta::new("ai85net5", Some(199), layers),
            tensors: vec![
                // Deliberately not sorted: order must survive.
                ("z.weight".into(), w),
                ("a.bias".into(), ArrayD::from_elem(IxDyn(&[3]), 0.25)),
                ("scalar".into(), ArrayD::from_elem(IxDyn(&[]), 7.0)),
                ("empty".into(), ArrayD::zeros(IxDyn(&[0, 4]))),
            ],
        }
    }

    fn bits(a: &ArrayD<f32>) -> Vec<u32> {
        a.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn round_trip_is_lossless() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ck.safetensors");
        let ck = sample();
        ck.write(&path).unwrap();
        let back = NativeCheckpoint::read(&path).unwrap();
        assert_eq!(back.meta, ck.meta);
        assert_eq!(back.meta.format, "qtool-checkpoint");
        assert_eq!(back.tensors.len(), ck.tensors.len());
        for ((n0, a0), (n1, a1)) in ck.tensors.iter().zip(&back.tensors) {
            assert_eq!(n0, n1);
            assert_eq!(a0.shape(), a1.shape());
            assert_eq!(bits(a0), bits(a1), "{n0}");
        }
    }

    #[test]
    fn non_standard_layout_is_written_in_logical_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.safetensors");
        let a = ArrayD::from_shape_vec(IxDyn(&[2, 3]), (0..6).map(|v| v as f32).collect()).unwrap();
        let t = a.clone().reversed_axes();
        let ck = NativeCheckpoint {
            meta: NativeMeta::new("x", None, vec![]),
            tensors: vec![("t".into(), t.clone())],
        };
        ck.write(&path).unwrap();
        assert_eq!(NativeCheckpoint::read(&path).unwrap().tensors[0].1, t);
    }

    #[test]
    fn writing_twice_is_byte_identical() {
        let dir = tempfile::tempdir().unwrap();
        let (p1, p2) = (dir.path().join("1"), dir.path().join("2"));
        sample().write(&p1).unwrap();
        sample().write(&p2).unwrap();
        assert_eq!(std::fs::read(&p1).unwrap(), std::fs::read(&p2).unwrap());
    }

    #[test]
    fn truncated_and_garbage_files_are_errors_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ck.safetensors");
        sample().write(&path).unwrap();
        let full = std::fs::read(&path).unwrap();
        for cut in [0, 3, 8, 20, full.len() / 2, full.len() - 1] {
            std::fs::write(&path, &full[..cut]).unwrap();
            let msg = NativeCheckpoint::read(&path).unwrap_err().to_string();
            assert!(
                msg.contains("ck.safetensors") && msg.contains("corrupt"),
                "{msg}"
            );
            assert!(!msg.contains('\n'), "{msg}");
        }
        std::fs::write(&path, b"this is not a safetensors file at all").unwrap();
        let msg = NativeCheckpoint::read(&path).unwrap_err().to_string();
        assert!(msg.contains("ck.safetensors"), "{msg}");
        let missing = dir.path().join("nope.safetensors");
        let msg = NativeCheckpoint::read(&missing).unwrap_err().to_string();
        assert!(msg.contains("nope.safetensors"), "{msg}");
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Deterministic pseudo-random mutations of a valid file.
        let full = sample().to_bytes(Path::new("x")).unwrap();
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..2000 {
            let mut b = full.clone();
            for _ in 0..3 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let i = (state as usize) % b.len();
                b[i] = (state >> 32) as u8;
            }
            let _ = NativeCheckpoint::from_bytes(&b, Path::new("x"));
        }
    }

    /// Builds a safetensors file by hand with the given metadata and tensors.
    fn raw(meta: Option<&str>, tensors: Vec<(&str, Dtype, Vec<usize>, Vec<u8>)>) -> Vec<u8> {
        let views: Vec<_> = tensors
            .iter()
            .map(|(n, d, s, b)| (*n, TensorView::new(*d, s.clone(), b).unwrap()))
            .collect();
        let info = meta.map(|m| HashMap::from([(META_KEY.to_string(), m.to_string())]));
        safetensors::serialize(views, info).unwrap()
    }

    fn err_of(bytes: Vec<u8>) -> String {
        let e = NativeCheckpoint::from_bytes(&bytes, Path::new("m.st")).unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("m.st: ") && !msg.contains('\n'), "{msg}");
        msg
    }

    #[test]
    fn metadata_and_tensor_errors() {
        let meta = |order: &str| {
            format!(
                r#"{{"format":"qtool-checkpoint","format_version":1,"qtool_version":"0",
                   "arch":"a","epoch":null,"layers":[],"tensor_order":{order}}}"#
            )
        };
        let f32t = |n| (n, Dtype::F32, vec![1], vec![0u8; 4]);
        let msg = err_of(raw(None, vec![f32t("w")]));
        assert!(msg.contains("`qtool`"), "{msg}");
        let msg = err_of(raw(Some("{not json"), vec![f32t("w")]));
        assert!(msg.contains("malformed `qtool`"), "{msg}");
        let msg = err_of(raw(Some(r#"{"format":"qtool-checkpoint"}"#), vec![]));
        assert!(
            msg.contains("malformed `qtool`") && msg.contains("missing field"),
            "{msg}"
        );
        let wrong = meta("[]").replace("qtool-checkpoint", "other");
        assert!(err_of(raw(Some(&wrong), vec![])).contains("\"other\""));
        let newer = meta("[]").replace("\"format_version\":1", "\"format_version\":9");
        assert!(err_of(raw(Some(&newer), vec![])).contains("newer"));
        let msg = err_of(raw(Some(&meta(r#"["w","gone"]"#)), vec![f32t("w")]));
        assert!(msg.contains("`gone`") && msg.contains("absent"), "{msg}");
        let msg = err_of(raw(Some(&meta(r#"["w"]"#)), vec![f32t("w"), f32t("x")]));
        assert!(msg.contains("`x`") && msg.contains("not listed"), "{msg}");
        let msg = err_of(raw(Some(&meta(r#"["w","w"]"#)), vec![f32t("w")]));
        assert!(msg.contains("repeats `w`"), "{msg}");
        let i64t = ("ints", Dtype::I64, vec![2], vec![0u8; 16]);
        let msg = err_of(raw(Some(&meta(r#"["ints"]"#)), vec![i64t]));
        assert!(msg.contains("`ints`") && msg.contains("I64"), "{msg}");
    }

    #[test]
    fn unwritable_content_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad");
        let mut ck = sample();
        ck.tensors
            .push(("a.bias".into(), ArrayD::zeros(IxDyn(&[1]))));
        assert!(
            ck.write(&path)
                .unwrap_err()
                .to_string()
                .contains("`a.bias`")
        );
        let mut ck = sample();
        ck.meta.layers[0].quant.act = Some(ActQuant {
            bits: 8,
            cap: Some(f32::NAN),
        });
        assert!(ck.write(&path).unwrap_err().to_string().contains("conv1"));
        assert!(!path.exists());
    }
}
