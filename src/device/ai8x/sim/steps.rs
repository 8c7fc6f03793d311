//! What both simulation paths share: joining a layer's operands (channel stacking or pixel
//! concatenation), and the input checks with their error texts. Imports neither path.

use super::SimError;
use crate::device::ai8x::Placement;
use crate::ir::{Node, Source};
use ndarray::{ArrayView4, Axis, CowArray, Ix4, concatenate};

/// A batch that is either a view of earlier data or computed for this layer.
pub(super) type Frames<'a> = CowArray<'a, i64, Ix4>;

/// A layer's operands joined: one source as it is, equally sized frames stacked along the
/// channels, others concatenated pixel by pixel into the layer's `in_dim` frame.
pub(super) fn join<'a>(
    index: usize,
    node: &Node,
    parts: Vec<ArrayView4<'a, i64>>,
) -> Result<Frames<'a>, SimError> {
    if parts.len() == 1 {
        return Ok(CowArray::from(parts[0]));
    }
    let hw = |a: &ArrayView4<i64>| (a.dim().2, a.dim().3);
    if parts.iter().all(|p| hw(p) == hw(&parts[0])) {
        return concatenate(Axis(1), &parts)
            .map(CowArray::from)
            .map_err(|e| SimError::layer(index, e.to_string()));
    }
    // Pixel concatenation: each source flattened per channel, joined along the pixel axis.
    let (b, c0) = (parts[0].dim().0, parts[0].dim().1);
    let flat = parts
        .iter()
        .map(|p| {
            let (b, c, h, w) = p.dim();
            p.as_standard_layout()
                .into_owned()
                .into_shape_with_order((b, c, h * w))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SimError::layer(index, e.to_string()))?;
    let views: Vec<_> = flat.iter().map(|f| f.view()).collect();
    let joined = concatenate(Axis(2), &views)
        .map_err(|e| SimError::layer(index, format!("pixel concatenation: {e}")))?;
    let (h, w) = joined_frame(node, joined.dim().2);
    joined
        .into_shape_with_order((b, c0, h, w))
        .map(CowArray::from)
        .map_err(|e| SimError::layer(index, format!("pixel concatenation: {e}")))
}

/// Why input `s` of layer `index` cannot be read.
pub(super) fn unreadable(index: usize, s: &Source) -> SimError {
    let what = match s {
        Source::Node(i) => format!("reads layer {i}, which has not run"),
        Source::Buffer(name) => format!("data buffer `{name}` inputs are not simulated"),
        Source::Input => "cannot read the input".to_string(),
    };
    SimError::layer(index, what)
}

/// Height and width of a pixel concatenation of `pixels` values per channel: the layer's
/// `in_dim`, or one column.
pub(super) fn joined_frame(node: &Node, pixels: usize) -> (usize, usize) {
    node.annex
        .get::<Placement>()
        .and_then(|p| p.in_dim)
        .map_or((pixels, 1), |d| (d[0], d[1]))
}

pub(super) fn check_operands(index: usize, channels: usize, n: usize) -> Result<(), SimError> {
    if channels.is_multiple_of(n) {
        return Ok(());
    }
    Err(SimError::layer(
        index,
        format!("{channels} input channels cannot be split into {n} operands"),
    ))
}

/// The row after the last one `in_crop` keeps of `h` rows.
pub(super) fn crop_end(index: usize, h: usize, top: u32, bottom: u32) -> Result<usize, SimError> {
    h.checked_sub(bottom as usize)
        .filter(|e| *e > top as usize)
        .ok_or_else(|| SimError::layer(index, "`in_crop` removes every row"))
}

/// The computed `[C,H,W]` must be the shape inference gave the node.
pub(super) fn check_output(
    index: usize,
    node: &Node,
    dim: (usize, usize, usize),
) -> Result<(), SimError> {
    let (h, w) = node.out_shape.dims.hw();
    if dim == (node.out_shape.channels, h, w) {
        return Ok(());
    }
    Err(SimError::layer(
        index,
        format!(
            "computed output {dim:?} differs from the inferred shape {}",
            node.out_shape
        ),
    ))
}

pub(super) fn check_channels(index: usize, have: usize, need: usize) -> Result<(), SimError> {
    if have == need {
        Ok(())
    } else {
        Err(SimError::layer(
            index,
            format!("the operator needs {need} input channels, the data has {have}"),
        ))
    }
}
