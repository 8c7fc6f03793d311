//! Unit tests of `cnn_unload()` on hand-built layers. The expected texts were worked out by
//! hand from `izer/unload.py`; the golden comparisons (32-bit outputs only) are in
//! `tests/emit_unload.rs`.

use super::*;
use crate::device::ai8x::testutil::{conv2d, first, graph, place};
use crate::device::ai8x::{NetworkPlacement, ProcessorMask, UnloadRegion};
use crate::ir::Annex;

fn unload(g: &Graph) -> String {
    cnn_unload(g, &ProjectOptions::default()).unwrap()
}

/// One 1×1 convolution layer: `channels` outputs of `hw×hw` on the first processors.
fn one_layer(channels: usize, hw: usize, width: OutputWidth) -> Graph {
    let mut g = graph(vec![conv2d(4, channels, hw, 1)]);
    place(&mut g.nodes[0]).output_width = width;
    g
}

const BYTE_DECLS: &str = "  uint8_t *out_buf = (uint8_t *) out_buf32;\n  uint32_t val;\n  \
                          volatile uint32_t *addr;\n";
const END: &str = "\n  return CNN_OK;\n}\n\n";

#[test]
fn wide_runs_unroll_in_loops_of_eight() {
    // 4 channels of 2×2: sixteen consecutive words.
    let g = one_layer(4, 2, OutputWidth::Bits32);
    let eight = "    *out_buf++ = *addr++;\n".repeat(8);
    let expect = format!(
        "int cnn_unload(uint32_t *out_buf)\n{{\n  volatile uint32_t *addr;\n  int i;\n\n  \
         // Custom unload for this network, layer 0: 32-bit data, shape: (4, 2, 2)\n  \
         addr = (volatile uint32_t *) 0x50400000;\n  for (i = 0; i < 2; i++) {{\n{eight}  }}\n{END}"
    );
    assert_eq!(unload(&g), expect);
}

#[test]
fn wide_run_length_is_counted_from_the_start_of_the_list() {
    // Processors 0-1 and 4-7: sources 0x0, 0x4, 0x8000 … 0x800c. The second run is cut to
    // the first run's length, and izer's tracked address makes the third skip `addr =`.
    let mut g = one_layer(6, 1, OutputWidth::Bits32);
    place(&mut g.nodes[0]).output_processors = ProcessorMask(0xf3);
    let two = "  *out_buf++ = *addr++;\n".repeat(2);
    let expect = format!(
        "int cnn_unload(uint32_t *out_buf)\n{{\n  volatile uint32_t *addr;\n\n  \
         // Custom unload for this network, layer 0: 32-bit data, shape: (6, 1, 1)\n  \
         addr = (volatile uint32_t *) 0x50400000;\n{two}  \
         addr = (volatile uint32_t *) 0x50408000;\n{two}{two}{END}"
    );
    assert_eq!(unload(&g), expect);
}

#[test]
fn one_by_one_bytes_read_four_lanes_per_word() {
    // The MSDK faceid pattern on 16 channels: one loop over the four instances.
    let g = one_layer(16, 1, OutputWidth::Bits8);
    let expect = format!(
        "int cnn_unload(uint32_t *out_buf32)\n{{\n{BYTE_DECLS}  int i;\n\n  \
         // Custom unload for this network, layer 0: 8-bit data, shape: (16, 1, 1)\n  \
         addr = (volatile uint32_t *) 0x50400000;\n  for (i = 0; i < 4; i++) {{\n    \
         val = *addr;\n    addr += 0x2000;\n    *out_buf++ = val & 0xff;\n    \
         *out_buf++ = (val >> 8) & 0xff;\n    *out_buf++ = (val >> 16) & 0xff;\n    \
         *out_buf++ = (val >> 24) & 0xff;\n  }}\n{END}"
    );
    assert_eq!(unload(&g), expect);
}

/// The loop body writing lanes `0..n` of a 2×2 output channel-major.
fn planar_body(n: i64) -> String {
    let mut s = "    val = *addr++;\n    out_buf[offs] = val & 0xff;\n".to_string();
    for lane in 1..n {
        s += &format!(
            "    out_buf[offs+0x{:02x}] = (val >> {}) & 0xff;\n",
            4 * lane,
            8 * lane
        );
    }
    s + "    offs++;\n"
}

#[test]
fn planar_bytes_step_offs_between_quads() {
    // 8 channels of 2×2 on processors 0-7: two quads, each one loop over the four pixels.
    let g = one_layer(8, 2, OutputWidth::Bits8);
    let body = planar_body(4);
    let expect = format!(
        "int cnn_unload(uint32_t *out_buf32)\n{{\n{BYTE_DECLS}  int i;\n  uint32_t offs;\n\n  \
         // Custom unload for this network, layer 0: 8-bit data, shape: (8, 2, 2)\n  \
         offs = 0x0000;\n  addr = (volatile uint32_t *) 0x50400000;\n  \
         for (i = 0; i < 4; i++) {{\n{body}  }}\n  offs += 0x000c;\n  \
         addr = (volatile uint32_t *) 0x50408000;\n  \
         for (i = 0; i < 4; i++) {{\n{body}  }}\n{END}"
    );
    assert_eq!(unload(&g), expect);
}

/// Two 2×2 8-bit layers: 4 channels, then 2 channels at offset 0x100.
fn two_layers() -> Graph {
    let mut g = graph(vec![conv2d(4, 4, 2, 1), conv2d(4, 2, 2, 1)]);
    place(&mut g.nodes[1]).out_offset = 0x100;
    g.outputs = vec![0, 1];
    g
}

#[test]
fn later_outputs_move_the_byte_pointer_on() {
    let mut g = two_layers();
    place(&mut g.nodes[0]).output = true;
    place(&mut g.nodes[1]).output = true;
    g.nodes[1].name = Some("classifier".into());
    let expect = format!(
        "int cnn_unload(uint32_t *out_buf32)\n{{\n{BYTE_DECLS}  int i;\n  uint32_t offs;\n\n  \
         // Custom unload for this network, layer 0: 8-bit data, shape: (4, 2, 2)\n  \
         offs = 0x0000;\n  addr = (volatile uint32_t *) 0x50400000;\n  \
         for (i = 0; i < 4; i++) {{\n{}  }}\n\n  \
         // Custom unload for this network, layer 1 (classifier): 8-bit data, shape: (2, 2, 2)\n  \
         offs = 0x0000;\n  out_buf = ((uint8_t *) out_buf32) + 0x0010;\n  \
         addr = (volatile uint32_t *) 0x50400100;\n  \
         for (i = 0; i < 4; i++) {{\n{}  }}\n{END}",
        planar_body(4),
        planar_body(2)
    );
    assert_eq!(unload(&g), expect);
}

#[test]
fn only_marked_layers_are_unloaded() {
    let mut g = two_layers();
    place(&mut g.nodes[0]).output = true;
    let text = unload(&g);
    assert!(text.contains("layer 0: 8-bit data, shape: (4, 2, 2)"));
    assert!(!text.contains("layer 1"));
    // Nothing marked: the final layer only.
    place(&mut g.nodes[0]).output = false;
    let text = unload(&g);
    assert!(!text.contains("layer 0"));
    assert!(text.contains("layer 1: 8-bit data, shape: (2, 2, 2)"));
}

#[test]
fn wide_layers_after_byte_layers_read_all_four_lanes() {
    // A 32-bit layer unloaded byte by byte, behind an 8-bit layer of 4 bytes.
    let mut g = graph(vec![conv2d(4, 4, 1, 1), conv2d(4, 1, 1, 1)]);
    g.outputs = vec![0, 1];
    place(&mut g.nodes[0]).output = true;
    let p = place(&mut g.nodes[1]);
    (p.output, p.output_width, p.out_offset) = (true, OutputWidth::Bits32, 0x40);
    let lanes = "  *out_buf++ = val & 0xff;\n  *out_buf++ = (val >> 8) & 0xff;\n  \
                 *out_buf++ = (val >> 16) & 0xff;\n  *out_buf++ = (val >> 24) & 0xff;\n";
    let expect = format!(
        "int cnn_unload(uint32_t *out_buf32)\n{{\n{BYTE_DECLS}\n  \
         // Custom unload for this network, layer 0: 8-bit data, shape: (4, 1, 1)\n  \
         addr = (volatile uint32_t *) 0x50400000;\n  val = *addr++;\n{lanes}\n  \
         // Custom unload for this network, layer 1: 32-bit data, shape: (1, 1, 1)\n  \
         out_buf = ((uint8_t *) out_buf32) + 0x0004;\n  \
         addr = (volatile uint32_t *) 0x50400040;\n  val = *addr++;\n{lanes}{END}"
    );
    assert_eq!(unload(&g), expect);
}

#[test]
fn backward_steps_subtract() {
    // 100 channels: pass 0 ends in quadrant 3, pass 1 restarts one word into quadrant 0.
    let g = one_layer(100, 1, OutputWidth::Bits8);
    assert_eq!(place(&mut g.clone().nodes[0]).output_processors, first(52));
    let text = unload(&g);
    assert!(text.contains("  addr = (volatile uint32_t *) 0x51000000;\n"));
    assert!(text.contains("    val = *addr;\n    addr -= 0x2fffff;\n"));
}

#[test]
fn write_gap_scales_the_instance_base_too() {
    // Processors 4-7 with write_gap 1: the known-answer word is at 0x50408000, izer's unload
    // reads 0x50410000.
    let mut g = one_layer(4, 1, OutputWidth::Bits8);
    let p = place(&mut g.nodes[0]);
    (p.output_processors, p.write_gap) = (ProcessorMask(0xf0), 1);
    assert!(unload(&g).contains("  addr = (volatile uint32_t *) 0x50410000;\n"));
}

#[test]
fn unload_list_replaces_the_output_layers() {
    let mut g = one_layer(4, 1, OutputWidth::Bits32);
    g.annex = Annex::new(NetworkPlacement {
        unload: Some(vec![UnloadRegion {
            processors: first(2),
            channels: 2,
            dim: [1, 1],
            offset: 0x200,
            width: 8,
            write_gap: 0,
        }]),
        ..NetworkPlacement::default()
    });
    let expect = format!(
        "int cnn_unload(uint32_t *out_buf32)\n{{\n{BYTE_DECLS}\n  \
         // Custom unload for this network, unload sequence #0: 8-bit data, shape: (2, 1, 1)\n  \
         addr = (volatile uint32_t *) 0x50400200;\n  val = *addr++;\n  \
         *out_buf++ = val & 0xff;\n  *out_buf++ = (val >> 8) & 0xff;\n{END}"
    );
    assert_eq!(unload(&g), expect);
}

fn mlator_opts() -> ProjectOptions {
    ProjectOptions {
        mlator: true,
        ..ProjectOptions::default()
    }
}

const MLATOR_DECLS: &str = "  volatile uint32_t *mlat, *ctrl;\n  int i;\n  uint32_t offs;\n";
const MLATOR_OFF: &str = "  *ctrl = 0x00000008; // Disable mlator\n";

/// izer's mlator set-up of quadrant `q`'s registers for lane `byte`.
fn mlator_on(q: u32, byte: u32) -> String {
    let base = 0x5010_0000 + q * 0x40_0000;
    format!(
        "  *((volatile uint32_t *) 0x{:08x}) = 0x00000000; // Set SRAM address\n  \
         *((volatile uint32_t *) 0x{:08x}) = 0x00000000; // Set pointer increment\n  \
         *ctrl = 0x{:08x}; // Enable mlator, byte {byte}\n  \
         asm volatile (\"\" : \"=m\" (*mlat) : \"r\" (*mlat)); // Prime\n",
        base + 0x310,
        base + 0xa10,
        0x0001_0008 | byte << 17
    )
}

fn mlator_pointers(q: u32) -> String {
    let base = 0x5010_0000 + q * 0x40_0000;
    format!(
        "  ctrl = (volatile uint32_t *) 0x{base:08x};\n  \
         mlat = (volatile uint32_t *) 0x{:08x};\n",
        base + 0x1000
    )
}

#[test]
fn mlator_reads_four_channels_of_one_quad() {
    // 4 channels of 4×4 on processors 0-3: four words per channel, contiguous in memory and
    // in the buffer, so only the first channel sets `offs`.
    let g = one_layer(4, 4, OutputWidth::Bits8);
    let mut expect = format!(
        "int cnn_unload(uint32_t *out_buf32)\n{{\n{MLATOR_DECLS}\n  \
         // Custom unload for this network, layer 0: 8-bit data, shape: (4, 4, 4)\n{}",
        mlator_pointers(0)
    );
    for c in 0..4 {
        expect += &format!("  // Channel {c}\n");
        if c == 0 {
            expect += "  offs = 0x0000;\n";
        }
        expect += &mlator_on(0, c);
        expect += &"  out_buf32[offs++] = *mlat;\n".repeat(4);
        expect += MLATOR_OFF;
    }
    expect += END;
    assert_eq!(cnn_unload(&g, &mlator_opts()).unwrap(), expect);
}

#[test]
fn mlator_walks_quadrants_and_unrolls_loops_of_eight() {
    // 8 channels of 8×8 on processors 0-3 and 32-35: sixteen words per channel (two loops of
    // eight); the empty processors 16-28 of quadrant 1 still repoint ctrl/mlat (izer walks
    // them) before quadrant 2.
    let mut g = one_layer(8, 8, OutputWidth::Bits8);
    place(&mut g.nodes[0]).output_processors = ProcessorMask(0xf | 0xf << 32);
    let mut expect = format!(
        "int cnn_unload(uint32_t *out_buf32)\n{{\n{MLATOR_DECLS}\n  \
         // Custom unload for this network, layer 0: 8-bit data, shape: (8, 8, 8)\n{}",
        mlator_pointers(0)
    );
    let sixteen = format!(
        "  for (i = 0; i < 2; i++) {{\n{}  }}\n",
        "    out_buf32[offs++] = *mlat;\n".repeat(8)
    );
    for c in 0..8 {
        if c == 4 {
            expect += &mlator_pointers(1);
            expect += &mlator_pointers(2);
        }
        expect += &format!("  // Channel {c}\n");
        if c == 0 {
            expect += "  offs = 0x0000;\n";
        }
        expect += &mlator_on(if c < 4 { 0 } else { 2 }, c % 4);
        expect += &sixteen;
        expect += MLATOR_OFF;
    }
    expect += END;
    assert_eq!(cnn_unload(&g, &mlator_opts()).unwrap(), expect);
}

#[test]
fn mlator_names_channels_by_lane_position() {
    // Processors 0 and 2 of 4×4 outputs: izer counts the skipped lane, so the second channel
    // is named and written as channel 2.
    let mut g = one_layer(2, 4, OutputWidth::Bits8);
    place(&mut g.nodes[0]).output_processors = ProcessorMask(0b101);
    let store4 = "  out_buf32[offs++] = *mlat;\n".repeat(4);
    let expect = format!(
        "int cnn_unload(uint32_t *out_buf32)\n{{\n{MLATOR_DECLS}\n  \
         // Custom unload for this network, layer 0: 8-bit data, shape: (2, 4, 4)\n{}  \
         // Channel 0\n  offs = 0x0000;\n{}{store4}{MLATOR_OFF}  \
         // Channel 2\n  offs = 0x0008;\n{}{store4}{MLATOR_OFF}{END}",
        mlator_pointers(0),
        mlator_on(0, 0),
        mlator_on(0, 2)
    );
    assert_eq!(cnn_unload(&g, &mlator_opts()).unwrap(), expect);
}

#[test]
fn mlator_is_used_only_where_izer_would_use_it() {
    let opts = mlator_opts();
    let planar = one_layer(4, 2, OutputWidth::Bits8);
    assert_ne!(cnn_unload(&planar, &opts).unwrap(), unload(&planar));
    for g in [
        one_layer(4, 2, OutputWidth::Bits32),
        one_layer(4, 1, OutputWidth::Bits8),
        one_layer(4, 3, OutputWidth::Bits8),
    ] {
        assert_eq!(cnn_unload(&g, &opts).unwrap(), unload(&g));
    }
}
