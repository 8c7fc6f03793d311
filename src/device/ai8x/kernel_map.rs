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
    /// Columns of each processor's kernel memory.
    widths: Vec<usize>,
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

    /// izer's textual map: one row per processor, one character per column of its memory
    /// (`X` = free).
    pub fn render(&self) -> String {
        let width = if self.offsets.len() > 9 { 3 } else { 1 };
        let mut s = String::new();
        for (row, &columns) in self.owner.iter().zip(&self.widths) {
            for cell in row.iter().take(columns) {
                match cell {
                    Some(l) => s.push_str(&format!("{l:>width$}")),
                    None => s.push_str(&format!("{:>width$}", "X")),
                }
            }
            s.push('\n');
        }
        s
    }

    fn free(&self, processor: u32, col: usize) -> bool {
        self.owner[processor as usize][col].is_none()
    }
}

/// One layer's request to the allocator.
struct Request<'a> {
    layer: NodeId,
    /// Columns needed on every used processor (izer `kern_len`).
    span: usize,
    /// Used input processors, ascending.
    used: &'a [u32],
    /// A depthwise layer on a chip with masked kernel writes: its block must stay inside one
    /// kernel-memory instance.
    one_instance: bool,
}

/// Run izer's greedy kernel allocator (default options, new kernel loader) over `graph`:
/// layers whose input map is all 64 processors first, then the rest, each in layer order.
/// A layer whose processors all have the large kernel memory is first tried from the top of
/// that memory downwards; otherwise (or when that fails) each block starts at the lowest
/// multiple of 4 free on every used processor. Layers with the same kernels, width and input
/// map as an earlier layer (or a `weight_source` with the same map) reuse it.
pub fn allocate_kernels(graph: &Graph, chip: &Chip) -> Result<KernelMap, LimitError> {
    let limits = &chip.limits;
    let max_width = chip.kernel_words_max() as usize;
    let mut map = KernelMap {
        widths: (0..limits.processors)
            .map(|p| chip.kernel_words(p) as usize)
            .collect(),
        owner: vec![vec![None; max_width]; limits.processors as usize],
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
        let used: Vec<u32> = geo.processors.iter().collect();
        if used.is_empty() {
            continue;
        }
        let groups = graph.nodes[layer]
            .annex
            .get::<Placement>()
            .map_or(1, |p| p.conv_groups);
        let req = Request {
            layer,
            span: layout.span as usize,
            used: &used,
            one_instance: chip.features.weight_mask && groups > 1,
        };
        let offs = place(&map, chip, &req)?;
        map.offsets[layer] = Some(offs as u32);
        for pc in &layout.processors {
            let width = map.widths[pc.processor as usize];
            for &c in &pc.columns {
                let col = offs + c as usize;
                if col >= width {
                    return Err(exhausted(&req, pc.processor, col, width));
                }
                map.owner[pc.processor as usize][col] = Some(layer);
            }
        }
    }
    Ok(map)
}

/// The first column of the block for `req`.
fn place(map: &KernelMap, chip: &Chip, req: &Request) -> Result<usize, LimitError> {
    let all_large = req.used.iter().all(|&p| chip.has_extended_kernels(p));
    let small_instance = chip.kernel_instance_words_extended as usize;
    if all_large
        && (!req.one_instance || req.span <= small_instance)
        && let Some(top) = search_down(map, chip, req)
    {
        let shared = chip.limits.processors_per_data_instance as usize;
        return Ok((top + 1 - req.span) & !(shared - 1));
    }
    let offs = search_up(map, chip, req)?;
    let last = req.used[req.used.len() - 1];
    let width = map.widths[last as usize];
    if offs + req.span > width {
        return Err(exhausted(req, last, offs, width));
    }
    Ok(offs)
}

/// Mask of the kernel-memory instance izer consults for column `col`: the extension's small
/// instances from the first large-only column on, the regular ones below.
fn instance_mask(chip: &Chip, col: usize) -> usize {
    let words = if col >= chip.limits.kernel_words_per_processor as usize {
        chip.kernel_instance_words_extended
    } else {
        chip.kernel_instance_words
    };
    words as usize - 1
}

/// izer's upward search: from column 0 in steps of 4 on the first used processor, then the
/// lowest multiple of 4 where `span` columns are free on every used processor.
fn search_up(map: &KernelMap, chip: &Chip, req: &Request) -> Result<usize, LimitError> {
    let shared = chip.limits.processors_per_data_instance as usize;
    let max_width = chip.kernel_words_max() as usize;
    let first = req.used[0];
    let first_width = map.widths[first as usize];
    let mut offs = 0;
    while offs < max_width && !map.free(first, offs) {
        offs += shared;
        if offs + req.span > first_width {
            return Err(exhausted(req, first, offs, first_width));
        }
    }
    'search: loop {
        for &p in req.used {
            if req.one_instance {
                let mask = instance_mask(chip, offs + 2);
                if (offs + 1) & !mask != (offs + req.span) & !mask {
                    offs = ((offs + mask) & !mask) - 1;
                    let mask = instance_mask(chip, offs + 2);
                    if (offs + 1) & !mask != (offs + req.span) & !mask {
                        return Err(LimitError {
                            layer: req.layer,
                            key: "processors",
                            message: format!(
                                "depthwise kernels of {} words do not fit in one kernel memory instance",
                                req.span
                            ),
                        });
                    }
                }
            }
            if offs + req.span > max_width {
                return Err(exhausted(req, p, offs, map.widths[p as usize]));
            }
            if let Some(i) = (offs..offs + req.span).find(|&i| !map.free(p, i)) {
                offs = (i + shared) & !(shared - 1);
                let width = map.widths[p as usize];
                if offs + req.span > width {
                    return Err(exhausted(req, p, offs, width));
                }
                continue 'search;
            }
        }
        let aligned = (offs + shared - 1) & !(shared - 1);
        return Ok(aligned);
    }
}

/// izer's downward search on processors that all have the large memory: the highest column
/// `top` (stepping down by 4 on the first used processor, then to multiples of 4 below each
/// conflict) such that columns `top + 1 − span ..= top` are free on every used processor.
/// `None` when nothing fits above column 0 (izer then searches upwards).
fn search_down(map: &KernelMap, chip: &Chip, req: &Request) -> Option<usize> {
    let shared = chip.limits.processors_per_data_instance as usize;
    let span = req.span.max(1);
    let first = req.used[0];
    let mut top = chip.kernel_words_max() as usize - 1;
    while !map.free(first, top) {
        top = top.checked_sub(shared)?;
    }
    'search: loop {
        for &p in req.used {
            if req.one_instance && top >= 1 {
                let mask = instance_mask(chip, top);
                if (top - 1) & !mask != top.checked_sub(span)? & !mask {
                    top &= !mask;
                }
            }
            let bottom = (top + 1).checked_sub(span)?;
            if let Some(i) = (bottom..=top).rev().find(|&i| !map.free(p, i)) {
                top = i.checked_sub(1)? & !(shared - 1);
                if top + span > map.widths[p as usize] {
                    return None;
                }
                continue 'search;
            }
        }
        return Some(top);
    }
}

fn exhausted(req: &Request, processor: u32, offs: usize, width: usize) -> LimitError {
    LimitError {
        layer: req.layer,
        key: "processors",
        message: format!(
            "kernel memory exhausted at processor {processor}: {} words needed from column {offs}, {width} on this processor",
            req.span
        ),
    }
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
