//! The GTI Lightspeeur family as a [`Target`]: `--device gti --chip N`. So far it reads a
//! chip network JSON, checks it against the chip and reports it (`qtool inspect`); training,
//! simulation and conversion are refused with a clear message until they land.

use super::chip::Chip;
use super::{check_chip_network, inspect};
use crate::device::{LoadRequest, Loaded, Report, Target, TargetError};
use crate::ir::{Annex, Graph, Shape};
use crate::netdesc::gti::{ChipNetwork, GtiJson};
use crate::sim::Simulator;
use ndarray::{Array3, ArrayD};
use std::sync::Arc;

/// The chip network a loaded graph came from, kept in the graph's annex.
#[derive(Debug, Clone, PartialEq)]
pub struct GtiNetwork {
    pub chip: Chip,
    pub network: ChipNetwork,
}

/// `--device gti`; registered without a chip, specialised by `--chip`.
#[derive(Debug, Clone, Copy, Default)]
pub struct GtiTarget {
    chip: Option<Chip>,
}

const CHIPS: &str = "2801, 2803 or 5801";

impl GtiTarget {
    pub fn new(chip: Chip) -> Self {
        GtiTarget { chip: Some(chip) }
    }

    fn chip(&self) -> Result<Chip, TargetError> {
        self.chip.ok_or_else(needs_chip)
    }
}

fn needs_chip() -> TargetError {
    TargetError::message(format!("--device gti needs --chip {CHIPS}"))
}

impl Target for GtiTarget {
    fn name(&self) -> &'static str {
        "gti"
    }

    fn with_variant(&self, variant: Option<&str>) -> Result<Option<Arc<dyn Target>>, TargetError> {
        let Some(v) = variant else {
            return Err(needs_chip());
        };
        let chip = Chip::parse(v).ok_or_else(|| {
            TargetError::message(format!("--chip {v}: not a Lightspeeur chip ({CHIPS})"))
        })?;
        Ok(Some(Arc::new(GtiTarget::new(chip))))
    }

    fn load(&self, req: &LoadRequest) -> Result<Loaded, TargetError> {
        let chip = self.chip()?;
        let file = req.network.display().to_string();
        if req.checkpoint.is_some() || req.fallback_input.is_some() {
            return Err(TargetError::message(format!(
                "{file}: --device gti reads and checks chip networks so far (`qtool inspect`); \
                 checkpoints, training, simulation and conversion are not supported yet"
            )));
        }
        let text = std::fs::read_to_string(&req.network)
            .map_err(|e| TargetError::message(format!("{file}: {e}")))?;
        let network = ChipNetwork::from_json(&text)
            .map_err(|e| TargetError::message(format!("{file}: {e}")))?;
        if let Some(v) = check_chip_network(&network, chip).first() {
            return Err(TargetError::message(format!("{file}: {v}")));
        }
        let input = network.layer.first().map_or(Shape::d2(0, 0, 0), |l| {
            Shape::d2(l.input_channels, l.image_size, l.image_size)
        });
        let mut graph = Graph::new("gti", input, Vec::new());
        graph.annex = Annex::new(GtiNetwork { chip, network });
        Ok(Loaded {
            graph,
            warnings: Vec::new(),
        })
    }

    fn check(&self, _graph: &Graph) -> Result<(), TargetError> {
        Ok(())
    }

    fn inspect(&self, loaded: &Loaded) -> Result<Report, TargetError> {
        let Some(net) = loaded.graph.annex.get::<GtiNetwork>() else {
            return Err(self.unsupported("inspecting a graph not read from a chip network"));
        };
        let report = inspect::report(&net.network, net.chip);
        let json = serde_json::to_string_pretty(&report)
            .map_err(|e| TargetError::message(e.to_string()))?;
        Ok(Report {
            json: json + "\n",
            text: inspect::render_text(&report),
        })
    }

    fn simulator<'g>(&self, _graph: &'g Graph) -> Result<Box<dyn Simulator + 'g>, TargetError> {
        Err(self.unsupported("simulation"))
    }

    fn sample_input(&self, _sample: &ArrayD<i64>) -> Result<Array3<i64>, TargetError> {
        Err(self.unsupported("a sample input"))
    }
}
