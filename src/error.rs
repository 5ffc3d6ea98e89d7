//! The crate's error type and what each kind means for the exit code.

use std::path::PathBuf;

use crate::config::ConfigError;
use crate::engine::EngineError;

/// Anything that stops a command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario file is missing, unreadable or invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A command-line value is wrong; the message says which and why.
    #[error("{0}")]
    Usage(String),
    /// The user interrupted the command (Ctrl-C); nothing was written.
    #[error("interrupted: no outputs were written")]
    Interrupted,
    /// A computation failed; the message says where.
    #[error("{0}")]
    Failed(String),
    /// An output could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl Error {
    /// The process exit code: 2 for bad input (config, flags), 130 for an
    /// interrupt (as shells report SIGINT), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_) | Error::Usage(_) => 2,
            Error::Interrupted => 130,
            Error::Failed(_) | Error::Write { .. } => 1,
        }
    }
}

impl From<EngineError> for Error {
    fn from(e: EngineError) -> Error {
        match e {
            EngineError::Plan(why) => Error::Usage(why),
            EngineError::Interrupted => Error::Interrupted,
            other => Error::Failed(other.to_string()),
        }
    }
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
