//! Tensor shapes of activations flowing between IR nodes.
//!
//! Owns the one-vs-two-dimensional distinction and izer's `[C,H,W]` / `[C,L]` convention.
//! Must not know about any device or file format.

use serde::Serialize;
use std::fmt;

/// Spatial extent of one activation frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Dims {
    /// One-dimensional data of length `L` (Conv1d, KWS-style inputs).
    D1(usize),
    /// Two-dimensional data, rows × columns.
    D2(usize, usize),
}

impl Dims {
    /// Rows and columns; one-dimensional data counts as `L × 1` (izer stores it so).
    pub fn hw(self) -> (usize, usize) {
        match self {
            Dims::D1(l) => (l, 1),
            Dims::D2(h, w) => (h, w),
        }
    }

    /// Number of pixels (positions) in one channel.
    pub fn pixels(self) -> usize {
        let (h, w) = self.hw();
        h * w
    }
}

/// Channels plus spatial extent of an activation (batch excluded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Shape {
    pub channels: usize,
    pub dims: Dims,
}

impl Shape {
    pub fn d2(channels: usize, h: usize, w: usize) -> Self {
        Shape {
            channels,
            dims: Dims::D2(h, w),
        }
    }

    pub fn d1(channels: usize, l: usize) -> Self {
        Shape {
            channels,
            dims: Dims::D1(l),
        }
    }

    /// Total number of values.
    pub fn numel(self) -> usize {
        self.channels * self.dims.pixels()
    }

    /// izer's list form: `[C, L]` for one-dimensional data, `[C, H, W]` otherwise.
    pub fn to_vec(self) -> Vec<usize> {
        match self.dims {
            Dims::D1(l) => vec![self.channels, l],
            Dims::D2(h, w) => vec![self.channels, h, w],
        }
    }

    /// The same data seen as two-dimensional (`[C, L, 1]` for one-dimensional data).
    pub fn as_d2(self) -> Self {
        let (h, w) = self.dims.hw();
        Shape::d2(self.channels, h, w)
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.dims {
            Dims::D1(l) => write!(f, "{}x{}", self.channels, l),
            Dims::D2(h, w) => write!(f, "{}x{}x{}", self.channels, h, w),
        }
    }
}

impl Serialize for Shape {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_vec().serialize(s)
    }
}
