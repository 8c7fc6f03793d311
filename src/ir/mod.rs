//! The graph IR every stage reads and writes: front ends build it, passes transform it,
//! back ends consume it. No stage talks to another except through these types.

mod graph;
mod infer;
mod node;
pub mod params;
mod quant;
mod shape;

pub use graph::Graph;
pub use infer::{ShapeError, infer_node, is_one_dimensional};
pub use node::{
    Activation, BatchNorm, Conv, Eltwise, EltwiseOp, Node, NodeId, Op, Pool, PoolKind, Source,
};
pub use quant::{ActQuant, QuantAttrs, QuantScheme, WeightBits};
pub use shape::{Dims, Shape};
