//! The graph IR every stage reads and writes: front ends build it, passes transform it,
//! back ends consume it. No stage talks to another except through these types. The IR imports
//! no device, scheme, file format or trainer: what a device needs it keeps in the opaque
//! [`Annex`]; [`QuantScheme`] only tags which scheme produced a node's numbers (the tag is
//! stored in checkpoints), its arithmetic is the scheme's.
//!
//! # The life of a model
//!
//! ```text
//!  description ──load──▶ Float ──train──▶ Float ──fuse──▶ Folded ──quantize──▶ Quantized
//!  (+ checkpoint)          │                 (BN)           │      ▲              │
//!                          └──── train --quant-w/--quant-act ┴─▶ Qat ─┘              │
//!                                                       load with the device ▼
//!                                             emitted project ◀──convert── Placed
//! ```
//!
//! A device's loader places every node it builds (whatever the stage of its parameters);
//! "Placed" is a quantized graph so loaded.
//!
//! - **Float**: float parameters (or none yet), batch norm still a separate stage; every node
//!   carries its device's [`TrainingRules`] (output range, batch-norm conventions, init).
//! - **Folded**: batch norm folded into the operators (`crate::fuse`); nothing left to fold.
//! - **Qat**: folded, a scheme's widths recorded in [`QuantAttrs`], parameters still float and
//!   fake-quantized while training (`crate::quant`).
//! - **Quantized**: integer weights and biases, widths and output shifts — what a simulator
//!   and an emitter read (a device's `quantize`, or a quantized checkpoint mapped on load).
//! - **Placed**: quantized, and every node's [`Annex`] holds the device's placement (the
//!   device's loader fills the annex whenever it builds a graph).
//! - **Emitted**: files written from a placed graph; outside the IR.
//!
//! [`Graph::stage`] tells which stage a graph is in; checkpoints record theirs in their
//! metadata (`crate::checkpoint::native`).

mod annex;
mod graph;
mod infer;
mod lifecycle;
mod node;
pub mod params;
mod quantization;
mod shape;

pub use annex::{Annex, AnnexData};
pub use graph::Graph;
pub use infer::{ShapeError, infer_node, is_one_dimensional};
pub use lifecycle::Stage;
pub use node::{
    Activation, BatchNorm, Conv, Eltwise, EltwiseOp, Node, NodeId, Op, Pool, PoolKind, Source,
    TrainingRules, WeightInit,
};
pub use quantization::{
    ActQuant, FixedFormat, LogCoefficient, OperatorFormats, QuantAttrs, QuantScheme, WeightBits,
};
pub use shape::{Dims, Shape};
