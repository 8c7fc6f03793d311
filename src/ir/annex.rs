//! The annex: one typed slot on every node and on the graph where the device that placed a
//! network keeps its own data (processors, memory offsets, streaming, …).
//!
//! The IR never looks inside. A device stores a value of its own type with [`Annex::new`] and
//! reads it back with [`Annex::get`]; a graph placed for one device reads as unplaced to
//! another. This keeps placement a per-device side table keyed by node — stored beside the
//! node so that passes which reorder or drop nodes carry it along — without the IR naming any
//! device. Everything that changes what a layer computes belongs to the node's own fields,
//! never to the annex.

use std::any::Any;
use std::fmt;

/// What can live in an annex: any plain, comparable, thread-safe value.
pub trait AnnexData: Any + fmt::Debug + Send + Sync {
    fn clone_box(&self) -> Box<dyn AnnexData>;
    fn eq_dyn(&self, other: &dyn AnnexData) -> bool;
    fn as_any(&self) -> &dyn Any;
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

impl<T: Any + fmt::Debug + Clone + PartialEq + Send + Sync> AnnexData for T {
    fn clone_box(&self) -> Box<dyn AnnexData> {
        Box::new(self.clone())
    }
    fn eq_dyn(&self, other: &dyn AnnexData) -> bool {
        other.as_any().downcast_ref::<T>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// A device's data on a node or graph; empty until a device places it.
#[derive(Default)]
pub struct Annex(Option<Box<dyn AnnexData>>);

impl Annex {
    /// An annex holding `value`.
    pub fn new<T: AnnexData>(value: T) -> Self {
        Annex(Some(Box::new(value)))
    }

    /// The value, if this annex holds a `T`.
    pub fn get<T: AnnexData>(&self) -> Option<&T> {
        self.0.as_deref().and_then(|v| v.as_any().downcast_ref())
    }

    /// The value, mutably, if this annex holds a `T`.
    pub fn get_mut<T: AnnexData>(&mut self) -> Option<&mut T> {
        self.0
            .as_deref_mut()
            .and_then(|v| v.as_any_mut().downcast_mut())
    }

    /// Whether no device has placed anything here.
    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }
}

impl Clone for Annex {
    fn clone(&self) -> Self {
        Annex(self.0.as_ref().map(|v| v.clone_box()))
    }
}

impl PartialEq for Annex {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_dyn(b.as_ref()),
            _ => false,
        }
    }
}

impl fmt::Debug for Annex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            None => f.write_str("Annex(empty)"),
            Some(v) => write!(f, "Annex({v:?})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct Here(u32);

    #[test]
    fn holds_one_typed_value() {
        let mut a = Annex::new(Here(3));
        assert_eq!(a.get::<Here>(), Some(&Here(3)));
        assert_eq!(a.get::<u32>(), None);
        a.get_mut::<Here>().unwrap().0 = 4;
        let b = a.clone();
        assert_eq!(b.get::<Here>(), Some(&Here(4)));
        assert_eq!(a, b);
        assert_ne!(a, Annex::new(Here(5)));
        assert_ne!(a, Annex::default());
        assert!(Annex::default().is_empty());
    }
}
