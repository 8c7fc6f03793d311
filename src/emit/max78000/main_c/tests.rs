//! `main()` variants for options the golden projects do not use.

use super::*;
use crate::device::max78000::OutputWidth;
use crate::device::max78000::testutil::{conv2d, graph, place};
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
fn riscv_and_friends_are_rejected() {
    for (opts, option) in [
        (
            ProjectOptions {
                riscv: true,
                ..ProjectOptions::default()
            },
            "--riscv",
        ),
        (
            ProjectOptions {
                fast_fifo: true,
                ..ProjectOptions::default()
            },
            "--fast-fifo",
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
