//! `main()` variants for options the golden projects do not use.

use super::*;
use crate::device::ai8x::OutputWidth;
use crate::device::ai8x::testutil::{conv2d, graph, place};
use crate::ir::WeightBits;

fn network(output_width: OutputWidth, weight_bits: WeightBits) -> Graph {
    let mut n = conv2d(3, 10, 4, 3);
    place(&mut n).output_width = output_width;
    n.quant.weight_bits = Some(weight_bits);
    graph(vec![n])
}

fn emit(g: &Graph, opts: &ProjectOptions) -> Result<String, EmitError> {
    main_c(g, &Array3::zeros((3, 4, 4)), opts)
}

fn plain() -> Graph {
    network(OutputWidth::Bits8, WeightBits::B8)
}

/// The statements of `main()`, comments and blank lines dropped.
fn main_body(text: &str) -> Vec<String> {
    let start = text.find("int main(void)\n{\n").unwrap();
    text[start + "int main(void)\n{\n".len()..]
        .lines()
        .take_while(|l| *l != "}")
        .map(|l| l.split(" //").next().unwrap().trim().to_string())
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect()
}

fn position(body: &[String], stmt: &str) -> usize {
    body.iter()
        .position(|l| l == stmt)
        .unwrap_or_else(|| panic!("no `{stmt}` in {body:#?}"))
}

#[test]
fn defaults_unload_8_bit_output() {
    let text = emit(&plain(), &ProjectOptions::default()).unwrap();
    assert!(text.contains("static int32_t ml_data32[(CNN_NUM_OUTPUTS + 3) / 4];\n"));
    let body = main_body(&text);
    assert!(position(&body, "load_input();") < position(&body, "cnn_start();"));
    position(&body, "if (check_output() != CNN_OK) fail();");
    position(&body, "cnn_unload((uint32_t *) ml_data32);");
    assert!(!text.contains("int i;\n  int digs"));
}

#[test]
fn no_kat_and_no_unload() {
    let opts = ProjectOptions {
        kat: false,
        unload: false,
        ..ProjectOptions::default()
    };
    let text = emit(&plain(), &opts).unwrap();
    assert!(!text.contains("sampleoutput.h"));
    assert!(!text.contains("check_output"));
    assert!(!text.contains("cnn_unload"));
    assert!(!text.contains("ml_data"));
}

#[test]
fn softmax_variants_follow_output_width_and_weight_bits() {
    let opts = ProjectOptions {
        softmax: true,
        ..ProjectOptions::default()
    };
    let text = emit(&plain(), &opts).unwrap();
    assert!(text.contains("  arm_softmax_q7_q15((const q7_t *) ml_data32, CNN_NUM_OUTPUTS"));
    assert!(text.contains("int8_t *ml_data = (int8_t *) ml_data32;"));
    let text = emit(&network(OutputWidth::Bits32, WeightBits::B2), &opts).unwrap();
    assert!(text.contains(
        "  softmax_shift_q17p14_q15((q31_t *) ml_data, CNN_NUM_OUTPUTS, 6, ml_softmax);"
    ));
    assert!(text.contains("static int32_t ml_data[CNN_NUM_OUTPUTS];\n"));
    let body = main_body(&text);
    position(&body, "softmax_layer();");
    position(&body, "int digs, tens;");
}

#[test]
fn boost_wraps_the_inference() {
    let opts = ProjectOptions {
        boost: Some((2, 5)),
        ..ProjectOptions::default()
    };
    let body = main_body(&emit(&plain(), &opts).unwrap());
    let on = position(&body, "cnn_boost_enable(MXC_GPIO2, MXC_GPIO_PIN_5);");
    let off = position(&body, "cnn_boost_disable(MXC_GPIO2, MXC_GPIO_PIN_5);");
    assert!(
        position(
            &body,
            "cnn_enable(MXC_S_GCR_PCLKDIV_CNNCLKSEL_PCLK, MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV1);"
        ) < on
    );
    assert!(on < position(&body, "cnn_start();"));
    assert!(off < position(&body, "if (check_output() != CNN_OK) fail();"));
}

#[test]
fn energy_measures_idle_loading_and_inference() {
    let opts = ProjectOptions {
        energy: true,
        fifo: true,
        ..ProjectOptions::default()
    };
    let text = emit(&plain(), &opts).unwrap();
    let body = main_body(&text);
    assert_eq!(body[0], "int i;");
    let idle = position(&body, "SYS_START;");
    assert!(idle < position(&body, "cnn_init();"));
    assert!(text.contains("printf(\"Skipping input loading (using FIFO)...\\n\");"));
    // With FIFOs the input is written after each start, inside the measured loop.
    let start = position(&body, "cnn_start();");
    assert_eq!(body[start + 1], "load_input();");
    assert_eq!(body[start - 1], "for (i = 0; i < 100; i++) {");
    assert!(text.contains("See monitor display for inference energy."));
}

#[test]
fn unsupported_options_are_rejected() {
    for (opts, option) in [
        (
            ProjectOptions {
                fast_fifo: true,
                ..ProjectOptions::default()
            },
            "--fast-fifo without --riscv",
        ),
        (
            ProjectOptions {
                compact_data: false,
                ..ProjectOptions::default()
            },
            "--no-compact-data",
        ),
    ] {
        assert_eq!(
            emit(&plain(), &opts),
            Err(EmitError::Unsupported { option })
        );
    }
}

fn riscv(debug: bool) -> ProjectOptions {
    ProjectOptions {
        prefix: "mnist-riscv".into(),
        riscv: true,
        riscv_debug: debug,
        softmax: true,
        timer: Some(0),
        ..ProjectOptions::default()
    }
}

/// izer's Arm wrapper (`toplevel.main` with `riscv=False`, `embedded_arm`): clocks, RISC-V
/// boot address from `__FlashStart_`, semaphore clock and wake-up vector, the debugger delay,
/// the RISC-V clock, one sleep, and nothing of the network.
#[test]
fn riscv_arm_main_starts_the_risc_v_core_and_sleeps() {
    let text = emit(&plain(), &riscv(true)).unwrap();
    assert_eq!(
        main_body(&text),
        [
            "MXC_ICC_Enable(MXC_ICC0);",
            "MXC_SYS_Clock_Select(MXC_SYS_CLOCK_IPO);",
            "SystemCoreClockUpdate();",
            "MXC_FCR->urvbootaddr = (uint32_t) &__FlashStart_;",
            "MXC_SYS_ClockEnable(MXC_SYS_PERIPH_CLOCK_SMPHR);",
            "MXC_NVIC_SetVector(RISCV_IRQn, WakeISR);",
            "MXC_Delay(SEC(2));",
            "MXC_SYS_ClockEnable(MXC_SYS_PERIPH_CLOCK_CPU1);",
            "MXC_LP_EnterSleepMode();",
            "return 0;",
        ]
    );
    assert!(text.contains("extern volatile void const *__FlashStart_;"));
    assert!(text.contains(
        "void WakeISR(void)\n{\n  MXC_SEMA->irq0 = MXC_F_SEMA_IRQ0_EN & ~MXC_F_SEMA_IRQ0_CM4_IRQ;\n}"
    ));
    for include in ["mxc.h", "gcfr_regs.h", "fcr_regs.h", "sema_regs.h"] {
        assert!(
            text.contains(&format!("#include \"{include}\"\n")),
            "{include}"
        );
    }
    for absent in ["cnn.h", "sampledata.h", "cnn_", "load_input", "Debug_Init"] {
        assert!(!text.contains(absent), "{absent} in the Arm loader");
    }
}

/// izer's RISC-V main (`toplevel.main` with `riscv=True`): no clock setup or debugger delay,
/// `Debug_Init()` with `--riscv-debug`, the RISC-V cache, the `cnn.h` calls in the Arm
/// order, `wfi` while waiting, and the semaphore signal to the Cortex-M4 at the end.
#[test]
fn riscv_main_runs_the_network_and_signals_the_arm_core() {
    let g = plain();
    let text = main_riscv_c(&g, &Array3::zeros((3, 4, 4)), &riscv(true)).unwrap();
    let body = main_body(&text);
    let order = [
        "Debug_Init();",
        "MXC_ICC_Enable(MXC_ICC1);",
        "cnn_enable(MXC_S_GCR_PCLKDIV_CNNCLKSEL_PCLK, MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV1);",
        "cnn_init();",
        "cnn_load_weights();",
        "cnn_load_bias();",
        "cnn_configure();",
        "load_input();",
        "cnn_start();",
        "while (cnn_time == 0)",
        "asm volatile(\"wfi\");",
        "if (check_output() != CNN_OK) fail();",
        "softmax_layer();",
        "cnn_disable();",
        "MXC_SEMA->irq0 = MXC_F_SEMA_IRQ0_EN | MXC_F_SEMA_IRQ0_CM4_IRQ;",
        "return 0;",
    ];
    let at: Vec<usize> = order.iter().map(|s| position(&body, s)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{body:#?}");
    let declarations = body
        .iter()
        .take_while(|l| l.starts_with("int") && l.ends_with(';'))
        .count();
    assert_eq!(at[0], declarations, "Debug_Init() first: {body:#?}");
    for absent in [
        "MXC_ICC_Enable(MXC_ICC0);",
        "MXC_SYS_Clock_Select(MXC_SYS_CLOCK_IPO);",
        "MXC_Delay(SEC(2));",
        "MXC_LP_EnterSleepMode();",
    ] {
        assert!(!body.iter().any(|l| l == absent), "{absent}: {body:#?}");
    }
    // The classification printout comes before the signal to the Arm core.
    let results = body
        .iter()
        .position(|l| l.starts_with("printf(\"Classification results"))
        .unwrap();
    assert!(results < at[14]);
    assert!(
        text.contains("#include \"mxc.h\"\n#include \"fcr_regs.h\"\n#include \"sema_regs.h\"\n")
    );
    // --riscv implies --riscv-flash: the sample input lives in the RISC-V flash section.
    assert!(text.contains(
        "__attribute__ ((section(\".rvflash_section\")))\nstatic const uint32_t input_0[] = SAMPLE_INPUT_0;"
    ));

    // Without --riscv-debug there is no Debug_Init(); the rest is unchanged.
    let plain_rv = main_riscv_c(&g, &Array3::zeros((3, 4, 4)), &riscv(false)).unwrap();
    let without: Vec<String> = main_body(&plain_rv);
    let mut expected = body.clone();
    expected.remove(at[0]);
    assert_eq!(without, expected);
}

/// izer's only RISC-V-specific `--energy` change: the idle-power delay uses the timer.
#[test]
fn riscv_energy_idle_delay_uses_the_timer() {
    let opts = ProjectOptions {
        energy: true,
        ..riscv(false)
    };
    let text = main_riscv_c(&plain(), &Array3::zeros((3, 4, 4)), &opts).unwrap();
    let body = main_body(&text);
    position(&body, "MXC_TMR_Delay(MXC_TMR0, 1000000);");
    assert!(!body.iter().any(|l| l == "MXC_Delay(SEC(1));"));
    // Inside the measured loop izer keeps the SDK sleep call.
    position(&body, "MXC_LP_EnterSleepMode();");
}

#[test]
fn riscv_main_rejects_what_the_arm_main_rejects() {
    let opts = ProjectOptions {
        compact_data: false,
        ..riscv(false)
    };
    assert_eq!(
        main_riscv_c(&plain(), &Array3::zeros((3, 4, 4)), &opts),
        Err(EmitError::Unsupported {
            option: "--no-compact-data"
        })
    );
}

/// `plain()` placed on the MAX78002.
fn on_max78002() -> Graph {
    let mut g = plain();
    g.annex = crate::ir::Annex::new(crate::device::ai8x::NetworkPlacement {
        chip: crate::device::ai8x::ChipId::Max78002,
        ..Default::default()
    });
    g
}

/// The MAX78002 (izer `SUPPORT_PLL`): the PLL on with the core clock, loading at a quarter of
/// its speed, the inference at full speed and back, the PLL off after the accelerator.
#[test]
fn max78002_runs_the_cnn_from_the_pll() {
    let text = emit(&on_max78002(), &ProjectOptions::default()).unwrap();
    assert!(text.contains("\n\n#include <assert.h>\n#include <stdlib.h>\n"));
    let body = main_body(&text);
    let order = [
        "MXC_SYS_Clock_Select(MXC_SYS_CLOCK_IPO);",
        "MXC_GCR->ipll_ctrl |= MXC_F_GCR_IPLL_CTRL_EN;",
        "SystemCoreClockUpdate();",
        "cnn_enable(MXC_S_GCR_PCLKDIV_CNNCLKSEL_IPLL, MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV4);",
        "load_input();",
        "| MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV1 | MXC_S_GCR_PCLKDIV_CNNCLKSEL_IPLL;",
        "cnn_start();",
        "MXC_LP_EnterSleepMode();",
        "| MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV4 | MXC_S_GCR_PCLKDIV_CNNCLKSEL_IPLL;",
        "if (check_output() != CNN_OK) fail();",
        "cnn_disable();",
        "MXC_GCR->ipll_ctrl &= ~MXC_F_GCR_IPLL_CTRL_EN;",
    ];
    let at: Vec<usize> = order.iter().map(|s| position(&body, s)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{body:#?}");
    assert!(text.contains("// Core clock: 120 MHz internal primary oscillator\n"));
    // Without --energy, the marks stay on the LEDs and there are no monitor pins.
    assert!(!text.contains("gpio_trig"));
}

/// `--energy` on the MAX78002 (izer `REQUIRE_PMON_GPIO`): the power monitor's trigger pins
/// are configured before the idle interval; each measured inference switches the CNN clock.
#[test]
fn max78002_energy_drives_the_power_monitor_pins() {
    let opts = ProjectOptions {
        energy: true,
        ..ProjectOptions::default()
    };
    let text = emit(&on_max78002(), &opts).unwrap();
    assert!(text.contains("\nmxc_gpio_cfg_t gpio_trig1, gpio_trig2;"));
    let body = main_body(&text);
    assert!(position(&body, "MXC_GPIO_Config(&gpio_trig2);") < position(&body, "SYS_START;"));
    assert!(position(&body, "gpio_trig1.mask = MXC_GPIO_PIN_6;") < position(&body, "SYS_START;"));
    let start = position(&body, "cnn_start();");
    assert!(body[start - 1].ends_with("MXC_S_GCR_PCLKDIV_CNNCLKSEL_IPLL;"));
    assert!(body[start - 1].contains("DIV1"));
    let sleep = position(&body, "MXC_LP_EnterSleepMode();");
    assert!(body[sleep + 2].contains("DIV4"), "{body:#?}");
    // The MAX78000 keeps its LED marks.
    assert!(!emit(&plain(), &opts).unwrap().contains("gpio_trig"));
    let h = crate::emit::ai8x::cnn_h(&on_max78002(), &opts).unwrap();
    assert!(h.contains("extern mxc_gpio_cfg_t gpio_trig1, gpio_trig2;\n"));
    assert!(h.contains("#define CNN_START MXC_GPIO_OutSet(gpio_trig2.port, gpio_trig2.mask)\n"));
    assert!(h.contains("#define SYS_COMPLETE MXC_GPIO_OutClr(gpio_trig1.port, gpio_trig1.mask)\n"));
    assert!(h.contains("(MAX78002)"));
}

/// `--riscv` on the MAX78002: the Arm loader starts the PLL with the core clock; the RISC-V
/// application uses it for the CNN clock and turns it off at the end.
#[test]
fn max78002_riscv_loader_starts_the_pll() {
    let g = on_max78002();
    let loader = emit(&g, &riscv(true)).unwrap();
    assert!(loader.contains("\n\n#include <assert.h>\n"));
    let body = main_body(&loader);
    assert!(
        position(&body, "MXC_SYS_Clock_Select(MXC_SYS_CLOCK_IPO);")
            < position(&body, "MXC_GCR->ipll_ctrl |= MXC_F_GCR_IPLL_CTRL_EN;")
    );
    assert!(!loader.contains("ipll_ctrl &="));
    let app = main_riscv_c(&g, &Array3::zeros((3, 4, 4)), &riscv(true)).unwrap();
    let body = main_body(&app);
    assert!(!body.iter().any(|l| l.contains("ipll_ctrl |=")));
    position(
        &body,
        "cnn_enable(MXC_S_GCR_PCLKDIV_CNNCLKSEL_IPLL, MXC_S_GCR_PCLKDIV_CNNCLKDIV_DIV4);",
    );
    assert!(
        position(&body, "cnn_disable();")
            < position(&body, "MXC_GCR->ipll_ctrl &= ~MXC_F_GCR_IPLL_CTRL_EN;")
    );
}
