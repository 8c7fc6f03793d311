//! The registry of whole-array quantizers by name (`qtool fakequant --scheme`): adding a
//! scheme is a type implementing [`TensorQuantizer`] and one line in [`schemes`].

use super::tensor::{TensorQuantError, TensorQuantizer};

/// Every built-in scheme.
pub fn schemes() -> Vec<Box<dyn TensorQuantizer>> {
    vec![
        Box::new(super::gti::tensor::GtiWeight),
        Box::new(super::gti::tensor::GtiActivation),
    ]
}

/// The scheme called `name`.
pub fn scheme(name: &str) -> Result<Box<dyn TensorQuantizer>, TensorQuantError> {
    let all = schemes();
    let known = all.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ");
    all.into_iter()
        .find(|s| s.name().eq_ignore_ascii_case(name))
        .ok_or(TensorQuantError::Unknown {
            name: name.to_string(),
            known,
        })
}
