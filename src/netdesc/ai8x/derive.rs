//! Turning a description plus checkpoint data into the IR, with izer's derivation rules:
//! the sequence walk, channel counts, default output maps, offsets and dimensions.
//!
//! Owns what izer derives before code generation; the field-by-field translation of one
//! layer into a node is `node.rs`'s. Hardware limits are not checked here
//! (`device::ai8x::check` does that on the resulting graph); only what prevents
//! derivation is an error.

use super::NetworkDesc;
use super::error::DescError;
use super::layer_desc::{DescOp, LayerDesc};
use super::node::{fresh_batchnorm, make_node, placement};
use super::weights::{CheckpointMap, LayerWeights};
use crate::device::ai8x::{ChipId, NetworkPlacement, Placement, ProcessorMask};
use crate::ir::{self, Annex, Dims, Graph, Node, Shape, Source};

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
    chip: ChipId,
) -> Result<Built, DescError> {
    let cx = Ctx {
        desc,
        weights,
        input,
        buffer_channels: desc
            .data_buffer
            .as_ref()
            .and_then(|b| b.last())
            .map_or(0, |b| b.channels),
    };
    let mut warnings: Vec<String> = desc.warnings.clone();
    if let Some(m) = weights {
        warnings.extend(m.warnings.iter().cloned());
    }
    if let Some(l) = desc.layers.iter().find(|l| !l.ai87_only.is_empty()) {
        return Err(cx.err(
            Some(l.seq),
            Some(l.ai87_only[0]),
            match chip {
                ChipId::Max78000 => "this is a MAX78002 feature; MAX78000 does not support it",
                ChipId::Max78002 => "qtool does not implement this MAX78002 feature yet",
            }
            .into(),
        ));
    }
    super::features::check_features(desc, chip)?;
    let walk = sequence_walk(&cx)?;
    let mut nodes: Vec<Node> = Vec::with_capacity(walk.used);
    for ll in 0..walk.used {
        let node = layer_node(&cx, &walk, ll, &nodes, &mut warnings)?;
        nodes.push(node);
    }
    let outputs = output_layers(desc, &walk, &mut warnings);
    let annex = Annex::new(NetworkPlacement {
        output_map: desc.output_map,
        unload: desc.unload.clone(),
        data_buffer: desc.data_buffer.clone(),
        chip,
    });
    let graph = Graph {
        arch: desc.arch.clone(),
        dataset: Some(desc.dataset.clone()),
        input: Shape {
            channels: input.channels,
            dims: input.dims,
        },
        nodes,
        outputs,
        annex,
    };
    Ok(Built { graph, warnings })
}

/// What every step of [`build_graph`] reads.
struct Ctx<'a> {
    desc: &'a NetworkDesc,
    weights: Option<&'a CheckpointMap>,
    input: InputSpec,
    /// Channels of the data buffer's last entry (0 without a data buffer).
    buffer_channels: usize,
}

impl Ctx<'_> {
    fn err(&self, layer: Option<usize>, key: Option<&str>, msg: String) -> DescError {
        DescError::new(self.desc.file.as_str(), layer, key, msg)
    }

    /// The checkpoint weights of layer `l`, if any.
    fn w(&self, l: usize) -> Option<&LayerWeights> {
        self.weights
            .and_then(|m| m.layers.get(l))
            .and_then(Option::as_ref)
    }
}

/// The result of walk 1 over the layers in execution order.
struct Walk {
    /// Per layer: input and output channel counts.
    in_ch: Vec<usize>,
    out_ch: Vec<usize>,
    /// Per layer: its output processors (the next layer's processors by default).
    out_map: Vec<Option<ProcessorMask>>,
    /// Per layer: the layer run before it (−1 for the first).
    prev: Vec<i64>,
    /// Layers up to the last one reached.
    used: usize,
    final_layer: usize,
}

/// Walk 1: channel counts and the order of execution.
fn sequence_walk(cx: &Ctx<'_>) -> Result<Walk, DescError> {
    let layers = &cx.desc.layers;
    let n = layers.len();
    let mut in_ch: Vec<usize> = (0..n)
        .map(|l| cx.w(l).map_or(0, |x| x.in_channels))
        .collect();
    let mut out_ch: Vec<usize> = (0..n)
        .map(|l| cx.w(l).map_or(0, |x| x.out_channels))
        .collect();
    let next: Vec<i64> = (0..n)
        .map(|l| {
            layers[l]
                .next_sequence
                .unwrap_or(if l + 1 == n { -1 } else { l as i64 + 1 })
        })
        .collect();
    let mut out_map: Vec<Option<ProcessorMask>> =
        layers.iter().map(|l| l.output_processors).collect();
    let mut prev: Vec<i64> = vec![-1; n];
    let (mut ll, mut prev_ll, mut max_layer, mut final_layer) = (0usize, -1i64, 0usize, None);
    while ll < n {
        let l = &layers[ll];
        if let Some(srcs) = &l.in_sequences {
            in_ch[ll] = sequence_channels(cx, ll, srcs, l.eltwise.is_some(), &out_ch)?;
        }
        if in_ch[ll] == 0 {
            in_ch[ll] = if ll == 0 {
                cx.input.channels / l.operands
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
            return Err(cx.err(Some(ll), Some("next_sequence"), "MAX78000 runs layers in sequence order; only the next layer or `stop` is supported".into()));
        }
        if next[ll] == -1 {
            final_layer = Some(ll);
            break;
        }
        ll = next[ll] as usize;
    }
    let final_layer = final_layer.unwrap_or(max_layer);
    out_map[final_layer] = cx
        .desc
        .output_map
        .or(out_map[final_layer])
        .or_else(|| Some(default_output_map(out_ch[final_layer])));
    Ok(Walk {
        in_ch,
        out_ch,
        out_map,
        prev,
        used: max_layer + 1,
        final_layer,
    })
}

/// The channel count source `src` of an `in_sequences` list provides, given the output
/// counts derived so far.
fn source_channels(cx: &Ctx<'_>, out_ch: &[usize], src: i64) -> usize {
    let n = out_ch.len();
    match src {
        -1 => cx.input.channels,
        -2 => cx.buffer_channels,
        // izer looks a negative source up with a Python index: -1 is the last layer.
        s if s < 0 => out_ch[(n as i64 + s).max(0) as usize],
        s => out_ch.get(s as usize).copied().unwrap_or(0),
    }
}

/// The input channels of layer `ll` reading `srcs`: their sum, or the first source's count
/// for an element-wise layer. The sources must exist and have matching counts.
fn sequence_channels(
    cx: &Ctx<'_>,
    ll: usize,
    srcs: &[i64],
    eltwise: bool,
    out_ch: &[usize],
) -> Result<usize, DescError> {
    let n = out_ch.len();
    if srcs.iter().any(|s| *s >= n as i64 || *s < -2) {
        return Err(cx.err(
            Some(ll),
            Some("in_sequences"),
            format!("refers to a layer that does not exist: {srcs:?}"),
        ));
    }
    let channels = if eltwise {
        source_channels(cx, out_ch, srcs[0])
    } else {
        srcs.iter().map(|s| source_channels(cx, out_ch, *s)).sum()
    };
    // izer compares the sources' counts as listed (a -1 source reads the last layer).
    let listed = |s: i64| {
        if s == -1 {
            out_ch[n - 1]
        } else {
            source_channels(cx, out_ch, s)
        }
    };
    let first = listed(srcs[0]);
    if srcs.iter().any(|s| listed(*s) != first) {
        let counts: Vec<String> = srcs.iter().map(|s| listed(*s).to_string()).collect();
        return Err(cx.err(
            Some(ll),
            Some("in_sequences"),
            format!(
                "inputs {srcs:?} have non-matching channel counts ({})",
                counts.join(", ")
            ),
        ));
    }
    Ok(channels)
}

/// Walk 2, one layer: dimensions, offsets, and the node itself, given the nodes of the
/// layers before it.
fn layer_node(
    cx: &Ctx<'_>,
    walk: &Walk,
    ll: usize,
    nodes: &[Node],
    warnings: &mut Vec<String>,
) -> Result<Node, DescError> {
    let l = &cx.desc.layers[ll];
    let in_ch = walk.in_ch[ll];
    if in_ch == 0 {
        return Err(cx.err(
            Some(ll),
            Some("in_channels"),
            "`in_channels` is required (no checkpoint data and nothing to derive it from)".into(),
        ));
    }
    if cx.w(ll).is_none()
        && l.op != DescOp::Passthrough
        && l.out_channels.is_none()
        && cx.weights.is_none()
    {
        return Err(cx.err(
            Some(ll),
            Some("out_channels"),
            "output channel count unknown: pass --checkpoint or set `out_channels`".into(),
        ));
    }
    let inputs: Vec<Source> = match &l.in_sequences {
        Some(srcs) => srcs.iter().map(|s| source(*s, cx.desc)).collect(),
        None => vec![source(walk.prev[ll], cx.desc)],
    };
    if let Some(bad) = l.in_sequences.iter().flatten().find(|s| **s >= ll as i64) {
        return Err(cx.err(
            Some(ll),
            Some("in_sequences"),
            format!("layer {bad} does not run before this layer"),
        ));
    }
    let (h, wd) = input_dims(cx, ll, &inputs, nodes)?;
    let dims = if l.op == DescOp::Conv1d {
        Dims::D1(h)
    } else {
        Dims::D2(h, wd)
    };
    let mut node = make_node(l, cx.w(ll), in_ch, walk.out_ch[ll], dims, inputs);
    ir::infer_node(ll, &mut node).map_err(|e| cx.err(Some(ll), None, e.message))?;
    if cx.weights.is_none() {
        node.batchnorm = l
            .batchnorm
            .map(|kind| fresh_batchnorm(kind, node.out_shape.channels));
    }
    // A flattening layer's input count from the checkpoint (or YAML) counts features,
    // channels × pooled pixels; derived from the previous layer it already counts channels.
    if l.flatten && (cx.w(ll).is_some() || l.in_channels.is_some()) {
        let pixels = node.pooled_shape.dims.pixels();
        if !in_ch.is_multiple_of(pixels) {
            return Err(cx.err(
                Some(ll),
                Some("flatten"),
                format!(
                    "checkpoint input features ({in_ch}) are not a multiple of the {pixels} pooled pixels"
                ),
            ));
        }
        node.in_shape.channels = in_ch / pixels;
        node.pooled_shape.channels = node.in_shape.channels;
    }
    if let Some(lw) = cx.w(ll) {
        check_received_channels(ll, l, &node, nodes, cx.input)
            .map_err(|m| cx.err(Some(ll), Some(&lw.key), m))?;
    }
    let in_offset = layer_in_offset(ll, l, walk, nodes, warnings);
    node.annex = Annex::new(placement(
        l,
        walk.out_map[ll].unwrap_or_default(),
        in_offset,
    ));
    warnings.extend(l.warnings.iter().map(|m| format!("layer {ll}: {m}")));
    Ok(node)
}

/// The input rows and columns of layer `ll` reading `inputs`: the network input's (or
/// `in_dim`) for layer 0, otherwise the first source's, or `in_dim`, which must then cover
/// the pixels of all `in_sequences`.
fn input_dims(
    cx: &Ctx<'_>,
    ll: usize,
    inputs: &[Source],
    nodes: &[Node],
) -> Result<(usize, usize), DescError> {
    let l = &cx.desc.layers[ll];
    if ll == 0 {
        return Ok(l.in_dim.map_or(cx.input.dims.hw(), |d| (d[0], d[1])));
    }
    let dims_of = |s: &Source| -> Option<(usize, usize)> {
        match s {
            Source::Input => Some(cx.input.dims.hw()),
            Source::Node(i) => nodes.get(*i).map(|n| n.out_shape.dims.hw()),
            Source::Buffer(_) => cx
                .desc
                .data_buffer
                .as_ref()
                .and_then(|b| b.last())
                .map(|b| (b.dim[0], b.dim[1])),
        }
    };
    let first = dims_of(&inputs[0]).ok_or_else(|| {
        cx.err(
            Some(ll),
            Some("in_dim"),
            "no dimension information; use `in_dim`".into(),
        )
    })?;
    let mut pixels = 0;
    if l.in_sequences.is_some() {
        for s in inputs {
            let d = dims_of(s).unwrap_or((0, 0));
            if d != first && l.in_dim.is_none() {
                return Err(cx.err(
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
        None => Ok(first),
        Some(d) => {
            let count = (d[0] + l.in_crop[0] as usize + l.in_crop[1] as usize) * d[1];
            if pixels > 0 && count != pixels {
                return Err(cx.err(
                    Some(ll),
                    Some("in_dim"),
                    format!("`in_dim` covers {count} pixels, the `in_sequences` provide {pixels}"),
                ));
            }
            Ok((d[0], d[1]))
        }
    }
}

/// Layer `ll`'s `in_offset`: 0 by default for layer 0, the previous layer's `out_offset` by
/// default for the others (with a warning when a given offset differs from it and no
/// `in_sequences` explains why).
fn layer_in_offset(
    ll: usize,
    l: &LayerDesc,
    walk: &Walk,
    nodes: &[Node],
    warnings: &mut Vec<String>,
) -> u32 {
    let prev_out_offset = || {
        nodes[walk.prev[ll] as usize]
            .annex
            .get::<Placement>()
            .map_or(0, |p| p.out_offset)
    };
    match (ll, l.in_offset) {
        (0, o) => o.unwrap_or(0),
        (_, Some(o)) => {
            let expected = prev_out_offset();
            if l.in_sequences.is_none() && o != expected {
                warnings.push(format!("layer {ll}: `in_offset` 0x{o:04x} differs from the previous layer's `out_offset` 0x{expected:04x} and no `in_sequences` is given"));
            }
            o
        }
        (_, None) => prev_out_offset(),
    }
}

/// The output layers: those marked `output`, then the final layer (with a warning when
/// others are marked but it is not).
fn output_layers(desc: &NetworkDesc, walk: &Walk, warnings: &mut Vec<String>) -> Vec<usize> {
    let final_layer = walk.final_layer;
    let mut outputs: Vec<usize> = (0..walk.used).filter(|l| desc.layers[*l].output).collect();
    if !outputs.contains(&final_layer) {
        if !outputs.is_empty() {
            warnings.push(format!(
                "the final layer {final_layer} is not marked as an `output` layer"
            ));
        }
        outputs.push(final_layer);
    }
    outputs
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
