//! Core errors -> the Python exception type PyTorch raises.

use ferrotorch_core::{Error, ErrorKind};
use pyo3::exceptions::{
    PyIndexError, PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError,
};
use pyo3::PyErr;

// `torch.OutOfMemoryError`: a RuntimeError raised when device memory runs out.
pyo3::create_exception!(ferrotorch, OutOfMemoryError, PyRuntimeError);

thread_local! {
    /// A Python exception raised inside a callback (hook, Function.backward)
    /// that the engine called: re-raised as is once the engine returns.
    static PENDING: std::cell::RefCell<Option<PyErr>> = const { std::cell::RefCell::new(None) };
}
const PENDING_MSG: &str = "<python exception in autograd callback>";

/// Parks a Python exception and returns the core error that carries it out.
pub fn stash(err: PyErr) -> Error {
    PENDING.with(|p| *p.borrow_mut() = Some(err));
    Error::runtime(PENDING_MSG)
}

pub fn to_pyerr(e: Error) -> PyErr {
    if e.msg == PENDING_MSG {
        if let Some(err) = PENDING.with(|p| p.borrow_mut().take()) {
            return err;
        }
    }
    match e.kind {
        ErrorKind::Runtime => PyRuntimeError::new_err(e.msg),
        ErrorKind::Index => PyIndexError::new_err(e.msg),
        ErrorKind::Type => PyTypeError::new_err(e.msg),
        ErrorKind::Value => PyValueError::new_err(e.msg),
        ErrorKind::NotImplemented => PyNotImplementedError::new_err(e.msg),
        ErrorKind::OutOfMemory => OutOfMemoryError::new_err(e.msg),
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
