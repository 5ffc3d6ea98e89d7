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

/// Declares the error type of one module: a failure that is the caller's
/// input (a value, a request, a file), carried as a message for people that
/// says what was wrong and what to do. It converts into [`Error::Usage`]
/// (exit code 2).
macro_rules! input_error {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
        #[error("{0}")]
        pub struct $name(pub String);

        impl From<String> for $name {
            fn from(why: String) -> Self {
                $name(why)
            }
        }

        impl From<&str> for $name {
            fn from(why: &str) -> Self {
                $name(why.to_string())
            }
        }

        impl From<$name> for $crate::error::Error {
            fn from(e: $name) -> Self {
                $crate::error::Error::Usage(e.0)
            }
        }
    };
}
pub(crate) use input_error;

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
