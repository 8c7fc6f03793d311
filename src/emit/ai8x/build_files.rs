//! Fixed files of a generated project: the MSDK `Makefile` and `project.mk`, and
//! `softmax.c` (qtool's own software softmax). A `--riscv` project builds two programs, so
//! its `Makefile` drives `Makefile.ARM` (the Arm loader) and `Makefile.RISCV` (the network's
//! application with `cnn.c`) and merges their images, the file set izer's RISC-V template has.
//!
//! Owns the placeholder substitution of these assets (`##PROJECT##`, `##BOARD##`, and from
//! the [`Chip`]: `##TARGET##`, the part number the MSDK builds for, and `##FLASH_END##`, the
//! end of the RISC-V image's flash window). Must not depend on the network: everything
//! network-specific is in `cnn.h`, `cnn.c` and `main.c`.

use super::ProjectOptions;
use crate::device::ai8x::Chip;

/// `softmax.c`: `softmax_q17p14_q15` and `softmax_shift_q17p14_q15` (base-2 softmax of
/// Q17.14 input into Q15 probabilities; see the file's header).
pub const SOFTMAX_C: &str = include_str!("assets/softmax.c");

const MAKEFILE: &str = include_str!("assets/Makefile");
const PROJECT_MK: &str = include_str!("assets/project.mk");
const MAKEFILE_RISCV: &str = include_str!("assets/Makefile.riscv");
const MAKEFILE_ARM_HALF: &str = include_str!("assets/Makefile.ARM");
const MAKEFILE_RISCV_HALF: &str = include_str!("assets/Makefile.RISCV");

fn substitute(template: &str, opts: &ProjectOptions, chip: &Chip) -> String {
    template
        .replace("##PROJECT##", &opts.prefix)
        .replace("##BOARD##", &opts.board_name)
        .replace("##TARGET##", chip.part)
        .replace("##FLASH_END##", &format!("0x{:08x}", chip.flash_end()))
}

/// The `Makefile`: `TARGET := <part>` (MAX78000, MAX78002), `BOARD ?= <--board-name>`, MSDK
/// libraries from `$(MAXIM_PATH)/Libraries/libs.mk`. With `--riscv`, the top-level build of
/// the two programs (see [`riscv_makefiles`]), the RISC-V image filling the flash from the
/// end of the Arm image to the end of the chip's flash.
pub fn makefile(opts: &ProjectOptions, chip: &Chip) -> String {
    substitute(
        if opts.riscv { MAKEFILE_RISCV } else { MAKEFILE },
        opts,
        chip,
    )
}

/// The per-core build files of a `--riscv` project, `(file name, contents)`: `Makefile.ARM`
/// (`main.c`, the Arm part of the flash) and `Makefile.RISCV` (`RISCV_CORE=RV32`,
/// `main_riscv.c cnn.c softmax.c`, the RISC-V linker file, a 1 KiB stack). Empty without
/// `--riscv`.
pub fn riscv_makefiles(opts: &ProjectOptions, chip: &Chip) -> Vec<(String, String)> {
    if !opts.riscv {
        return Vec::new();
    }
    vec![
        (
            "Makefile.ARM".to_string(),
            substitute(MAKEFILE_ARM_HALF, opts, chip),
        ),
        (
            "Makefile.RISCV".to_string(),
            substitute(MAKEFILE_RISCV_HALF, opts, chip),
        ),
    ]
}

/// `project.mk`: the place for local settings (`MAXIM_PATH`, board), read by the Makefile.
pub fn project_mk(opts: &ProjectOptions, chip: &Chip) -> String {
    substitute(PROJECT_MK, opts, chip)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::ai8x::{MAX78000, MAX78002};

    #[test]
    fn board_and_project_are_substituted() {
        let opts = ProjectOptions {
            prefix: "kws".into(),
            board_name: "FTHR_RevA".into(),
            ..ProjectOptions::default()
        };
        let mk = makefile(&opts, &MAX78000);
        assert!(mk.contains("BOARD ?= FTHR_RevA\n"));
        assert!(mk.contains("TARGET := MAX78000\n"));
        assert!(mk.contains("include $(LIBS_DIR)/libs.mk\n"));
        assert!(!mk.contains("##"));
        assert!(project_mk(&opts, &MAX78000).contains("kws"));
        assert!(makefile(&ProjectOptions::default(), &MAX78000).contains("BOARD ?= EvKit_V1\n"));
        let mk = makefile(&opts, &MAX78002);
        assert!(mk.contains("TARGET := MAX78002\n"));
        assert!(mk.contains("kws MAX78002 project"));
        assert!(!mk.contains("MAX78000"));
    }

    #[test]
    fn riscv_builds_two_programs_and_merges_them() {
        assert!(riscv_makefiles(&ProjectOptions::default(), &MAX78000).is_empty());
        let opts = ProjectOptions {
            prefix: "mnist-riscv".into(),
            riscv: true,
            ..ProjectOptions::default()
        };
        let top = makefile(&opts, &MAX78000);
        assert!(top.contains("PROJECT ?= mnist-riscv\n"));
        assert!(top.contains("__FlashLength = (0x10080000 - __FlashStart)"));
        assert!(top.contains("$(MAKE) -f Makefile.ARM"));
        assert!(top.contains("$(MAKE) -f Makefile.RISCV"));
        assert!(top.contains("__FlashStart_"));
        assert!(top.contains("-combined"));
        let halves = riscv_makefiles(&opts, &MAX78000);
        let names: Vec<&str> = halves.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["Makefile.ARM", "Makefile.RISCV"]);
        let (arm, rv) = (&halves[0].1, &halves[1].1);
        assert!(arm.contains("SRCS := main.c\n"));
        assert!(arm.contains("_arm.ld"));
        assert!(rv.contains("RISCV_CORE := RV32\n"));
        assert!(rv.contains("SRCS := main_riscv.c cnn.c softmax.c\n"));
        assert!(rv.contains("_riscv.ld"));
        assert!(rv.contains("-DRV32"));
        for text in [&top, arm, rv] {
            assert!(!text.contains("##"), "{text}");
        }
    }

    #[test]
    fn riscv_build_of_the_max78002_uses_its_flash_and_part() {
        let opts = ProjectOptions {
            prefix: "mnist-riscv".into(),
            riscv: true,
            ..ProjectOptions::default()
        };
        let top = makefile(&opts, &MAX78002);
        assert!(top.contains("__FlashLength = (0x10280000 - __FlashStart)"));
        for (name, text) in riscv_makefiles(&opts, &MAX78002) {
            assert!(text.contains("TARGET := MAX78002\n"), "{name}");
            assert!(!text.contains("MAX78000"), "{name}");
        }
    }

    #[test]
    fn softmax_defines_both_entry_points() {
        assert!(SOFTMAX_C.contains("void softmax_q17p14_q15(const q31_t *vec_in"));
        assert!(SOFTMAX_C.contains("void softmax_shift_q17p14_q15(q31_t *vec_in"));
    }
}
