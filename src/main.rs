//! The `qtool` binary: parse the command line and hand over to [`qtool::cli`].

fn main() -> std::process::ExitCode {
    qtool::cli::main()
}
