//! Core errors -> the Python exception type PyTorch raises.

use ferrotorch_core::{Error, ErrorKind};
use pyo3::exceptions::{
    PyIndexError, PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::PyErr;

pub fn to_pyerr(e: Error) -> PyErr {
    match e.kind {
        ErrorKind::Runtime => PyRuntimeError::new_err(e.msg),
        ErrorKind::Index => PyIndexError::new_err(e.msg),
        ErrorKind::Type => PyTypeError::new_err(e.msg),
        ErrorKind::Value => PyValueError::new_err(e.msg),
        ErrorKind::NotImplemented => PyNotImplementedError::new_err(e.msg),
    }
}

/// `?`-friendly conversion for core results.
pub trait IntoPy<T> {
    fn py(self) -> pyo3::PyResult<T>;
}
impl<T> IntoPy<T> for ferrotorch_core::Result<T> {
    #[inline]
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(to_pyerr)
    }
}
