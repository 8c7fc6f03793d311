//! The files of `qtool convert --device gti`: what GTI's closed converter reads (the chip
//! network JSON with `scaling` filled in, `filter.txt`, `bias.txt`, gti.md §4.1, §4.3), the
//! full-model JSON with its data files named (§4.2), the host FC `.bin` files and the labels
//! file (§4.4), and qtool's own containers in place of GTI's `.dat` and `.model` (see
//! [`super::container`]). Owns file names and contents; the coefficients and shifts come from
//! the device's quantized graph.

use super::coef_text::write_values;
use super::container::{Container, ContainerKind, Section};
use super::fc_bin::{FcLayer, fc_bin};
use super::gticnn_io::{cnn_inputs, cnn_outputs};
use crate::netdesc::gti::{ChipNetwork, FullModel, GtiJson, Operation};
use serde_json::Value;

/// One chip sub-layer's integer coefficients (`Wq·2^s` in OIHW order, `Bq·2^s`) and shift.
#[derive(Debug, Clone, PartialEq)]
pub struct SubLayerCoefs {
    pub weights: Vec<i64>,
    pub bias: Vec<i64>,
    pub shift: u8,
}

/// Everything a GTI project is made of.
#[derive(Debug, Clone)]
pub struct ProjectParts {
    /// Name of the `.dat` and `.model` files.
    pub prefix: String,
    pub chip: u32,
    pub network: ChipNetwork,
    /// Per sub-layer in network order.
    pub coefs: Vec<SubLayerCoefs>,
    pub full_model: Option<FullModel>,
    /// The host FC layers in order, with their names.
    pub fc: Vec<(String, FcLayer)>,
    /// The labels file's text.
    pub labels: String,
}

/// Section names inside the containers.
pub const NETWORK_SECTION: &str = "network.json";
pub const FILTER_SECTION: &str = "filter.txt";
pub const BIAS_SECTION: &str = "bias.txt";
pub const FULL_MODEL_SECTION: &str = "fullmodel.json";

/// The chip network as the converter writes it: `scaling` from the shifts, major layers
/// numbered from 1, `MajorLayerNumber` set, qtool's extras left out.
pub fn chip_json(net: &ChipNetwork, coefs: &[SubLayerCoefs]) -> Result<ChipNetwork, String> {
    let mut out = net.without_extras();
    let mut shifts = coefs.iter().map(|c| c.shift);
    for (m, l) in out.layer.iter_mut().enumerate() {
        l.major_layer = m as u32 + 1;
        let s: Vec<u8> = shifts.by_ref().take(l.sublayer_number).collect();
        if s.len() != l.sublayer_number {
            return Err(format!(
                "major layer {}: {} sub-layers, coefficients for {}",
                m + 1,
                l.sublayer_number,
                s.len()
            ));
        }
        l.scaling = Some(s);
    }
    if let Some(m) = out.model.first_mut() {
        m.major_layer_number = Some(out.layer.len());
    }
    Ok(out)
}

/// `filter.txt` and `bias.txt`: the dequantized coefficients (`integer / 2^s`), one per line.
pub fn coefficient_texts(coefs: &[SubLayerCoefs]) -> (String, String) {
    let scaled = |v: &[i64], s: u8| {
        let k = f64::from(1u32 << s);
        v.iter().map(move |&x| x as f64 / k).collect::<Vec<_>>()
    };
    let filter = write_values(coefs.iter().flat_map(|c| scaled(&c.weights, c.shift)));
    let bias = write_values(coefs.iter().flat_map(|c| scaled(&c.bias, c.shift)));
    (filter, bias)
}

fn bin_name(name: &str) -> String {
    format!("{name}.bin")
}

/// A layer name usable as a file name inside the project folder.
fn plain_name(name: &str) -> Result<&str, String> {
    let bad = name.is_empty() || name == ".." || name.contains(['/', '\\', '\0']);
    if bad {
        Err(format!(
            "FC layer name {name:?} cannot name a file in the project folder"
        ))
    } else {
        Ok(name)
    }
}

/// The full model with its data files pointing at this project's files and the `GTICNN`
/// tensors derived from the chip network.
fn full_model_json(parts: &ProjectParts, chip: &ChipNetwork, dat: &str) -> Option<FullModel> {
    let mut full = parts.full_model.as_ref()?.without_extras();
    let mut fc = parts.fc.iter();
    for l in &mut full.layer {
        match l.operation {
            Operation::GtiCnn => {
                l.data_file = Some(Value::String(dat.to_string()));
                l.inputs = Some(cnn_inputs(&chip.layer));
                l.outputs = Some(cnn_outputs(&chip.layer, false));
            }
            Operation::Fc => {
                if let Some((name, _)) = fc.next() {
                    l.data_file = Some(Value::String(bin_name(name)));
                }
            }
            Operation::Label => l.data_file = Some(Value::String("labels.txt".into())),
            Operation::ImageReader | Operation::Softmax => {}
        }
    }
    Some(full)
}

/// Every file of the project, in writing order.
pub fn project_files(parts: &ProjectParts) -> Result<Vec<(String, Vec<u8>)>, String> {
    let chip = chip_json(&parts.network, &parts.coefs)?;
    let chip_text = chip.to_gti_json();
    let (filter, bias) = coefficient_texts(&parts.coefs);
    let dat_name = format!("{}.dat", parts.prefix);
    let mut dat = Container::new(ContainerKind::Chip, parts.chip);
    dat.sections = vec![
        Section::new(NETWORK_SECTION, chip_text.as_bytes()),
        Section::new(FILTER_SECTION, filter.as_bytes()),
        Section::new(BIAS_SECTION, bias.as_bytes()),
    ];
    let dat_bytes = dat.to_bytes().map_err(|e| e.to_string())?;
    let mut files = vec![
        (format!("{}_dat.json", parts.prefix), chip_text.into_bytes()),
        ("filter.txt".to_string(), filter.into_bytes()),
        ("bias.txt".to_string(), bias.into_bytes()),
        (dat_name.clone(), dat_bytes.clone()),
    ];
    let mut model = Container::new(ContainerKind::Model, parts.chip);
    if let Some(full) = full_model_json(parts, &chip, &dat_name) {
        let text = full.to_json();
        model
            .sections
            .push(Section::new(FULL_MODEL_SECTION, text.as_bytes()));
        files.push(("fullmodel_def.json".into(), text.into_bytes()));
    }
    model.sections.push(Section::new(dat_name, dat_bytes));
    for (name, layer) in &parts.fc {
        let name = plain_name(name)?;
        let bytes = fc_bin(layer).map_err(|e| format!("{name}: {e}"))?;
        model
            .sections
            .push(Section::new(bin_name(name), bytes.clone()));
        files.push((bin_name(name), bytes));
    }
    model
        .sections
        .push(Section::new("labels.txt", parts.labels.as_bytes()));
    files.push(("labels.txt".into(), parts.labels.clone().into_bytes()));
    let model_bytes = model.to_bytes().map_err(|e| e.to_string())?;
    files.push((format!("{}.model", parts.prefix), model_bytes));
    Ok(files)
}
