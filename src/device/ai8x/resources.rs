//! Resource use of a placed graph, for reports: per-layer kernel words, bias bytes and data
//! memory, and network totals against the chip's limits (including izer's bias allocation).
//!
//! Owns the bias-memory allocator (placement and contents) and the data-memory size formulas. Must not decide whether
//! a graph is valid (`check` turns overflows into errors) nor lay out kernels (`kernels`).

use super::chip::Chip;
use super::kernel_map::allocate_kernels;
use super::kernels::KernelGeometry;
use super::placement::{DataFormat, Placement};
use crate::ir::{Graph, Node, NodeId, Op};

/// What one layer needs of the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LayerResources {
    /// Enabled input processors (popcount of `processors`).
    pub processors: u32,
    /// 72-bit kernel words written per processor: the most over the layer's processors.
    pub kernel_words: u32,
    /// Kernel words written over all processors.
    pub kernel_words_total: u32,
    /// Columns the allocator must find free on every used processor (izer `kern_len`).
    pub kernel_span: u32,
    /// Weight bytes as izer counts them (`elements · bits / 8`).
    pub weight_bytes: u32,
    /// Bias memory bytes: one per output channel plus the leading dummies of an output map
    /// that does not start at a multiple of 4 (0 without a bias or with an all-zero bias).
    pub bias_bytes: u32,
    pub in_expand: u32,
    pub out_expand: u32,
    /// Bytes of one data-memory instance the input occupies (izer `in_size`, without offset).
    pub data_in_bytes: u32,
    /// Bytes of one data-memory instance the output occupies (izer `out_size`, without offset).
    pub data_out_bytes: u32,
}

/// Resources of layer `layer` of `graph` (neighbours matter: a 1×1 convolution next to a
/// streaming layer runs as 3×3). All zero for a layer without MAX78000 placement.
pub fn layer_resources(graph: &Graph, layer: NodeId, chip: &Chip) -> LayerResources {
    let limits = &chip.limits;
    let Some(node) = graph.nodes.get(layer) else {
        return LayerResources::default();
    };
    let Some(place) = node.annex.get::<Placement>() else {
        return LayerResources::default();
    };
    let (data_in_bytes, data_out_bytes) = data_bytes(node, place, chip);
    let mut r = LayerResources {
        processors: place.processors.count(),
        bias_bytes: bias_len(graph, layer, chip),
        in_expand: limits.expansion(node.in_shape.channels).passes as u32,
        out_expand: limits.expansion(node.out_shape.channels).passes as u32,
        data_in_bytes: data_in_bytes as u32,
        data_out_bytes: data_out_bytes as u32,
        ..LayerResources::default()
    };
    if let Some(geo) = KernelGeometry::of(graph, layer, chip) {
        let layout = geo.layout(chip);
        let words = layout.processors.iter().map(|p| p.columns.len() as u32);
        r.kernel_words = words.clone().max().unwrap_or(0);
        r.kernel_words_total = words.sum();
        r.kernel_span = layout.span;
        r.weight_bytes = geo.weight_bytes() as u32;
    }
    r
}

/// [`layer_resources`] of every layer.
pub fn graph_resources(graph: &Graph, chip: &Chip) -> Vec<LayerResources> {
    (0..graph.nodes.len())
        .map(|l| layer_resources(graph, l, chip))
        .collect()
}

/// Bytes of one data-memory instance used by the input and the output of `node` (izer's
/// `in_size` and `out_size`): input `H·W · passes · operands · (1 if CHW else 4)`, output
/// `(H·W + extra) · passes · 4 · width/8`, where `extra` are the rows a dilated Conv1d
/// emulated on 3×3 hardware writes beyond its real output.
pub fn data_bytes(node: &Node, place: &Placement, chip: &Chip) -> (usize, usize) {
    let limits = &chip.limits;
    let per_word = if place.data_format == DataFormat::Chw {
        1
    } else {
        4
    };
    let input = node.in_shape.dims.pixels()
        * limits.expansion(node.in_shape.channels).passes
        * node.operands()
        * per_word;
    let pixels = node.out_shape.dims.pixels();
    let extra = match node.op {
        Op::Conv1d(c) => {
            let (k, d) = (c.kernel[0], c.dilation[0]);
            let emulated = d > 1
                && k > 1
                && (k - 1) * d >= limits.conv1d_stretch_span
                && k <= limits.max_dilation_1d_kernel;
            if emulated {
                (node.in_shape.dims.hw().0.div_ceil(d) * d).saturating_sub(pixels)
            } else {
                0
            }
        }
        _ => 0,
    };
    let passes = limits.expansion(node.out_shape.channels).passes;
    let output = (pixels + extra) * passes * 4 * place.output_width.bits() as usize / 8;
    (input, output)
}

/// Bias bytes layer `layer` needs (izer `bias_len`), 0 without a non-zero bias.
pub(super) fn bias_len(graph: &Graph, layer: NodeId, chip: &Chip) -> u32 {
    let limits = &chip.limits;
    let node = &graph.nodes[layer];
    let Some(place) = node.annex.get::<Placement>() else {
        return 0;
    };
    let Some(bias) = &node.bias else { return 0 };
    if !node.op.has_weights() || bias.iter().all(|&b| b == 0.0) {
        return 0;
    }
    let lead = place.output_processors.first().unwrap_or(0) % limits.processors_per_data_instance;
    let passes = limits.expansion(node.out_shape.channels).passes as u32;
    node.out_shape.channels as u32 + lead * passes + stream_pad(chip, layer, place)
}

/// The leading zero byte a streaming first layer's bias needs on chips without stream bias
/// support (the MAX78000).
fn stream_pad(chip: &Chip, layer: NodeId, place: &Placement) -> u32 {
    u32::from(layer == 0 && place.streaming && !chip.features.stream_bias)
}

/// Bias memory after izer's allocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BiasMap {
    /// Bytes used per quadrant (may exceed the limit: allocation goes on after an overflow).
    pub fill: Vec<u32>,
    /// Quadrant and first byte of each layer's bias (`None`: no bias, or reused).
    pub placement: Vec<Option<(u32, u32)>>,
    /// First layer whose bias did not fit.
    pub overflow: Option<NodeId>,
}

/// izer's bias allocator (`conv_groups` 1): identical bias vectors are stored once; the rest
/// are sorted (stably) flatten layers first where the chip requires it
/// ([`Features::flatten_bias_first`](super::chip::Features)), then layers restricted to one quadrant by
/// `bias_group`, then by decreasing size, and each goes to the allowed quadrant with the least
/// fill (the first on ties). Allowed quadrants are `bias_group`, else every quadrant that the
/// network's input maps or the final output map touch.
pub fn allocate_bias(graph: &Graph, chip: &Chip) -> BiasMap {
    let limits = &chip.limits;
    let n = graph.nodes.len();
    let places: Vec<_> = graph
        .nodes
        .iter()
        .map(|n| n.annex.get::<Placement>())
        .collect();
    let mut used = places
        .iter()
        .flatten()
        .fold(0u64, |acc, p| acc | p.processors.0);
    if let Some(Some(last)) = places.last() {
        used |= last.output_processors.0;
    }
    let used_quadrants: Vec<u32> = (0..limits.quadrants)
        .filter(|&q| used & limits.quadrant_bits(q) != 0)
        .collect();
    let mut jobs = Vec::new();
    for (layer, node) in graph.nodes.iter().enumerate() {
        let len = bias_len(graph, layer, chip);
        let duplicate =
            (0..layer).any(|o| bias_len(graph, o, chip) > 0 && graph.nodes[o].bias == node.bias);
        if len == 0 || duplicate {
            continue;
        }
        let allowed = places[layer]
            .and_then(|p| p.bias_group.clone())
            .unwrap_or_else(|| used_quadrants.clone());
        jobs.push((layer, allowed, len, node.flatten));
    }
    let max = limits.bias_bytes_per_quadrant as i64;
    let flatten_first = chip.features.flatten_bias_first;
    jobs.sort_by_key(|(_, allowed, len, flatten)| match () {
        _ if *flatten && flatten_first => -1,
        _ if allowed.len() == 1 => 0,
        _ => max - i64::from(*len),
    });
    let mut map = BiasMap {
        fill: vec![0; limits.quadrants as usize],
        placement: vec![None; n],
        overflow: None,
    };
    for (layer, allowed, len, _) in jobs {
        let Some(&q) = allowed
            .iter()
            .filter(|&&q| q < limits.quadrants)
            .min_by_key(|&&q| map.fill[q as usize])
        else {
            continue;
        };
        let offset = map.fill[q as usize];
        if offset + len > limits.bias_bytes_per_quadrant && map.overflow.is_none() {
            map.overflow = Some(layer);
        }
        map.placement[layer] = Some((q, offset));
        map.fill[q as usize] += len;
    }
    map
}

/// Contents of the bias memories after `map`: per quadrant its `fill` bytes. A layer's values
/// (`β & 0xFF`) start after the leading dummies of its output map (and after one zero byte
/// for a streaming first layer); unused bytes are 0.
pub fn bias_image(graph: &Graph, chip: &Chip, map: &BiasMap) -> Vec<Vec<u8>> {
    let limits = &chip.limits;
    let mut image: Vec<Vec<u8>> = map.fill.iter().map(|&f| vec![0; f as usize]).collect();
    for (layer, place) in map.placement.iter().enumerate() {
        let Some((q, offs)) = *place else { continue };
        let node = &graph.nodes[layer];
        let (Some(bias), Some(p)) = (&node.bias, node.annex.get::<Placement>()) else {
            continue;
        };
        let lead = p.output_processors.first().unwrap_or(0) % limits.processors_per_data_instance;
        let passes = limits.expansion(node.out_shape.channels).passes as u32;
        let start = (offs + lead * passes + stream_pad(chip, layer, p)) as usize;
        let quadrant = &mut image[q as usize];
        for (i, &b) in bias.iter().enumerate() {
            if let Some(slot) = quadrant.get_mut(start + i) {
                *slot = (b as i64 & 0xff) as u8;
            }
        }
    }
    image
}

/// Network totals against the limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Totals {
    pub layers: usize,
    pub max_layers: usize,
    /// Kernel words written per processor, summed over layers (shared kernels counted once).
    pub kernel_words: Vec<u32>,
    /// Kernel-memory columns of each processor.
    pub kernel_words_limit: Vec<u32>,
    /// One past the highest kernel column used after izer's greedy allocation, or `None`
    /// when the allocation fails (a block does not fit its processors' memories).
    pub kernel_high_water: Option<u32>,
    pub weight_bytes: u32,
    pub weight_bytes_limit: u32,
    /// Bias bytes per quadrant after izer's allocation.
    pub bias_bytes: Vec<u32>,
    pub bias_bytes_limit: u32,
}

impl Totals {
    /// Whether everything fits.
    pub fn fits(&self) -> bool {
        self.layers <= self.max_layers
            && self.kernel_high_water.is_some()
            && self.bias_bytes.iter().all(|&b| b <= self.bias_bytes_limit)
    }
}

/// Totals of `graph` against the chip's limits.
pub fn totals(graph: &Graph, chip: &Chip) -> Totals {
    let limits = &chip.limits;
    let mut kernel_words = vec![0; limits.processors as usize];
    let mut weight_bytes = 0;
    let alloc = allocate_kernels(graph, chip);
    let reused: Vec<NodeId> = alloc
        .as_ref()
        .map(|m| m.reused.iter().map(|r| r.0).collect())
        .unwrap_or_default();
    for layer in (0..graph.nodes.len()).filter(|l| !reused.contains(l)) {
        let Some(geo) = KernelGeometry::of(graph, layer, chip) else {
            continue;
        };
        weight_bytes += geo.weight_bytes() as u32;
        for p in geo.layout(chip).processors {
            kernel_words[p.processor as usize] += p.columns.len() as u32;
        }
    }
    Totals {
        layers: graph.nodes.len(),
        max_layers: limits.max_layers,
        kernel_words,
        kernel_words_limit: (0..limits.processors)
            .map(|p| chip.kernel_words(p))
            .collect(),
        kernel_high_water: alloc.ok().map(|m| m.high_water()),
        weight_bytes,
        weight_bytes_limit: chip.kernel_memory_bytes(),
        bias_bytes: allocate_bias(graph, chip).fill,
        bias_bytes_limit: limits.bias_bytes_per_quadrant,
    }
}

#[cfg(test)]
mod tests;
