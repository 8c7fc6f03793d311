//! Command-line front end: parse flags, call a library function, print. No logic here.

use std::process::ExitCode;

pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
