//! The GTI Lightspeeur family as a [`Target`]: `--device gti --chip N [--full-model M]`.
//! Reads a chip network JSON or a container of `qtool convert` (and the full model of its host
//! layers), checks both against the chip, builds the graph IR ([`super::graph`]) with a
//! checkpoint or container mapped onto it, and ties the device's parts to the seam: inspect,
//! the fake-quantization scheme, fusion, quantization, the integer engine and its traces,
//! conversion.

use super::chip::Chip;
use super::convert::{apply, project_parts, unpack};
use super::graph::{build, unsupported_feature};
use super::network::GtiNetwork;
use super::sim::GtiEngine;
use super::{check_chip_network, check_full_model, inspect};
use crate::checkpoint::graph::load_graph;
use crate::checkpoint::native::NativeCheckpoint;
use crate::data::Normalization;
use crate::device::{
    ConvertRequest, DeviceOptions, LoadRequest, Loaded, Project, QuantizeRequest, Quantized,
    Report, Target, TargetError,
};
use crate::emit::gti::container::Container;
use crate::emit::gti::project_files;
use crate::ir::{Annex, Graph};
use crate::netdesc::gti::{ChipExtras, ChipNetwork, FullModel, GtiJson};
use crate::quant::QatScheme;
use crate::quant::gti::GtiScheme;
use crate::quant::gti::fusion::edit_gains;
use crate::quant::gti::ptq;
use crate::sim::{LayerTrace, Simulator};
use ndarray::{Array3, ArrayD};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// `--device gti`; registered without a chip, specialised by `--chip` (and `--full-model`).
#[derive(Debug, Clone, Default)]
pub struct GtiTarget {
    chip: Option<Chip>,
    full_model: Option<PathBuf>,
}

const CHIPS: &str = "2801, 2803 or 5801";

impl GtiTarget {
    pub fn new(chip: Chip) -> Self {
        GtiTarget {
            chip: Some(chip),
            full_model: None,
        }
    }

    fn chip(&self) -> Result<Chip, TargetError> {
        self.chip.ok_or_else(needs_chip)
    }
}

fn needs_chip() -> TargetError {
    TargetError::message(format!("--device gti needs --chip {CHIPS}"))
}

fn read_text(path: &Path) -> Result<String, TargetError> {
    std::fs::read_to_string(path)
        .map_err(|e| TargetError::message(format!("{}: {e}", path.display())))
}

/// Read a GTI JSON file; errors name the file.
fn read_json<T: GtiJson>(path: &Path) -> Result<T, TargetError> {
    T::from_json(&read_text(path)?)
        .map_err(|e| TargetError::message(format!("{}: {e}", path.display())))
}

impl GtiTarget {
    /// The full-model file: `--full-model`, else the one the network's extras name (relative
    /// to the network's folder).
    fn full_model_path(&self, network: &Path, extras: &ChipExtras) -> Option<PathBuf> {
        self.full_model.clone().or_else(|| {
            let rel = extras.full_model.as_ref()?;
            Some(network.parent().unwrap_or(Path::new("")).join(rel))
        })
    }

    /// The architecture name: the extras' `arch`, else the network file's stem.
    fn arch(&self, network: &Path, extras: &ChipExtras) -> String {
        extras.arch.clone().unwrap_or_else(|| {
            network
                .file_stem()
                .map_or("gti".into(), |s| s.to_string_lossy().into_owned())
        })
    }

    /// The chip network and its full model, read and checked; a container (`.dat`,
    /// `.model` of `qtool convert`) gives them from its sections.
    fn read_checked(&self, path: &Path) -> Result<GtiNetwork, TargetError> {
        let chip = self.chip()?;
        let file = path.display().to_string();
        let bytes =
            std::fs::read(path).map_err(|e| TargetError::message(format!("{file}: {e}")))?;
        let (network, packed_full) = if Container::is_container(&bytes) {
            let u = unpack(&bytes).map_err(|e| TargetError::message(format!("{file}: {e}")))?;
            (u.network, u.full_model)
        } else {
            let text = String::from_utf8(bytes)
                .map_err(|_| TargetError::message(format!("{file}: not UTF-8 text")))?;
            let net = ChipNetwork::from_json(&text)
                .map_err(|e| TargetError::message(format!("{file}: {e}")))?;
            (net, None)
        };
        if let Some(v) = check_chip_network(&network, chip).first() {
            return Err(TargetError::message(format!("{file}: {v}")));
        }
        let extras = network
            .extras()
            .map_err(|e| TargetError::message(format!("{file}: {e}")))?;
        let (full_model, full_file) = match self.full_model_path(path, &extras) {
            Some(p) => (Some(read_json::<FullModel>(&p)?), p.display().to_string()),
            None => (packed_full, file.clone()),
        };
        if let Some(full) = &full_model
            && let Some(v) = check_full_model(full, &network, chip).first()
        {
            return Err(TargetError::message(format!("{full_file}: {v}")));
        }
        Ok(GtiNetwork {
            chip,
            network,
            extras,
            full_model,
        })
    }
}

/// Map a qtool checkpoint's parameters and per-layer quantization onto `graph`, or a
/// container's quantized coefficients.
/// A container's network must be `net` on `net.chip` (its shifts aside).
fn map_checkpoint(path: &Path, net: &GtiNetwork, graph: &mut Graph) -> Result<(), TargetError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| TargetError::message(format!("{file}: {e}")))?;
    if Container::is_container(&bytes) {
        let u = unpack(&bytes).map_err(|e| TargetError::message(format!("{file}: {e}")))?;
        let unscaled = |n: &ChipNetwork| {
            let mut n = n.without_extras();
            n.layer.iter_mut().for_each(|l| l.scaling = None);
            n.model.iter_mut().for_each(|m| m.major_layer_number = None);
            n
        };
        if u.chip != net.chip.number() || unscaled(&u.network) != unscaled(&net.network) {
            return Err(TargetError::message(format!(
                "{file}: the container holds another network or chip than --network and --chip"
            )));
        }
        if let Some(v) = check_chip_network(&u.network, net.chip).first() {
            return Err(TargetError::message(format!("{file}: {v}")));
        }
        return apply(graph, &u).map_err(|e| TargetError::message(format!("{file}: {e}")));
    }
    let ckpt = NativeCheckpoint::from_bytes(&bytes, path).map_err(TargetError::device)?;
    load_graph(ckpt, path, graph).map_err(TargetError::device)?;
    Ok(())
}

impl Target for GtiTarget {
    fn name(&self) -> &'static str {
        "gti"
    }

    fn with_variant(&self, opts: &DeviceOptions) -> Result<Option<Arc<dyn Target>>, TargetError> {
        let Some(v) = &opts.chip else {
            return Err(needs_chip());
        };
        let chip = Chip::parse(v).ok_or_else(|| {
            TargetError::message(format!("--chip {v}: not a Lightspeeur chip ({CHIPS})"))
        })?;
        Ok(Some(Arc::new(GtiTarget {
            chip: Some(chip),
            full_model: opts.host_model.clone(),
        })))
    }

    /// The chip network states its own input shape, so a request's input shape is not
    /// needed; the jobs fit their data to the graph's input.
    fn load(&self, req: &LoadRequest) -> Result<Loaded, TargetError> {
        let file = req.network.display().to_string();
        let net = self.read_checked(&req.network)?;
        let inspect_only = req.checkpoint.is_none() && req.fallback_input.is_none();
        let arch = self.arch(&req.network, &net.extras);
        let mut warnings = Vec::new();
        let mut graph = match build(
            &net.network,
            net.chip,
            &net.extras,
            net.full_model.as_ref(),
            &arch,
        ) {
            Ok(g) => g,
            Err(why) if inspect_only && unsupported_feature(&net.network).is_some() => {
                warnings.push(why);
                Graph::new(arch, crate::ir::Shape::d2(0, 0, 0), Vec::new())
            }
            Err(why) => return Err(TargetError::message(format!("{file}: {why}"))),
        };
        if let Some(ckpt) = &req.checkpoint {
            map_checkpoint(ckpt, &net, &mut graph)?;
        }
        graph.annex = Annex::new(net);
        Ok(Loaded { graph, warnings })
    }

    fn quant_scheme(&self) -> Option<Arc<dyn QatScheme>> {
        Some(Arc::new(GtiScheme { chip: self.chip? }))
    }

    fn fuse(&self, graph: &mut Graph) -> Result<Vec<String>, TargetError> {
        let r = edit_gains(graph).map_err(TargetError::message)?;
        let mut lines: Vec<String> = r
            .layers
            .iter()
            .map(|(name, cap, g)| {
                if cap.is_nan() {
                    format!("{name}: feeds a residual addition, weights x {g}")
                } else {
                    format!("{name}: cap {cap} -> the chip's full range, weights x {g}")
                }
            })
            .collect();
        if let Some((name, k)) = r.host {
            lines.push(format!("{name}: compensated, weights x {k}"));
        }
        Ok(lines)
    }

    fn quantize(&self, req: &QuantizeRequest) -> Result<Quantized, TargetError> {
        let net = self.read_checked(&req.network)?;
        let file = req.network.display().to_string();
        let arch = self.arch(&req.network, &net.extras);
        let mut graph = build(
            &net.network,
            net.chip,
            &net.extras,
            net.full_model.as_ref(),
            &arch,
        )
        .map_err(|why| TargetError::message(format!("{file}: {why}")))?;
        map_checkpoint(&req.checkpoint, &net, &mut graph)?;
        let ckpt = req.checkpoint.display().to_string();
        let rows = ptq::quantize_graph(&mut graph, net.chip)
            .map_err(|why| TargetError::message(format!("{ckpt}: {why}")))?;
        Ok(ptq::quantized_checkpoint(&graph, rows, req.epoch))
    }

    fn convert(
        &self,
        graph: &Graph,
        _input: Option<&Array3<i64>>,
        req: &ConvertRequest,
    ) -> Result<Project, TargetError> {
        let net = graph
            .annex
            .get::<GtiNetwork>()
            .ok_or_else(|| self.unsupported("converting a graph not read from a chip network"))?;
        let labels = match &req.labels {
            Some(p) => Some(read_text(p)?),
            None => None,
        };
        let parts = project_parts(graph, net, &req.prefix, labels).map_err(TargetError::message)?;
        let files = project_files(&parts).map_err(TargetError::message)?;
        Ok(Project {
            files,
            verbose: String::new(),
        })
    }

    fn write_trace(
        &self,
        dir: &Path,
        graph: &Graph,
        traces: &[LayerTrace],
    ) -> Result<(), TargetError> {
        super::sim::write_trace(dir, graph, traces).map_err(TargetError::device)
    }

    fn input_normalization(&self) -> Normalization {
        Normalization::Gti
    }

    fn check(&self, _graph: &Graph) -> Result<(), TargetError> {
        Ok(())
    }

    fn inspect(&self, loaded: &Loaded) -> Result<Report, TargetError> {
        let Some(net) = loaded.graph.annex.get::<GtiNetwork>() else {
            return Err(self.unsupported("inspecting a graph not read from a chip network"));
        };
        let report = inspect::report(&net.network, net.chip);
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| TargetError::message(e.to_string()))?;
        Ok(Report {
            json: json + "\n",
            text: inspect::render_text(&report),
        })
    }

    fn simulator<'g>(&self, graph: &'g Graph) -> Result<Box<dyn Simulator + 'g>, TargetError> {
        Ok(Box::new(
            GtiEngine::new(graph).map_err(TargetError::device)?,
        ))
    }

    /// A `[C,H,W]` array of 5-bit codes (`qtool sample --device gti`).
    fn sample_input(&self, sample: &ArrayD<i64>) -> Result<Array3<i64>, TargetError> {
        let x = sample
            .clone()
            .into_dimensionality::<ndarray::Ix3>()
            .map_err(|_| {
                TargetError::message(format!(
                    "the chip reads [C, H, W] codes, not shape {:?}",
                    sample.shape()
                ))
            })?;
        if let Some(v) = x.iter().find(|v| !(0..=31).contains(*v)) {
            return Err(TargetError::message(format!(
                "value {v} is not a 5-bit code 0..31 (`qtool sample --device gti` writes them)"
            )));
        }
        Ok(x)
    }
}
