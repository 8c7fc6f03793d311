//! The registries of device-independent schemes: whole-array quantizers by name (`qtool
//! fakequant --scheme`: adding one is a type implementing [`TensorQuantizer`] and one line in
//! [`schemes`]) and training schemes by their settings (`train --scheme`, [`qat_scheme`]).

use super::QatScheme;
use super::gfpq::GfpqScheme;
use super::quantclip::QuantclipScheme;
use super::settings::SchemeSettings;
use super::tensor::{TensorQuantError, TensorQuantizer};
use std::sync::Arc;

/// The training scheme of recorded settings.
pub fn qat_scheme(settings: &SchemeSettings) -> Arc<dyn QatScheme> {
    match *settings {
        SchemeSettings::Quantclip {
            resolution,
            msb,
            calib_images,
        } => Arc::new(QuantclipScheme {
            resolution,
            msb,
            calib_images,
        }),
        SchemeSettings::Gfpq {
            bits,
            mode,
            calib_images,
        } => Arc::new(GfpqScheme {
            bits,
            mode,
            calib_images,
        }),
    }
}

/// Every built-in scheme.
pub fn schemes() -> Vec<Box<dyn TensorQuantizer>> {
    vec![
        Box::new(super::gti::tensor::GtiWeight),
        Box::new(super::gti::tensor::GtiActivation),
        Box::new(super::quantclip::tensor::Quantclip),
        Box::new(super::gfpq::tensor::Gfpq),
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
