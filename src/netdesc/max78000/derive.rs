//! Turning a description plus checkpoint data into the IR, with izer's derivation rules:
//! the sequence walk, channel counts, default output maps, offsets and dimensions.
//!
//! Owns what izer derives before code generation. Hardware limits are not checked here
//! (`device::max78000::check` does that on the resulting graph); only what prevents
//! derivation is an error.

use super::NetworkDesc;
use super::error::DescError;
use super::layer::{DescBatchNorm, DescOp, LayerDesc};
use super::weights::CheckpointMap;
use crate::device::max78000::{NetworkPlacement, Placement, ProcessorMask};
use crate::ir::Annex;
use crate::ir::{
    self, ActQuant, Conv, Dims, Eltwise, Graph, Node, Op, Pool, QuantAttrs, QuantScheme, Shape,
    Source, WeightBits,
};
use ndarray::{Array1, ArrayD, IxDyn};

/// What the network is fed: channels and spatial extent (from the sample input).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InputSpec {
    pub channels: usize,
    pub dims: Dims,
}

/// A graph plus the remarks made while building it.
#[derive(Debug, Clone)]
pub struct Built {
    pub graph: Graph,
    pub warnings: Vec<String>,
}

/// Build the IR of `desc`, with weights from `weights` if given (without them, channel counts
/// must come from the YAML's `in_channels`/`out_channels`).
///
/// The training keys become node fields: `bias` → [`Node::with_bias`], `dropout` →
/// [`Node::dropout`], and `batchnorm` → [`Node::batchnorm`], a fresh batch norm (scale 1 and
/// shift 0 when `Affine`, running mean 0, variance 1, ε 10⁻⁵) over the layer's outputs. The
/// batch norm is only set without `weights`: a quantized checkpoint has its batch norms folded
/// into the weights and bias already (unfolded ones are refused when mapping it), so a fresh
/// batch norm would change what the loaded network computes.
pub fn build_graph(
    desc: &NetworkDesc,
    weights: Option<&CheckpointMap>,
    input: InputSpec,
) -> Result<Built, DescError> {
    let file = desc.file.as_str();
    let err = |layer: Option<usize>, key: Option<&str>, msg: String| {
        DescError::new(file, layer, key, msg)
    };
    let layers = &desc.layers;
    let n = layers.len();
    let w = |l: usize| {
        weights
            .and_then(|m| m.layers.get(l))
            .and_then(Option::as_ref)
    };
    let mut warnings: Vec<String> = desc.warnings.clone();
    if let Some(m) = weights {
        warnings.extend(m.warnings.iter().cloned());
    }
    let mut in_ch: Vec<usize> = (0..n).map(|l| w(l).map_or(0, |x| x.in_channels)).collect();
    let mut out_ch: Vec<usize> = (0..n).map(|l| w(l).map_or(0, |x| x.out_channels)).collect();
    let next: Vec<i64> = (0..n)
        .map(|l| {
            layers[l]
                .next_sequence
                .unwrap_or(if l + 1 == n { -1 } else { l as i64 + 1 })
        })
        .collect();
    let buffer_channels = desc
        .data_buffer
        .as_ref()
        .and_then(|b| b.last())
        .map_or(0, |b| b.channels);
    let mut out_map: Vec<Option<ProcessorMask>> =
        layers.iter().map(|l| l.output_processors).collect();
    let mut prev: Vec<i64> = vec![-1; n];

    if let Some(l) = layers.iter().find(|l| !l.ai87_only.is_empty()) {
        return Err(err(
            Some(l.seq),
            Some(l.ai87_only[0]),
            "this is a MAX78002 feature; MAX78000 does not support it".into(),
        ));
    }

    // Walk 1: channel counts and the order of execution.
    let (mut ll, mut prev_ll, mut max_layer, mut final_layer) = (0usize, -1i64, 0usize, None);
    while ll < n {
        let l = &layers[ll];
        let channels_of = |src: i64| -> usize {
            match src {
                -1 => input.channels,
                -2 => buffer_channels,
                // izer looks a negative source up with a Python index: -1 is the last layer.
                s if s < 0 => out_ch[(n as i64 + s).max(0) as usize],
                s => out_ch.get(s as usize).copied().unwrap_or(0),
            }
        };
        if let Some(srcs) = &l.in_sequences {
            if srcs.iter().any(|s| *s >= n as i64 || *s < -2) {
                return Err(err(
                    Some(ll),
                    Some("in_sequences"),
                    format!("refers to a layer that does not exist: {srcs:?}"),
                ));
            }
            in_ch[ll] = match l.eltwise {
                None => srcs.iter().map(|s| channels_of(*s)).sum(),
                Some(_) => channels_of(srcs[0]),
            };
            // izer compares the sources' counts as listed (a -1 source reads the last layer).
            let listed = |s: i64| {
                if s == -1 {
                    out_ch[n - 1]
                } else {
                    channels_of(s)
                }
            };
            let first = listed(srcs[0]);
            if srcs.iter().any(|s| listed(*s) != first) {
                let counts: Vec<String> = srcs.iter().map(|s| listed(*s).to_string()).collect();
                return Err(err(
                    Some(ll),
                    Some("in_sequences"),
                    format!(
                        "inputs {srcs:?} have non-matching channel counts ({})",
                        counts.join(", ")
                    ),
                ));
            }
        }
        if in_ch[ll] == 0 {
            in_ch[ll] = if ll == 0 {
                input.channels / l.operands
            } else {
                out_ch[prev_ll as usize]
            };
        }
        if let Some(c) = l.in_channels {
            in_ch[ll] = c;
        }
        if out_ch[ll] == 0 {
            out_ch[ll] = in_ch[ll];
        }
        if let Some(c) = l.out_channels {
            out_ch[ll] = c;
        }
        if out_map[ll].is_none() && next[ll] >= 0 && (next[ll] as usize) < n {
            out_map[ll] = Some(layers[next[ll] as usize].processors);
        }
        prev[ll] = prev_ll;
        prev_ll = ll as i64;
        max_layer = max_layer.max(ll);
        if next[ll] != -1 && next[ll] != ll as i64 + 1 {
            return Err(err(Some(ll), Some("next_sequence"), "MAX78000 runs layers in sequence order; only the next layer or `stop` is supported".into()));
        }
        if next[ll] == -1 {
            final_layer = Some(ll);
            break;
        }
        ll = next[ll] as usize;
    }
    let used = max_layer + 1;
    let final_layer = final_layer.unwrap_or(max_layer);
    out_map[final_layer] = desc
        .output_map
        .or(out_map[final_layer])
        .or_else(|| Some(default_output_map(out_ch[final_layer])));

    // Walk 2: dimensions, offsets, and the nodes themselves.
    let mut nodes: Vec<Node> = Vec::with_capacity(used);
    for ll in 0..used {
        let l = &layers[ll];
        if in_ch[ll] == 0 {
            return Err(err(
                Some(ll),
                Some("in_channels"),
                "`in_channels` is required (no checkpoint data and nothing to derive it from)"
                    .into(),
            ));
        }
        if w(ll).is_none()
            && l.op != DescOp::Passthrough
            && l.out_channels.is_none()
            && weights.is_none()
        {
            return Err(err(
                Some(ll),
                Some("out_channels"),
                "output channel count unknown: pass --checkpoint or set `out_channels`".into(),
            ));
        }
        let inputs: Vec<Source> = match &l.in_sequences {
            Some(srcs) => srcs.iter().map(|s| source(*s, desc)).collect(),
            None => vec![source(prev[ll], desc)],
        };
        if let Some(bad) = l.in_sequences.iter().flatten().find(|s| **s >= ll as i64) {
            return Err(err(
                Some(ll),
                Some("in_sequences"),
                format!("layer {bad} does not run before this layer"),
            ));
        }
        let dims_of = |s: &Source, nodes: &[Node]| -> Option<(usize, usize)> {
            match s {
                Source::Input => Some(input.dims.hw()),
                Source::Node(i) => nodes.get(*i).map(|n| n.out_shape.dims.hw()),
                Source::Buffer(_) => desc
                    .data_buffer
                    .as_ref()
                    .and_then(|b| b.last())
                    .map(|b| (b.dim[0], b.dim[1])),
            }
        };
        let (h, wd) = if ll == 0 {
            l.in_dim.map_or(input.dims.hw(), |d| (d[0], d[1]))
        } else {
            let first = dims_of(&inputs[0], &nodes).ok_or_else(|| {
                err(
                    Some(ll),
                    Some("in_dim"),
                    "no dimension information; use `in_dim`".into(),
                )
            })?;
            let mut pixels = 0;
            if l.in_sequences.is_some() {
                for s in &inputs {
                    let d = dims_of(s, &nodes).unwrap_or((0, 0));
                    if d != first && l.in_dim.is_none() {
                        return Err(err(
                            Some(ll),
                            Some("in_dim"),
                            format!(
                                "cannot concatenate outputs of different dimensions ({}x{} vs {}x{}) without `in_dim`",
                                first.0, first.1, d.0, d.1
                            ),
                        ));
                    }
                    pixels += d.0 * d.1;
                }
            }
            match l.in_dim {
                None => first,
                Some(d) => {
                    let count = (d[0] + l.in_crop[0] as usize + l.in_crop[1] as usize) * d[1];
                    if pixels > 0 && count != pixels {
                        return Err(err(
                            Some(ll),
                            Some("in_dim"),
                            format!(
                                "`in_dim` covers {count} pixels, the `in_sequences` provide {pixels}"
                            ),
                        ));
                    }
                    (d[0], d[1])
                }
            }
        };
        let dims = if l.op == DescOp::Conv1d {
            Dims::D1(h)
        } else {
            Dims::D2(h, wd)
        };
        let mut node = make_node(l, w(ll), in_ch[ll], out_ch[ll], dims, inputs);
        ir::infer_node(ll, &mut node).map_err(|e| err(Some(ll), None, e.message))?;
        if weights.is_none() {
            node.batchnorm = l
                .batchnorm
                .map(|kind| fresh_batchnorm(kind, node.out_shape.channels));
        }
        // A flattening layer's input count from the checkpoint (or YAML) counts features,
        // channels × pooled pixels; derived from the previous layer it already counts channels.
        if l.flatten && (w(ll).is_some() || l.in_channels.is_some()) {
            let pixels = node.pooled_shape.dims.pixels();
            if !in_ch[ll].is_multiple_of(pixels) {
                return Err(err(
                    Some(ll),
                    Some("flatten"),
                    format!(
                        "checkpoint input features ({}) are not a multiple of the {pixels} pooled pixels",
                        in_ch[ll]
                    ),
                ));
            }
            node.in_shape.channels = in_ch[ll] / pixels;
            node.pooled_shape.channels = node.in_shape.channels;
        }
        if let Some(lw) = w(ll) {
            check_received_channels(ll, l, &node, &nodes, input)
                .map_err(|m| err(Some(ll), Some(&lw.key), m))?;
        }
        let in_offset = match (ll, l.in_offset) {
            (0, o) => o.unwrap_or(0),
            (_, Some(o)) => {
                let expected = nodes[prev[ll] as usize]
                    .annex
                    .get::<Placement>()
                    .map_or(0, |p| p.out_offset);
                if l.in_sequences.is_none() && o != expected {
                    warnings.push(format!("layer {ll}: `in_offset` 0x{o:04x} differs from the previous layer's `out_offset` 0x{expected:04x} and no `in_sequences` is given"));
                }
                o
            }
            (_, None) => nodes[prev[ll] as usize]
                .annex
                .get::<Placement>()
                .map_or(0, |p| p.out_offset),
        };
        node.annex = Annex::new(placement(l, out_map[ll].unwrap_or_default(), in_offset));
        warnings.extend(l.warnings.iter().map(|m| format!("layer {ll}: {m}")));
        nodes.push(node);
    }
    let mut outputs: Vec<usize> = (0..used).filter(|l| layers[*l].output).collect();
    if !outputs.contains(&final_layer) {
        if !outputs.is_empty() {
            warnings.push(format!(
                "the final layer {final_layer} is not marked as an `output` layer"
            ));
        }
        outputs.push(final_layer);
    }
    let input_shape = Shape {
        channels: input.channels,
        dims: input.dims,
    };
    let annex = Annex::new(NetworkPlacement {
        output_map: desc.output_map,
        unload: desc.unload.clone(),
        data_buffer: desc.data_buffer.clone(),
    });
    let graph = Graph {
        arch: desc.arch.clone(),
        dataset: Some(desc.dataset.clone()),
        input: input_shape,
        nodes,
        outputs,
        annex,
    };
    Ok(Built { graph, warnings })
}

/// The final layer's default output map: packed from processor 0 (izer's rule).
fn default_output_map(channels: usize) -> ProcessorMask {
    let expand = channels.div_ceil(64).max(1);
    let mut chunk = channels.div_ceil(expand);
    if channels > 64 {
        chunk = ((chunk + 3) & !3).min(64);
    }
    ProcessorMask(if chunk >= 64 {
        u64::MAX
    } else {
        (1u64 << chunk) - 1
    })
}

fn source(s: i64, desc: &NetworkDesc) -> Source {
    match s {
        -2 => Source::Buffer(
            desc.data_buffer
                .as_ref()
                .and_then(|b| b.last())
                .map(|b| b.name.clone())
                .unwrap_or_default(),
        ),
        s if s < 0 => Source::Input,
        s => Source::Node(s as usize),
    }
}

/// The checkpoint's input-channel count must match what the layer receives, unless the YAML
/// overrides `in_channels`.
fn check_received_channels(
    ll: usize,
    l: &LayerDesc,
    node: &Node,
    nodes: &[Node],
    input: InputSpec,
) -> Result<(), String> {
    if l.in_channels.is_some() {
        return Ok(());
    }
    let ch = |s: &Source| match s {
        Source::Input => Some(input.channels),
        Source::Node(i) => nodes.get(*i).map(|n| n.out_shape.channels),
        Source::Buffer(_) => None,
    };
    let received = match l.eltwise {
        Some(_) => ch(&node.inputs[0]),
        None if ll == 0 && l.in_sequences.is_none() => Some(input.channels / l.operands),
        None => node.inputs.iter().map(ch).sum(),
    };
    match received {
        Some(r) if r != node.in_shape.channels => Err(format!(
            "checkpoint weights expect {} input channels{}, but the layer receives {r}",
            node.in_shape.channels,
            if l.flatten { " (after flattening)" } else { "" }
        )),
        _ => Ok(()),
    }
}

fn make_node(
    l: &LayerDesc,
    lw: Option<&super::LayerWeights>,
    in_ch: usize,
    out_ch: usize,
    dims: Dims,
    inputs: Vec<Source>,
) -> Node {
    let conv = Conv {
        out_channels: out_ch,
        kernel: l.kernel,
        stride: l.stride,
        pad: l.pad,
        dilation: l.dilation,
        output_pad: l.output_pad,
        groups: l.conv_groups,
    };
    let op = match (l.op, l.eltwise) {
        (DescOp::Conv1d, _) => Op::Conv1d(conv),
        (DescOp::Conv2d, _) => Op::Conv2d(conv),
        (DescOp::ConvTranspose2d, _) => Op::ConvTranspose2d(conv),
        (DescOp::Linear, _) => Op::Linear {
            out_features: out_ch,
        },
        (DescOp::Passthrough, Some(e)) => Op::Eltwise(e),
        (DescOp::Passthrough, None) => Op::Passthrough,
    };
    let weights =
        lw.and_then(|x| ArrayD::from_shape_vec(IxDyn(&x.weights.shape), x.weights.to_f32()).ok());
    let bias = lw
        .and_then(|x| x.bias.as_ref())
        .map(|(_, b)| Array1::from_iter(b.iter().map(|v| *v as f32)));
    let quant = QuantAttrs {
        scheme: if lw.is_some() {
            QuantScheme::Max78000
        } else {
            QuantScheme::Float
        },
        weight_bits: lw
            .map(|x| x.weight_bits)
            .or(l.op.ne(&DescOp::Passthrough).then_some(WeightBits::B8)),
        bias_bits: bias.as_ref().map(|_| 8),
        output_shift: Some(lw.map_or(l.output_shift.unwrap_or(0), |x| x.output_shift) as i32),
        act: Some(ActQuant {
            bits: l.output_width.bits() as u8,
            cap: None,
        }),
    };
    let mut node = Node::new(
        op,
        inputs,
        Shape {
            channels: in_ch,
            dims,
        },
    );
    node.name = l.name.clone();
    node.pool = l.pool.map(|kind| Pool {
        kind,
        size: l.pool_size,
        stride: l.pool_stride,
        dilation: l.pool_dilation,
    });
    node.eltwise = l.eltwise.map(|op| Eltwise {
        op,
        operands: l.operands,
        pool_first: l.pool_first,
    });
    node.flatten = l.flatten;
    node.activation = l.activation;
    node.with_bias = l.with_bias;
    node.dropout = l.dropout;
    node.weights = weights;
    node.bias = bias;
    node.quant = quant;
    node
}

/// An untrained batch norm over `channels` (PyTorch's initial values, ai8x's ε).
fn fresh_batchnorm(kind: DescBatchNorm, channels: usize) -> ir::BatchNorm {
    let affine = kind == DescBatchNorm::Affine;
    ir::BatchNorm {
        gamma: affine.then(|| Array1::ones(channels)),
        beta: affine.then(|| Array1::zeros(channels)),
        running_mean: Array1::zeros(channels),
        running_var: Array1::ones(channels),
        eps: 1e-5,
    }
}

fn placement(l: &LayerDesc, output_processors: ProcessorMask, in_offset: u32) -> Placement {
    Placement {
        processors: l.processors,
        output_processors,
        in_offset,
        out_offset: l.out_offset,
        write_gap: l.write_gap,
        read_gap: l.read_gap,
        in_channel_skip: l.in_channel_skip,
        in_crop: l.in_crop,
        in_dim: l.in_dim,
        bias_group: l.bias_group.clone(),
        streaming: l.streaming,
        output_width: l.output_width,
        data_format: l.data_format,
        output: l.output,
        weight_source: l.weight_source.and_then(|s| usize::try_from(s).ok()),
        buffer_shift: l.buffer_shift,
        buffer_insert: l.buffer_insert,
        simulated_sequence: l.simulated_sequence,
        conv_groups: l.conv_groups,
    }
}
