//! A chip network (and the host layers of its full model) as the graph IR: one `Conv2d` node
//! per conv sub-layer with its ReLU, max pooling as the next node's pooling stage, sample
//! pooling as a stride-2 last sub-layer (gti.md §1.2: the two are the same), residual pairs
//! as two convs and an addition node, and one `Linear` node per host `FC` layer, the first
//! flattening the chip's `[C][H][W]` output.
//!
//! Owns that mapping and the per-node [`ChipSlot`] annex (which major and sub-layer a node
//! is, and its mask). Must not check chip limits (`super::check` does) or quantize.

use super::budget::sublayers;
use super::chip::{Chip, MaskBits};
use crate::ir::{
    Activation, BatchNorm, Conv, Eltwise, EltwiseOp, Graph, Node, Op, Pool, PoolKind, QuantAttrs,
    QuantScheme, Shape, Source, WeightBits, infer_node,
};
use crate::netdesc::gti::{ChipExtras, ChipNetwork, FullModel, Operation};
use ndarray::Array1;

/// Where a conv node sits on the chip (0-based), and its major layer's coefficient mask.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChipSlot {
    pub major: usize,
    pub sub: usize,
    pub mask: MaskBits,
    /// The addition (and ReLU) ending a residual pair rather than a conv sub-layer (a pooling
    /// node of a major layer is a `Passthrough` with `false`); neither has coefficients.
    pub residual_add: bool,
    /// The chip's last conv with a 10-bit output (`ten_bits_enable`, gti.md §1.2 mode b).
    pub ten_bits: bool,
}

/// The first on-chip feature the graph cannot express yet (upsampling, 10-bit outputs other
/// than a last major layer of one plain sub-layer, sample pooling after a residual addition),
/// or `None`.
pub fn unsupported_feature(net: &ChipNetwork) -> Option<String> {
    let sampling = net.model.first().and_then(|m| m.sampling_method) == Some(1);
    if net
        .model
        .first()
        .and_then(|m| m.chip_number)
        .is_some_and(|n| n > 1)
    {
        return Some(
            "model: ChipNumber: a cascade is checked and reported, but qtool cannot train, \
             quantize or simulate one yet"
                .to_string(),
        );
    }
    net.layer.iter().enumerate().find_map(|(m, l)| {
        let ends_with_pair = l
            .resnet_shortcut_start_layers
            .as_ref()
            .is_some_and(|s| s.contains(&l.sublayer_number.saturating_sub(1)));
        let what = if l.upsample() {
            "upsample_enable: upsampling"
        } else if l.ten_bits()
            && (m + 1 != net.layer.len()
                || l.sublayer_number != 1
                || l.resnet_shortcut_start_layers.is_some())
        {
            "ten_bits_enable: 10-bit activations other than a last major layer of one plain \
             sub-layer"
        } else if sampling && l.pooling() && ends_with_pair {
            "resnet_shortcut_start_layers: sample pooling after a residual addition"
        } else {
            return None;
        };
        Some(format!(
            "major layer {}: {what} is checked and reported, but qtool cannot train, \
             quantize or simulate it yet",
            m + 1
        ))
    })
}

fn fresh_batchnorm(channels: usize) -> BatchNorm {
    BatchNorm {
        gamma: Some(Array1::ones(channels)),
        beta: Some(Array1::zeros(channels)),
        running_mean: Array1::zeros(channels),
        running_var: Array1::ones(channels),
        eps: 1e-5,
    }
}

const MAX_POOL: Pool = Pool {
    kind: PoolKind::Max,
    size: [2, 2],
    stride: [2, 2],
    dilation: [1, 1],
};

/// The nodes being built, and where the data is.
struct Builder {
    nodes: Vec<Node>,
    shape: Shape,
    pending_pool: Option<Pool>,
}

impl Builder {
    fn last(&self) -> Source {
        self.nodes
            .len()
            .checked_sub(1)
            .map_or(Source::Input, Source::Node)
    }

    fn push(&mut self, mut node: Node, what: impl Fn() -> String) -> Result<Source, String> {
        let i = self.nodes.len();
        infer_node(i, &mut node).map_err(|e| format!("{}: {}", what(), e.message))?;
        self.shape = node.out_shape;
        self.nodes.push(node);
        Ok(Source::Node(i))
    }

    /// The pending max pooling as a node of its own (a residual pair needs its pooled input
    /// as the shortcut).
    fn pool_node(&mut self, slot: ChipSlot) -> Result<(), String> {
        if let Some(pool) = self.pending_pool.take() {
            let mut node = Node::new(Op::Passthrough, vec![self.last()], self.shape);
            node.name = Some(format!("pool{}", slot.major + 1));
            node.pool = Some(pool);
            node.annex = crate::ir::Annex::new(slot);
            self.push(node, || format!("major layer {} pooling", slot.major + 1))?;
        }
        Ok(())
    }
}

/// Build the graph of `net` for `chip`, followed by the `FC` layers of `host` if given.
/// `net` has passed the chip checks. Errors name the major layer, sub-layer or host layer.
///
/// A residual pair (`resnet_shortcut_start_layers`) is its two conv nodes, the second
/// without activation, and an addition node (the second conv's output plus the pair's input,
/// then the ReLU); a major layer that starts with a pair after max pooling gets the pooling
/// as a node of its own, so that the shortcut reads the pooled data.
pub fn build(
    net: &ChipNetwork,
    chip: Chip,
    extras: &ChipExtras,
    host: Option<&FullModel>,
    arch: &str,
) -> Result<Graph, String> {
    if let Some(why) = unsupported_feature(net) {
        return Err(why);
    }
    let first = net.layer.first().ok_or("the network has no major layers")?;
    let input = Shape::d2(first.input_channels, first.image_size, first.image_size);
    let sampling = net.model.first().and_then(|m| m.sampling_method) == Some(1);
    let mut b = Builder {
        nodes: Vec::new(),
        shape: input,
        pending_pool: None,
    };
    let mut count = 0;
    for (m, l) in net.layer.iter().enumerate() {
        let mask = MaskBits::new(l.coef_bits).ok_or_else(|| {
            format!(
                "major layer {}: coef_bits: no chip has {}",
                m + 1,
                l.coef_bits
            )
        })?;
        let widths = chip.widths(mask).ok_or_else(|| {
            format!(
                "major layer {}: coef_bits: the {chip} has no mask {mask}",
                m + 1
            )
        })?;
        let starts: Vec<usize> = l.resnet_shortcut_start_layers.clone().unwrap_or_default();
        let mut shortcut = None;
        for s in sublayers(l) {
            let (sub, one, depthwise) = (s.sub - 1, s.one_by_one, s.depthwise);
            let slot = ChipSlot {
                major: m,
                sub,
                mask,
                residual_add: false,
                ten_bits: l.ten_bits(),
            };
            let (channels, out) = (s.input_channels, s.output_channels);
            let second_of_pair = shortcut.is_some();
            if starts.contains(&s.sub) {
                if second_of_pair {
                    return Err(format!(
                        "major layer {}: resnet_shortcut_start_layers: a pair starts at \
                         sub-layer {} inside the previous pair",
                        m + 1,
                        s.sub
                    ));
                }
                b.pool_node(slot)?;
                shortcut = Some(b.last());
            }
            let last = s.sub == l.sublayer_number;
            let stride = if last && l.pooling() && sampling {
                2
            } else {
                1
            };
            let mut conv = Conv::plain(out, if one { [1, 1] } else { [3, 3] });
            conv.pad = if one { [0, 0] } else { [1, 1] };
            conv.stride = [stride, stride];
            conv.groups = if depthwise { channels } else { 1 };
            let mut node = Node::new(Op::Conv2d(conv), vec![b.last()], b.shape);
            node.name = Some(
                extras
                    .names
                    .as_ref()
                    .and_then(|n| n.get(count).cloned())
                    .unwrap_or_else(|| format!("conv{}_{}", m + 1, sub + 1)),
            );
            count += 1;
            node.pool = b.pending_pool.take();
            node.activation = if second_of_pair {
                Activation::None
            } else {
                Activation::Relu
            };
            if extras.batch_norm() {
                node.batchnorm = Some(fresh_batchnorm(out));
                node.with_bias = Some(false);
            } else {
                node.with_bias = Some(true);
            }
            node.quant = QuantAttrs {
                scheme: QuantScheme::Gti,
                weight_bits: WeightBits::try_from(mask.bits()).ok(),
                bias_bits: Some(widths.bias_bits),
                ..QuantAttrs::default()
            };
            node.annex = crate::ir::Annex::new(slot);
            let at = || format!("major layer {} sub-layer {}", m + 1, sub + 1);
            let conv2 = b.push(node, at)?;
            if second_of_pair {
                let from = shortcut.take().expect("a pair has its input");
                let mut add = Node::new(Op::Passthrough, vec![conv2, from], b.shape);
                add.name = Some(format!("add{}_{}", m + 1, sub + 1));
                add.eltwise = Some(Eltwise {
                    op: EltwiseOp::Add,
                    operands: 2,
                    pool_first: false,
                });
                add.activation = Activation::Relu;
                add.annex = crate::ir::Annex::new(ChipSlot {
                    residual_add: true,
                    ..slot
                });
                b.push(add, at)?;
            }
        }
        if l.pooling() && !sampling {
            b.pending_pool = Some(MAX_POOL);
        }
    }
    let Builder {
        mut nodes,
        shape,
        mut pending_pool,
    } = b;
    if let Some(host) = host {
        add_host_layers(&mut nodes, &mut pending_pool, host)?;
    }
    if let Some(pool) = pending_pool {
        let i = nodes.len();
        let mut node = Node::new(Op::Passthrough, vec![Source::Node(i - 1)], shape);
        node.name = Some("pool".into());
        node.pool = Some(pool);
        infer_node(i, &mut node).map_err(|e| format!("the chip's last pooling: {}", e.message))?;
        nodes.push(node);
    }
    let mut graph = Graph::new(arch, input, nodes);
    graph.dataset = extras.dataset.clone();
    Ok(graph)
}

/// The host's `FC` layers after the chip output (the first flattens it in C, H, W order).
fn add_host_layers(
    nodes: &mut Vec<Node>,
    pending_pool: &mut Option<Pool>,
    host: &FullModel,
) -> Result<(), String> {
    for (k, l) in host.layer.iter().enumerate() {
        if l.operation != Operation::Fc {
            continue;
        }
        let name = l.name.clone().unwrap_or_else(|| format!("fc{}", k + 1));
        let out = l
            .output_channels
            .filter(|&c| c > 0)
            .ok_or_else(|| format!("layer {} ({name}): output channels: missing or 0", k + 1))?;
        let act = match l.activation.as_deref() {
            None => Activation::None,
            Some("relu") => Activation::Relu,
            Some(other) => {
                return Err(format!(
                    "layer {} ({name}): activation: {other:?} is not one qtool knows (relu)",
                    k + 1
                ));
            }
        };
        let i = nodes.len();
        let prev = &nodes[i - 1];
        let mut node = Node::new(
            Op::Linear { out_features: out },
            vec![Source::Node(i - 1)],
            prev.out_shape,
        );
        node.flatten = !matches!(prev.op, Op::Linear { .. });
        node.pool = pending_pool.take();
        node.name = Some(name.clone());
        node.activation = act;
        node.with_bias = Some(true);
        infer_node(i, &mut node).map_err(|e| format!("layer {} ({name}): {}", k + 1, e.message))?;
        nodes.push(node);
    }
    Ok(())
}

/// The chip's sub-layer of node `node`, if it runs on the chip.
pub fn chip_slot(node: &Node) -> Option<ChipSlot> {
    node.annex.get::<ChipSlot>().copied()
}
