//! Fixed files of a generated project: the MSDK `Makefile` and `project.mk`, and
//! `softmax.c` (qtool's own software softmax).
//!
//! Owns the placeholder substitution of these assets (`##PROJECT##`, `##BOARD##`). Must not
//! depend on the network: everything network-specific is in `cnn.h`, `cnn.c` and `main.c`.

use super::ProjectOptions;

/// `softmax.c`: `softmax_q17p14_q15` and `softmax_shift_q17p14_q15` (base-2 softmax of
/// Q17.14 input into Q15 probabilities; see the file's header).
pub const SOFTMAX_C: &str = include_str!("assets/softmax.c");

const MAKEFILE: &str = include_str!("assets/Makefile");
const PROJECT_MK: &str = include_str!("assets/project.mk");

fn substitute(template: &str, opts: &ProjectOptions) -> String {
    template
        .replace("##PROJECT##", &opts.prefix)
        .replace("##BOARD##", &opts.board_name)
}

/// The `Makefile`: target MAX78000, `BOARD ?= <--board-name>`, MSDK libraries from
/// `$(MAXIM_PATH)/Libraries/libs.mk`.
pub fn makefile(opts: &ProjectOptions) -> String {
    substitute(MAKEFILE, opts)
}

/// `project.mk`: the place for local settings (`MAXIM_PATH`, board), read by the Makefile.
pub fn project_mk(opts: &ProjectOptions) -> String {
    substitute(PROJECT_MK, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_and_project_are_substituted() {
        let opts = ProjectOptions {
            prefix: "kws".into(),
            board_name: "FTHR_RevA".into(),
            ..ProjectOptions::default()
        };
        let mk = makefile(&opts);
        assert!(mk.contains("BOARD ?= FTHR_RevA\n"));
        assert!(mk.contains("TARGET := MAX78000\n"));
        assert!(mk.contains("include $(LIBS_DIR)/libs.mk\n"));
        assert!(!mk.contains("##"));
        assert!(project_mk(&opts).contains("kws"));
        assert!(makefile(&ProjectOptions::default()).contains("BOARD ?= EvKit_V1\n"));
    }

    #[test]
    fn softmax_defines_both_entry_points() {
        assert!(SOFTMAX_C.contains("void softmax_q17p14_q15(const q31_t *vec_in"));
        assert!(SOFTMAX_C.contains("void softmax_shift_q17p14_q15(q31_t *vec_in"));
    }
}
