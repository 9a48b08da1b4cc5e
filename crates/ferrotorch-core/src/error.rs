//! One error type for the whole core. `kind` says which Python exception
//! the bindings raise (PyTorch raises RuntimeError for most misuse).

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// RuntimeError: shape mismatches, invalid ops for a dtype, ...
    Runtime,
    /// IndexError: out-of-range indices and dims.
    Index,
    /// TypeError: wrong argument types.
    Type,
    /// ValueError.
    Value,
    /// NotImplementedError.
    NotImplemented,
    /// torch.OutOfMemoryError (a RuntimeError): a device allocation failed.
    OutOfMemory,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub msg: String,
}

pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    pub fn runtime(msg: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Runtime,
            msg: msg.into(),
        }
    }
    pub fn index(msg: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Index,
            msg: msg.into(),
        }
    }
    pub fn type_error(msg: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Type,
            msg: msg.into(),
        }
    }
    pub fn value(msg: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::Value,
            msg: msg.into(),
        }
    }
    pub fn not_implemented(msg: impl Into<String>) -> Self {
        Error {
            kind: ErrorKind::NotImplemented,
            msg: msg.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.msg)
    }
}

impl std::error::Error for Error {}

/// `return Err(Error::runtime(format!(...)))` in one line.
#[macro_export]
macro_rules! bail {
    ($kind:ident, $($arg:tt)*) => {
        return Err($crate::Error::$kind(format!($($arg)*)))
    };
}
