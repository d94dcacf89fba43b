//! The `availsim` command: parses arguments and hands them to the library.

mod app;
mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match app::main(args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            app::exit_code(&error)
        }
    }
}
