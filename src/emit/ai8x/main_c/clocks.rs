//! The clock statements of `main.c`: the core clock, the CNN clock given to `cnn_enable()`,
//! the faster CNN clock for the inference and back, the PLL on and off.
//!
//! Owns the clock plan read from the [`Chip`] (izer's defaults: the PLL and the pipeline
//! where the chip has them, balanced loading) and its C text. Must not decide where in
//! `main()` these statements go (`main_c` does) nor touch `cnn.c`'s `cnn_enable()`.

use crate::device::ai8x::Chip;
use std::fmt::Write;

/// Where the CNN clock comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CnnClockSource {
    /// The peripheral (APB) clock.
    Apb,
    /// The internal PLL.
    Pll,
}

impl CnnClockSource {
    /// The SDK's selector value suffix (`MXC_S_GCR_PCLKDIV_CNNCLKSEL_…`).
    fn selector(self) -> &'static str {
        match self {
            CnnClockSource::Apb => "PCLK",
            CnnClockSource::Pll => "IPLL",
        }
    }

    fn name(self) -> &'static str {
        match self {
            CnnClockSource::Apb => "APB",
            CnnClockSource::Pll => "PLL",
        }
    }
}

/// How `main()` clocks the core and the accelerator on one chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ClockPlan {
    /// Core clock: the internal primary oscillator, in MHz.
    ipo_mhz: u32,
    source: CnnClockSource,
    /// Frequency of `source` in MHz.
    source_mhz: u32,
    /// Divider while weights, bias and input are loaded (`cnn_enable()`).
    load_divider: u32,
    /// Divider while the network runs.
    run_divider: u32,
}

impl ClockPlan {
    /// izer's default plan for `chip`: with a PLL, the CNN runs from it, loads at a quarter of
    /// its speed and switches to full speed for the inference only (balanced power); without
    /// one, the APB clock divided down to what the accelerator takes without the pipeline.
    pub(super) fn for_chip(chip: &Chip) -> Self {
        let clocks = chip.clocks;
        let (source, source_mhz) = if chip.features.pll {
            (CnnClockSource::Pll, clocks.pll_mhz)
        } else {
            (CnnClockSource::Apb, clocks.apb_mhz)
        };
        let run_divider = if chip.features.pipeline {
            1
        } else {
            source_mhz
                .div_ceil(clocks.max_unpipelined_mhz.max(1))
                .max(1)
                .next_power_of_two()
        };
        let load_divider = if source == CnnClockSource::Pll {
            4
        } else {
            run_divider
        };
        ClockPlan {
            ipo_mhz: clocks.ipo_mhz,
            source,
            source_mhz,
            load_divider,
            run_divider,
        }
    }

    fn pll(&self) -> bool {
        self.source == CnnClockSource::Pll
    }

    /// Whether the inference runs at another CNN clock than the loading.
    fn switches(&self) -> bool {
        self.load_divider != self.run_divider
    }

    /// The core clock (and the PLL, started early so that it is locked when the CNN needs
    /// it), after the instruction cache: `MXC_SYS_Clock_Select`, `SystemCoreClockUpdate`.
    pub(super) fn core_clock(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "  // Core clock: {} MHz internal primary oscillator\n  \
             MXC_SYS_Clock_Select(MXC_SYS_CLOCK_IPO);",
            self.ipo_mhz
        );
        if self.pll() {
            s.push_str("  MXC_GCR->ipll_ctrl |= MXC_F_GCR_IPLL_CTRL_EN; // PLL on\n");
        }
        s.push_str("  SystemCoreClockUpdate();\n\n");
    }

    /// `cnn_enable()` with the loading clock.
    pub(super) fn cnn_enable(&self, s: &mut String) {
        let _ = writeln!(
            s,
            "  // Accelerator power, interrupt and clock ({} clock, {} MHz, divided by {})\n  \
             cnn_enable(MXC_S_GCR_PCLKDIV_CNNCLKSEL_{}, MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV{});",
            self.source.name(),
            self.source_mhz,
            self.load_divider,
            self.source.selector(),
            self.load_divider
        );
    }

    /// Before `cnn_start()`: the inference clock, where it differs from the loading clock.
    pub(super) fn switch_to_inference(&self, s: &mut String, indent: &str) {
        if self.switches() {
            self.select(s, indent, self.run_divider, "for the inference");
        }
    }

    /// After the inference: back to the loading clock, where they differ.
    pub(super) fn switch_to_loading(&self, s: &mut String, indent: &str) {
        if self.switches() {
            self.select(s, indent, self.load_divider, "again after the inference");
        }
    }

    fn select(&self, s: &mut String, indent: &str, divider: u32, when: &str) {
        let _ = writeln!(
            s,
            "{indent}// CNN clock: {} clock, {} MHz, divided by {divider} {when}\n\
             {indent}MXC_GCR->pclkdiv = (MXC_GCR->pclkdiv & \
             ~(MXC_F_GCR_PCLKDIV_CNNCLKDIV | MXC_F_GCR_PCLKDIV_CNNCLKSEL))\n\
             {indent}                   | MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV{divider} | \
             MXC_S_GCR_PCLKDIV_CNNCLKSEL_{};",
            self.source.name(),
            self.source_mhz,
            self.source.selector()
        );
    }

    /// After `cnn_disable()`: the PLL off, when it was on.
    pub(super) fn pll_off(&self, s: &mut String) {
        if self.pll() {
            s.push_str("  MXC_GCR->ipll_ctrl &= ~MXC_F_GCR_IPLL_CTRL_EN; // PLL off\n\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::ai8x::{MAX78000, MAX78002};

    #[test]
    fn max78000_loads_and_runs_at_the_apb_clock() {
        let plan = ClockPlan::for_chip(&MAX78000);
        assert!(!plan.switches());
        let mut s = String::new();
        plan.core_clock(&mut s);
        plan.cnn_enable(&mut s);
        plan.switch_to_inference(&mut s, "  ");
        plan.pll_off(&mut s);
        assert!(s.contains("100 MHz internal primary oscillator"));
        assert!(s.contains(
            "cnn_enable(MXC_S_GCR_PCLKDIV_CNNCLKSEL_PCLK, MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV1);"
        ));
        assert!(!s.contains("ipll") && !s.contains("pclkdiv"));
    }

    #[test]
    fn max78002_loads_at_a_quarter_of_the_pll_and_runs_at_full_speed() {
        let plan = ClockPlan::for_chip(&MAX78002);
        let mut s = String::new();
        plan.core_clock(&mut s);
        assert!(s.contains("120 MHz"));
        assert!(s.contains("MXC_GCR->ipll_ctrl |= MXC_F_GCR_IPLL_CTRL_EN;"));
        s.clear();
        plan.cnn_enable(&mut s);
        assert!(s.contains(
            "cnn_enable(MXC_S_GCR_PCLKDIV_CNNCLKSEL_IPLL, MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV4);"
        ));
        s.clear();
        plan.switch_to_inference(&mut s, "  ");
        assert!(
            s.contains("| MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV1 | MXC_S_GCR_PCLKDIV_CNNCLKSEL_IPLL;")
        );
        s.clear();
        plan.switch_to_loading(&mut s, "    ");
        assert!(s.starts_with("    // CNN clock: PLL clock, 200 MHz, divided by 4"));
        assert!(
            s.contains("| MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV4 | MXC_S_GCR_PCLKDIV_CNNCLKSEL_IPLL;")
        );
        s.clear();
        plan.pll_off(&mut s);
        assert!(s.contains("MXC_GCR->ipll_ctrl &= ~MXC_F_GCR_IPLL_CTRL_EN;"));
    }
}
