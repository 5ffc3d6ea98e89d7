//! What can be wrong with a scenario, said so a user can fix it.

use std::fmt;
use std::path::PathBuf;

/// One problem in a scenario file: where, which key, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file the problem is in (a scenario's parent, for inherited entries).
    pub file: String,
    /// 1-based line in the file, where known.
    pub line: Option<usize>,
    /// Dotted key path, e.g. `parameters.multiplier.value`.
    pub key: String,
    /// Why it is wrong, naming the offending value.
    pub reason: String,
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read scenario file {}: {source}", path.display())]
    Read {
        /// The path as given.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Neither a file nor a shipped scenario has this name.
    #[error(
        "no scenario `{name}`: it is not a file, and the shipped scenarios are {available} \
         (pass a path to a .toml file, or one of those names)"
    )]
    UnknownScenario {
        /// The name as given.
        name: String,
        /// The shipped names, comma-separated.
        available: String,
    },
    /// The file is not valid TOML.
    #[error("{file}{}: not valid TOML: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Syntax {
        /// The file.
        file: String,
        /// 1-based line of the error, where known.
        line: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// The file is valid TOML but not a valid scenario: every problem found.
    #[error("{}", Invalid { file, problems })]
    Invalid {
        /// The file.
        file: String,
        /// Every problem found, by file and line.
        problems: Vec<Problem>,
    },
}

struct Invalid<'a> {
    file: &'a str,
    problems: &'a [Problem],
}

impl fmt::Display for Invalid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "{}: {n} problem{} in this scenario",
            self.file,
            if n == 1 { "" } else { "s" }
        )?;
        for p in self.problems {
            write!(f, "\n  {}", p.file)?;
            if let Some(line) = p.line {
                write!(f, ":{line}")?;
            }
            write!(f, ": {}: {}", p.key, p.reason)?;
        }
        Ok(())
    }
}
