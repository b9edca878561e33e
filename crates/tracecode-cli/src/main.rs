//! `tracecode`: the issuer's tool. Exit codes: 0 success (for `inspect`: every code genuine),
//! 1 a code or trust list failed verification, 2 an error (bad input, I/O).

mod args;
mod artwork;
mod batch;
mod inspect;
mod issue;
mod keys;
mod ledger;
mod private_file;
mod trust_list;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command, TrustListCommand};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Keygen(args) => keys::keygen(args).map(|()| true),
        Command::TrustList(command) => trust_list::run(command).map(|()| true),
        Command::Issue(args) => issue::run(args).map(|()| true),
        Command::Inspect(args) => inspect::run(args),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("tracecode: error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            // A trust list that fails verification is a verdict, not a usage error.
            let verdict = matches!(
                cli.command,
                Command::TrustList(TrustListCommand::Verify { .. })
            ) && error
                .chain()
                .any(|c| c.downcast_ref::<tracecode_core::TrustListError>().is_some());
            ExitCode::from(if verdict { 1 } else { 2 })
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
