//! `--energy` in `main.c`: the intervals a power monitor measures (weight loading, input
//! loading, input and inference, each 100 times between `CNN_START`/`CNN_COMPLETE`), and the
//! monitor's trigger pins on chips that need them (`Features::pmon_gpio`).
//!
//! Owns these statements. Must not decide where in `main()` they go (`main_c` does) nor the
//! clocks (`clocks`).

use super::clocks::ClockPlan;
use std::fmt::Write;

/// The two pins a power monitor watches with `--energy` on chips that need them (izer
/// `REQUIRE_PMON_GPIO`): (variable, port, pin) for the system mark and the inference mark.
pub(crate) const PMON_PINS: [(&str, u32, u32); 2] = [("gpio_trig1", 1, 6), ("gpio_trig2", 1, 7)];

/// The global pin descriptions of [`PMON_PINS`] (declared `extern` in `cnn.h`).
pub(super) fn pmon_globals(s: &mut String) {
    let _ = writeln!(
        s,
        "mxc_gpio_cfg_t {}, {}; // Power-monitor trigger pins",
        PMON_PINS[0].0, PMON_PINS[1].0
    );
}

/// Configures [`PMON_PINS`] as outputs, at the start of `main()`.
pub(super) fn pmon_setup(s: &mut String) {
    s.push_str("  // Power-monitor trigger pins: system activity, then inference\n");
    for (var, port, pin) in PMON_PINS {
        let _ = writeln!(
            s,
            "  {var}.port = MXC_GPIO{port};\n  {var}.mask = MXC_GPIO_PIN_{pin};\n  \
             {var}.pad = MXC_GPIO_PAD_NONE;\n  {var}.func = MXC_GPIO_FUNC_OUT;\n  \
             MXC_GPIO_Config(&{var});\n"
        );
    }
}

/// `--energy`: weight loading (and input loading, unless the FIFOs stream it) repeated 100
/// times between `CNN_START`/`CNN_COMPLETE` marks for the power monitor.
pub(super) fn loads(s: &mut String, fifo: bool) {
    s.push_str(concat!(
        "\n  printf(\"Measuring weight loading...\\n\");\n",
        "  CNN_START;\n",
        "  for (i = 0; i < 100; i++)\n",
        "    cnn_load_weights();\n",
        "  CNN_COMPLETE;\n\n",
        "  MXC_TMR_Delay(MXC_TMR0, 500000);\n",
    ));
    if fifo {
        s.push_str(concat!(
            "  printf(\"Skipping input loading (using FIFO)...\\n\");\n",
            "  CNN_START;\n",
            "  MXC_TMR_Delay(MXC_TMR0, 10); // Marks an empty interval\n",
            "  CNN_COMPLETE;\n\n",
        ));
    } else {
        s.push_str(concat!(
            "  printf(\"Measuring input loading...\\n\");\n",
            "  CNN_START;\n",
            "  for (i = 0; i < 100; i++)\n",
            "    load_input();\n",
            "  CNN_COMPLETE;\n\n",
        ));
    }
}

/// `--energy`: 100 inferences (with their input loading) between the power-monitor marks,
/// each at the inference clock and back.
pub(super) fn inference(s: &mut String, fifo: bool, clock: &ClockPlan) {
    s.push_str(concat!(
        "\n  MXC_TMR_Delay(MXC_TMR0, 500000);\n",
        "  printf(\"Measuring input load + inference...\\n\");\n",
        "  CNN_START;\n",
        "  for (i = 0; i < 100; i++) {\n",
    ));
    if !fifo {
        s.push_str("    load_input();\n");
    }
    clock.switch_to_inference(s, "    ");
    s.push_str("    cnn_start();\n");
    if fifo {
        s.push_str("    load_input();\n");
    }
    // The SDK's sleep call on either core, as izer writes it.
    s.push_str("    while (cnn_time == 0)\n      MXC_LP_EnterSleepMode();\n");
    clock.switch_to_loading(s, "    ");
    s.push_str("  }\n  CNN_COMPLETE;\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn power_monitor_pins() {
        let mut s = String::new();
        pmon_globals(&mut s);
        pmon_setup(&mut s);
        assert!(s.starts_with("mxc_gpio_cfg_t gpio_trig1, gpio_trig2;"));
        assert!(s.contains("gpio_trig2.mask = MXC_GPIO_PIN_7;\n"));
        assert!(s.contains("MXC_GPIO_Config(&gpio_trig1);\n"));
    }
}
