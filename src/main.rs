//! The `availsim` command: parses arguments and hands them to the library.

mod app;
mod cli;
mod console;

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match app::main(args) {
        Ok(code) => code,
        Err(error) => {
            // A closed stderr loses the message; the exit code still tells.
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            console::exit_code(&error)
        }
    }
}
