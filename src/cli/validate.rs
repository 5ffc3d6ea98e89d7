//! `nexus-mc validate`: check scenario files and show what their numbers mean.

use clap::Args;

use nexus_mc::commands;
use nexus_mc::error::{Error, Result};

/// Flags of `nexus-mc validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Scenario files (paths, or names of shipped scenarios).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<String>,
}

pub(super) fn validate(args: ValidateArgs) -> Result<()> {
    let mut invalid = 0;
    for loaded in commands::validate(&args.files) {
        match loaded {
            Ok(scenario) => println!("{}", commands::describe(&scenario)),
            Err(e) => {
                invalid += 1;
                eprintln!("{e}\n");
            }
        }
    }
    if invalid > 0 {
        return Err(Error::Usage(format!(
            "{invalid} of {} scenario files are invalid",
            args.files.len()
        )));
    }
    Ok(())
}
