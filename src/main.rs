//! The `availsim` command: parses arguments and hands them to the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = availsim::cli::Args::parse();
    match availsim::app::main(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            availsim::app::exit_code(&error)
        }
    }
}
