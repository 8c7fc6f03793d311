//! Kernel memory of the network: where izer's greedy allocator puts each layer's block (the
//! "Kernel map" of izer's log), with kernel deduplication.
//!
//! Owns the allocation order and search, and the resulting memory image (which bytes land in
//! which column). Must not compute a layer's footprint or byte order (`kernels`).

use super::Placement;
use super::chip::Chip;
use super::kernels::KernelGeometry;
use super::limits::LimitError;
use crate::ir::{Graph, NodeId};
use std::collections::BTreeMap;

/// Kernel memory after izer's greedy allocation: the owner of every column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelMap {
    width: usize,
    owner: Vec<Vec<Option<NodeId>>>,
    /// First column of each layer's block (`None`: no weights or deduplicated).
    pub offsets: Vec<Option<u32>>,
    /// Layers that reuse an earlier layer's kernels: `(layer, source)`.
    pub reused: Vec<(NodeId, NodeId)>,
}

impl KernelMap {
    /// Layer owning column `col` of `processor`.
    pub fn owner(&self, processor: u32, col: u32) -> Option<NodeId> {
        *self.owner.get(processor as usize)?.get(col as usize)?
    }

    /// Columns of `processor` in use.
    pub fn used(&self, processor: u32) -> u32 {
        self.owner
            .get(processor as usize)
            .map_or(0, |r| r.iter().flatten().count() as u32)
    }

    /// One past the highest used column over all processors.
    pub fn high_water(&self) -> u32 {
        let last =
            |r: &Vec<Option<NodeId>>| r.iter().rposition(Option::is_some).map_or(0, |c| c + 1);
        self.owner.iter().map(last).max().unwrap_or(0) as u32
    }

    /// izer's textual map: one row per processor, one character per column (`X` = free).
    pub fn render(&self) -> String {
        let width = if self.offsets.len() > 9 { 3 } else { 1 };
        let mut s = String::new();
        for row in &self.owner {
            for cell in row.iter().take(self.width) {
                match cell {
                    Some(l) => s.push_str(&format!("{l:>width$}")),
                    None => s.push_str(&format!("{:>width$}", "X")),
                }
            }
            s.push('\n');
        }
        s
    }
}

/// Run izer's greedy kernel allocator (MAX78000, default options) over `graph`: layers whose
/// input map is all 64 processors first, then the rest, each in layer order; each block starts
/// at a multiple of 4 and must be free on every used processor. Layers with the same kernels,
/// width and input map as an earlier layer (or a `weight_source` with the same map) reuse it.
pub fn allocate_kernels(graph: &Graph, chip: &Chip) -> Result<KernelMap, LimitError> {
    let limits = &chip.limits;
    let width = limits.kernel_words_per_processor as usize;
    let shared = limits.processors_per_data_instance as usize;
    let mut map = KernelMap {
        width,
        owner: vec![vec![None; width]; limits.processors as usize],
        offsets: vec![None; graph.nodes.len()],
        reused: Vec::new(),
    };
    let all = if limits.processors == 64 {
        u64::MAX
    } else {
        (1 << limits.processors) - 1
    };
    let geometry: Vec<_> = (0..graph.nodes.len())
        .map(|l| KernelGeometry::of(graph, l, chip))
        .collect();
    let full = |l: &usize| geometry[*l].as_ref().is_some_and(|g| g.processors.0 == all);
    let order = (0..graph.nodes.len())
        .filter(full)
        .chain((0..graph.nodes.len()).filter(|l| !full(l)));
    for layer in order {
        let Some(geo) = &geometry[layer] else {
            continue;
        };
        if let Some(src) = duplicate_of(graph, &geometry, layer) {
            map.reused.push((layer, src));
            continue;
        }
        let layout = geo.layout(chip);
        let span = layout.span as usize;
        let exhausted = |p: u32, offs: usize| LimitError {
            layer,
            key: "processors",
            message: format!(
                "kernel memory exhausted at processor {p}: {span} words needed from column {offs}, {width} per processor"
            ),
        };
        let used: Vec<u32> = geo.processors.iter().collect();
        let Some(&first) = used.first() else { continue };
        let mut offs = 0;
        while offs < width && map.owner[first as usize][offs].is_some() {
            offs += shared;
            if offs + span > width {
                return Err(exhausted(first, offs));
            }
        }
        'search: loop {
            for &p in &used {
                if let Some(i) =
                    (offs..offs + span).find(|&i| i >= width || map.owner[p as usize][i].is_some())
                {
                    offs = (i + shared) & !(shared - 1);
                    if offs + span > width {
                        return Err(exhausted(p, offs));
                    }
                    continue 'search;
                }
            }
            break;
        }
        map.offsets[layer] = Some(offs as u32);
        for pc in &layout.processors {
            for &c in &pc.columns {
                let col = offs + c as usize;
                if col >= width {
                    return Err(exhausted(pc.processor, col));
                }
                map.owner[pc.processor as usize][col] = Some(layer);
            }
        }
    }
    Ok(map)
}

/// Contents of kernel memory after allocation: per processor, the used columns (zero padding
/// included) with their bytes `B[0..9]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KernelImage {
    pub columns: Vec<BTreeMap<u32, Vec<u8>>>,
}

/// Fill the blocks of `map` with each layer's kernel bytes (deduplicated layers write
/// nothing). `Err(layer)`: a placed layer has no weights, or weights of the wrong shape.
pub fn kernel_image(graph: &Graph, chip: &Chip, map: &KernelMap) -> Result<KernelImage, NodeId> {
    let limits = &chip.limits;
    let mut image = KernelImage {
        columns: vec![BTreeMap::new(); limits.processors as usize],
    };
    for (layer, offs) in map.offsets.iter().enumerate() {
        let Some(offs) = offs else { continue };
        let Some(geo) = KernelGeometry::of(graph, layer, chip) else {
            continue;
        };
        let rows = geo.kernel_rows(&graph.nodes[layer]).ok_or(layer)?;
        for pb in geo.fill(chip, &rows) {
            let target = &mut image.columns[pb.processor as usize];
            for (c, bytes) in pb.columns {
                target.insert(offs + c, bytes);
            }
        }
    }
    Ok(image)
}

/// An earlier layer whose kernels `layer` reuses (izer deduplicates identical kernels).
fn duplicate_of(
    graph: &Graph,
    geometry: &[Option<KernelGeometry>],
    layer: NodeId,
) -> Option<NodeId> {
    let node = &graph.nodes[layer];
    let geo = geometry[layer].as_ref()?;
    let same_place = |other: NodeId| {
        geometry[other]
            .as_ref()
            .is_some_and(|g| g.processors == geo.processors && g.bits == geo.bits)
    };
    if let Some(src) = node.annex.get::<Placement>().and_then(|p| p.weight_source) {
        return (src < layer && same_place(src)).then_some(src);
    }
    let weights = node.weights.as_ref()?;
    (0..layer).find(|&other| {
        same_place(other)
            && geometry[other]
                .as_ref()
                .is_some_and(|g| g.kernel_len == geo.kernel_len)
            && graph.nodes[other].weights.as_ref() == Some(weights)
    })
}

#[cfg(test)]
mod tests;
