//! The graph: nodes in execution order plus the network input.
//!
//! Owns whole-graph invariants (edges point backwards, shapes agree along edges). Must not
//! know how a graph was loaded or where it will run.

use super::annex::Annex;
use super::infer::{ShapeError, infer_node};
use super::node::{Node, NodeId, Source};
use super::shape::Shape;

/// A network: nodes in execution order with explicit input edges.
#[derive(Debug, Clone)]
pub struct Graph {
    /// Model architecture name (checkpoint `arch`).
    pub arch: String,
    /// Dataset the network was made for, if known.
    pub dataset: Option<String>,
    /// Shape of the network input.
    pub input: Shape,
    pub nodes: Vec<Node>,
    /// Nodes whose outputs are network outputs (the last node if nothing else is marked).
    pub outputs: Vec<NodeId>,
    /// Whole-network data of the placing device (see [`Annex`]).
    pub annex: Annex,
}

impl Graph {
    /// A graph of `nodes` (already shaped) reading `input`, its last node the output, not
    /// placed on any device.
    pub fn new(arch: impl Into<String>, input: Shape, nodes: Vec<Node>) -> Self {
        let outputs = nodes.len().checked_sub(1).into_iter().collect();
        Graph {
            arch: arch.into(),
            dataset: None,
            input,
            nodes,
            outputs,
            annex: Annex::default(),
        }
    }

    /// Shape produced by an operand source.
    pub fn source_shape(&self, src: &Source) -> Option<Shape> {
        match src {
            Source::Input => Some(self.input),
            Source::Node(i) => self.nodes.get(*i).map(|n| n.out_shape),
            Source::Buffer(_) => None,
        }
    }

    /// Re-run shape inference over every node and check that edges point backwards.
    pub fn infer_shapes(&mut self) -> Result<(), ShapeError> {
        for i in 0..self.nodes.len() {
            if let Some(bad) = self.nodes[i].inputs.iter().find_map(|s| match s {
                Source::Node(j) if *j >= i => Some(*j),
                _ => None,
            }) {
                return Err(ShapeError {
                    layer: i,
                    message: format!("reads layer {bad}, which does not run before it"),
                });
            }
            infer_node(i, &mut self.nodes[i])?;
        }
        Ok(())
    }

    /// Total number of trainable parameters.
    pub fn param_count(&self) -> usize {
        self.nodes.iter().map(Node::param_count).sum()
    }
}
