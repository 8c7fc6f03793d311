//! From a quantized GTI graph to the parts of its project (`crate::emit::gti::project`), and
//! back: a `.dat` or `.model` container qtool wrote becomes the chip network, its full model
//! and the quantized coefficients again, so that `inspect` and `sim` read it.

use super::chip_slot;
use super::network::GtiNetwork;
use crate::emit::gti::container::{Container, ContainerKind};
use crate::emit::gti::project::{
    BIAS_SECTION, FILTER_SECTION, FULL_MODEL_SECTION, NETWORK_SECTION, ProjectParts, SubLayerCoefs,
};
use crate::emit::gti::{FcLayer, coef_text, read_fc_bin};
use crate::ir::{Graph, Op, params::layer_key};
use crate::netdesc::gti::{ChipNetwork, FullModel, GtiJson, Operation};
use crate::quant::gti::fusion::full_range;
use ndarray::{Array1, ArrayD, IxDyn};

/// The project parts of a quantized graph loaded from `net`.
pub fn project_parts(
    graph: &Graph,
    net: &GtiNetwork,
    prefix: &str,
    labels: Option<String>,
) -> Result<ProjectParts, String> {
    let mut coefs = Vec::new();
    let mut fc = Vec::new();
    for (i, node) in graph.nodes.iter().enumerate() {
        let name = layer_key(graph, i);
        let int = |v: f32, what: &str| {
            if v.fract() == 0.0 {
                Ok(v as i64)
            } else {
                Err(format!(
                    "layer `{name}`: {what} {v} is not an integer (convert reads a checkpoint of `qtool quantize --device gti`)"
                ))
            }
        };
        if chip_slot(node).is_some() {
            let Some(w) = node.weights.as_ref() else {
                continue;
            };
            let s = node
                .quant
                .output_shift
                .ok_or(format!("layer `{name}`: no shift (not quantized)"))?;
            coefs.push(SubLayerCoefs {
                weights: w
                    .iter()
                    .map(|v| int(*v, "weight"))
                    .collect::<Result<_, _>>()?,
                bias: match &node.bias {
                    Some(b) => b
                        .iter()
                        .map(|v| int(*v, "bias"))
                        .collect::<Result<_, _>>()?,
                    None => vec![0; node.out_shape.channels],
                },
                shift: s.clamp(0, 31) as u8,
            });
        } else if let Op::Linear { out_features } = node.op {
            let w = node
                .weights
                .as_ref()
                .ok_or(format!("layer `{name}`: no weights"))?;
            fc.push((
                node.name.clone().unwrap_or(name),
                FcLayer {
                    inputs: node.op_in_channels(),
                    outputs: out_features,
                    weights: w.iter().copied().collect(),
                    bias: node
                        .bias
                        .as_ref()
                        .map_or_else(|| vec![0.0; out_features], |b| b.to_vec()),
                },
            ));
        }
    }
    let classes = graph.nodes.last().map_or(0, |n| n.out_shape.numel());
    let labels = labels.unwrap_or_else(|| (0..classes).map(|c| format!("{c} {c}\n")).collect());
    Ok(ProjectParts {
        prefix: prefix.to_string(),
        chip: net.chip.number(),
        network: net.network.clone(),
        coefs,
        full_model: net.full_model.clone(),
        fc,
        labels,
    })
}

/// What a container holds.
#[derive(Debug, Clone)]
pub struct Unpacked {
    /// The chip number the container records.
    pub chip: u32,
    pub network: ChipNetwork,
    pub full_model: Option<FullModel>,
    /// `filter.txt` and `bias.txt`: every sub-layer's dequantized values, in order.
    pub filter: Vec<f64>,
    pub bias: Vec<f64>,
    /// Every sub-layer's shift (`scaling`), in order.
    pub shifts: Vec<u8>,
    /// FC layers in order.
    pub fc: Vec<FcLayer>,
}

fn text<'a>(c: &'a Container, name: &str) -> Result<&'a str, String> {
    let bytes = c
        .section(name)
        .ok_or_else(|| format!("no `{name}` section"))?;
    std::str::from_utf8(bytes).map_err(|_| format!("section `{name}` is not UTF-8"))
}

/// Read a `.dat` or `.model` container written by `qtool convert --device gti`.
pub fn unpack(bytes: &[u8]) -> Result<Unpacked, String> {
    let c = Container::from_bytes(bytes).map_err(|e| e.to_string())?;
    match c.kind {
        ContainerKind::Chip => unpack_chip(&c),
        ContainerKind::Model => {
            let full = FullModel::from_json(text(&c, FULL_MODEL_SECTION)?)
                .map_err(|e| format!("section `{FULL_MODEL_SECTION}`: {e}"))?;
            let file = |l: &crate::netdesc::gti::ModelLayer| {
                l.data_file
                    .as_ref()
                    .and_then(|v| v.as_str())
                    .map(String::from)
            };
            let dat_name = full
                .layer
                .iter()
                .find(|l| l.operation == Operation::GtiCnn)
                .and_then(file)
                .ok_or("the full model names no GTICNN data file")?;
            let dat = c
                .section(&dat_name)
                .ok_or_else(|| format!("no `{dat_name}` section"))?;
            let inner = Container::from_bytes(dat).map_err(|e| format!("{dat_name}: {e}"))?;
            let mut out = unpack_chip(&inner).map_err(|e| format!("{dat_name}: {e}"))?;
            for l in full.layer.iter().filter(|l| l.operation == Operation::Fc) {
                let name = file(l).ok_or("an FC layer names no data file")?;
                let bytes = c
                    .section(&name)
                    .ok_or_else(|| format!("no `{name}` section"))?;
                out.fc
                    .push(read_fc_bin(bytes).map_err(|e| format!("{name}: {e}"))?);
            }
            out.full_model = Some(full);
            Ok(out)
        }
    }
}

fn unpack_chip(c: &Container) -> Result<Unpacked, String> {
    let network = ChipNetwork::from_json(text(c, NETWORK_SECTION)?)
        .map_err(|e| format!("section `{NETWORK_SECTION}`: {e}"))?;
    let filter = coef_text::read_values(text(c, FILTER_SECTION)?, FILTER_SECTION)
        .map_err(|e| e.to_string())?;
    let bias =
        coef_text::read_values(text(c, BIAS_SECTION)?, BIAS_SECTION).map_err(|e| e.to_string())?;
    let shifts: Vec<u8> = network
        .layer
        .iter()
        .flat_map(|l| l.scaling.clone().unwrap_or_default())
        .collect();
    Ok(Unpacked {
        chip: c.chip,
        network,
        full_model: None,
        filter,
        bias,
        shifts,
        fc: Vec::new(),
    })
}

/// Put a container's coefficients on a graph built from its network: integer weights and
/// biases (`value · 2^s`), shifts (one per conv, 0 to 12), fused 5- or 10-bit activations;
/// FC layers as stored.
pub fn apply(graph: &mut Graph, unpacked: &Unpacked) -> Result<(), String> {
    let convs = graph
        .nodes
        .iter()
        .filter(|n| chip_slot(n).is_some() && n.op.has_weights())
        .count();
    if unpacked.shifts.len() != convs {
        return Err(format!(
            "{} shifts in `scaling`, the network has {convs} conv sub-layers",
            unpacked.shifts.len()
        ));
    }
    if let Some(s) = unpacked.shifts.iter().find(|s| **s > 12) {
        return Err(format!("shift {s} in `scaling` (0 to 12)"));
    }
    let (filter, bias) = (&unpacked.filter, &unpacked.bias);
    let (mut wi, mut bi, mut k) = (0, 0, 0);
    let mut fcs = unpacked.fc.iter();
    for (i, node) in graph.nodes.iter_mut().enumerate() {
        if chip_slot(node).is_some() {
            let Some(shape) = node.weight_shape() else {
                continue;
            };
            let n: usize = shape.iter().product();
            let out = node.out_shape.channels;
            let s = *unpacked
                .shifts
                .get(k)
                .ok_or(format!("layer {i}: no `scaling` entry"))?;
            k += 1;
            let scale = f64::from(1u32 << s);
            let take = |v: &[f64], at: usize, len: usize, what: &str| {
                v.get(at..at + len)
                    .map(|x| {
                        x.iter()
                            .map(|y| (y * scale).round() as f32)
                            .collect::<Vec<f32>>()
                    })
                    .ok_or(format!("layer {i}: {what} ends early"))
            };
            let w = take(filter, wi, n, FILTER_SECTION)?;
            let b = take(bias, bi, out, BIAS_SECTION)?;
            wi += n;
            bi += out;
            node.weights = Some(ArrayD::from_shape_vec(IxDyn(&shape), w).expect("shape"));
            node.bias = Some(Array1::from(b));
            node.batchnorm = None;
            node.quant.output_shift = Some(i32::from(s));
            let ten = chip_slot(node).is_some_and(|s| s.ten_bits);
            node.quant.act =
                (node.activation == crate::ir::Activation::Relu).then_some(crate::ir::ActQuant {
                    bits: if ten { 10 } else { 5 },
                    cap: Some(full_range(node)),
                });
        } else if let Op::Linear { out_features } = node.op {
            let fc = fcs.next().ok_or(format!("layer {i}: no FC data"))?;
            if fc.outputs != out_features || fc.inputs != node.op_in_channels() {
                return Err(format!(
                    "layer {i}: the FC file is {}→{}, the network {}→{out_features}",
                    fc.inputs,
                    fc.outputs,
                    node.op_in_channels()
                ));
            }
            node.weights = Some(
                ArrayD::from_shape_vec(IxDyn(&[fc.outputs, fc.inputs]), fc.weights.clone())
                    .expect("checked sizes"),
            );
            node.bias = Some(Array1::from(fc.bias.clone()));
        }
    }
    if wi != filter.len() || bi != bias.len() {
        return Err(format!(
            "{} filter and {} bias values, the network uses {wi} and {bi}",
            filter.len(),
            bias.len()
        ));
    }
    Ok(())
}
