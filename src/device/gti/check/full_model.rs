//! Limit checks of a full-model JSON against its chip network and the chip (gti.md §4.2):
//! the layer order (image reader, one `GTICNN` per chip of the cascade, then host layers), the
//! image reader's size, each `GTICNN`'s `device.chip` and `mode`, the chip output size it
//! announces, and each `FC`'s size and activation. A violation reads `layer N: KEY: what (limit)` (N counts from 1).

use super::{Findings, Location, Violation};
use crate::device::gti::chip::Chip;
use crate::netdesc::gti::{ChipNetwork, FullModel, ModelLayer, Operation};

/// `(channels, height)` of the chip network's input and output (after the last pooling).
fn chip_io(net: &ChipNetwork) -> Option<((usize, usize), (usize, usize))> {
    let first = net.layer.first()?;
    let last = net.layer.last()?;
    let up = if last.upsample() { 2 } else { 1 };
    let down = if last.pooling() { 2 } else { 1 };
    Some((
        (first.input_channels, first.image_size),
        (last.output_channels, last.image_size * up / down),
    ))
}

/// SDK model-tool modes the chip accepts (2801: 0, 1, 2, 4 per the TF user guide; the
/// others publish no list, so any non-negative mode).
fn mode_ok(chip: Chip, mode: i64) -> bool {
    match chip {
        Chip::C2801 => [0, 1, 2, 4].contains(&mode),
        _ => mode >= 0,
    }
}

fn size_keys(l: &ModelLayer, at: Location, (c, h): (usize, usize), whose: &str, f: &mut Findings) {
    let keys = [
        ("output channels", l.output_channels, c),
        ("output height", l.output_height, h),
        ("output width", l.output_width, h),
    ];
    for (key, value, want) in keys {
        if let Some(v) = value.filter(|v| *v != want) {
            f.add(at, key, format!("{v}"), format!("{whose} gives {want}"));
        }
    }
}

/// Every rule `full` breaks for the chip network `net` on `chip`, in file order.
pub fn check_full_model(full: &FullModel, net: &ChipNetwork, chip: Chip) -> Vec<Violation> {
    let mut f = Findings(Vec::new());
    let chips = net.model.first().and_then(|m| m.chip_number).unwrap_or(1) as usize;
    let Some((input, output)) = chip_io(net) else {
        return f.0;
    };
    let mut cnns = 0;
    let mut host_seen = false;
    for (k, l) in full.layer.iter().enumerate() {
        let at = Location::Host(k + 1);
        match l.operation {
            Operation::ImageReader if k != 0 => {
                f.add(
                    at,
                    "operation",
                    "IMAGEREADER".into(),
                    "the first layer only",
                );
            }
            Operation::ImageReader => size_keys(l, at, input, "the chip network's input", &mut f),
            Operation::GtiCnn => {
                cnns += 1;
                if host_seen {
                    f.add(
                        at,
                        "operation",
                        "GTICNN after a host layer".into(),
                        "chips first",
                    );
                }
                match &l.device {
                    Some(d) if d.chip.trim() != chip.number().to_string() => {
                        let what = format!("{:?} is not the chip asked for", d.chip);
                        f.add(at, "device.chip", what, format!("--chip {chip}"));
                    }
                    None => f.add(at, "device", "missing".into(), "a chip and its settings"),
                    _ => {}
                }
                if let Some(m) = l.mode.filter(|m| !mode_ok(chip, *m)) {
                    let limit = if chip == Chip::C2801 {
                        "0, 1, 2 or 4 on the 2801"
                    } else {
                        "0 or more"
                    };
                    f.add(at, "mode", format!("{m}"), limit);
                }
                if cnns == chips {
                    size_keys(l, at, output, "the chip network", &mut f);
                }
            }
            Operation::Fc => {
                host_seen = true;
                if l.output_channels.is_none_or(|c| c == 0) {
                    f.add(
                        at,
                        "output channels",
                        "missing or 0".into(),
                        "a positive count",
                    );
                }
                if let Some(a) = l.activation.as_deref().filter(|a| *a != "relu") {
                    let what = format!("{a:?} is not one qtool knows");
                    f.add(at, "activation", what, "relu");
                }
            }
            Operation::Softmax | Operation::Label => host_seen = true,
        }
    }
    if full.layer.first().map(|l| l.operation) != Some(Operation::ImageReader) {
        f.add(
            Location::Host(1),
            "operation",
            "no IMAGEREADER".into(),
            "the first layer",
        );
    }
    if cnns != chips {
        let what = format!("{cnns} GTICNN layers");
        f.add(
            Location::Model,
            "GTICNN",
            what,
            format!("one per chip ({chips})"),
        );
    }
    f.0
}
