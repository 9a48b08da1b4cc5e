//! `ferrotorch.dtype` and `ferrotorch.device` objects.

use ferrotorch_core::{DType, Device};
use crate::errors::IntoPy;
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyString;

#[pyclass(name = "dtype", module = "ferrotorch", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PyDType(pub DType);

#[pymethods]
impl PyDType {
    fn __repr__(&self) -> String {
        format!("torch.{}", self.0.name())
    }
    #[getter]
    fn is_floating_point(&self) -> bool {
        self.0.is_floating_point()
    }
    #[getter]
    fn is_complex(&self) -> bool {
        false
    }
    #[getter]
    fn is_signed(&self) -> bool {
        self.0.is_signed()
    }
    #[getter]
    fn itemsize(&self) -> usize {
        self.0.size()
    }
    fn __reduce__(&self) -> String {
        self.0.name().to_string()
    }
}

static DTYPES: PyOnceLock<Vec<Py<PyDType>>> = PyOnceLock::new();

/// The canonical (identity-comparable) Python object of a dtype.
pub fn dtype_obj(py: Python<'_>, d: DType) -> Py<PyDType> {
    let all = DTYPES.get_or_init(py, || {
        DType::ALL
            .iter()
            .map(|&d| Py::new(py, PyDType(d)).expect("dtype object"))
            .collect()
    });
    let i = DType::ALL.iter().position(|&x| x == d).unwrap();
    all[i].clone_ref(py)
}

/// Accepts a ferrotorch dtype, or a numpy dtype/type and Python `float`/`int`/`bool`.
pub fn extract_dtype(obj: &Bound<'_, PyAny>) -> PyResult<DType> {
    if let Ok(d) = obj.cast::<PyDType>() {
        return Ok(d.get().0);
    }
    let py = obj.py();
    let builtins = py.import("builtins")?;
    if obj.is(&builtins.getattr("float")?) {
        return Ok(DType::F64);
    }
    if obj.is(&builtins.getattr("int")?) {
        return Ok(DType::I64);
    }
    if obj.is(&builtins.getattr("bool")?) {
        return Ok(DType::Bool);
    }
    if let Ok(np) = py.import("numpy") {
        if let Ok(d) = np.getattr("dtype")?.call1((obj,)) {
            let name: String = d.getattr("name")?.extract()?;
            if let Some(&dt) = DType::ALL.iter().find(|x| x.name() == name) {
                return Ok(dt);
            }
        }
    }
    Err(PyTypeError::new_err(format!(
        "expected a dtype, got {}",
        obj.repr()?
    )))
}

pub fn opt_dtype(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<DType>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => extract_dtype(o).map(Some),
    }
}

/// `torch.device`: a type and an optional index ('cuda' means the current
/// CUDA device when a tensor is made, and prints without an index).
#[pyclass(name = "device", module = "ferrotorch", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PyDevice {
    kind: Device,
    index: Option<usize>,
}

impl PyDevice {
    /// The device of an existing tensor (always indexed).
    pub fn of(d: Device) -> PyDevice {
        PyDevice { kind: d, index: d.index() }
    }
    /// The concrete device (the current CUDA device for a bare 'cuda').
    pub fn resolve(&self) -> Device {
        match (self.kind, self.index) {
            (Device::Cuda(_), None) => Device::Cuda(ferrotorch_core::cuda::current_device()),
            (d, _) => d,
        }
    }
}

#[pymethods]
impl PyDevice {
    #[new]
    #[pyo3(signature = (spec, index=None))]
    fn new(spec: &Bound<'_, PyAny>, index: Option<i64>) -> PyResult<Self> {
        if let Ok(d) = spec.cast::<PyDevice>() {
            return Ok(*d.get());
        }
        if let Ok(i) = spec.extract::<i64>() {
            return cuda_index(i);
        }
        let s: String = spec.extract()?;
        parse_device(&s, index)
    }
    #[getter]
    fn r#type(&self) -> &'static str {
        self.kind.type_name()
    }
    #[getter]
    fn index(&self) -> Option<usize> {
        self.index
    }
    fn __repr__(&self) -> String {
        match self.index {
            None => format!("device(type='{}')", self.kind.type_name()),
            Some(i) => format!("device(type='{}', index={})", self.kind.type_name(), i),
        }
    }
    fn __str__(&self) -> String {
        match self.index {
            None => self.kind.type_name().to_string(),
            Some(i) => format!("{}:{i}", self.kind.type_name()),
        }
    }
}

fn cuda_index(i: i64) -> PyResult<PyDevice> {
    if i < 0 {
        return Err(PyRuntimeError::new_err("Device index must not be negative"));
    }
    Ok(PyDevice { kind: Device::Cuda(i as usize), index: Some(i as usize) })
}

pub fn parse_device(s: &str, index: Option<i64>) -> PyResult<PyDevice> {
    let (kind, idx) = match s.split_once(':') {
        Some((k, i)) => (
            k,
            Some(i.parse::<i64>().ok().filter(|&v| v >= 0 && !i.starts_with('+')).ok_or_else(|| {
                PyRuntimeError::new_err(format!("Invalid device string: '{s}'"))
            })?),
        ),
        None => (s, index),
    };
    match kind {
        "cpu" => Ok(PyDevice { kind: Device::Cpu, index: None }),
        "cuda" => match idx {
            Some(i) => cuda_index(i),
            None => Ok(PyDevice { kind: Device::Cuda(0), index: None }),
        },
        _ => Err(PyRuntimeError::new_err(format!(
            "Expected one of cpu, cuda, ... device type at start of device string: {s}"
        ))),
    }
}

/// A device argument (torch.device, 'cuda:1', an int) as written: a bare
/// "cuda" keeps index None.
fn device_arg(o: &Bound<'_, PyAny>) -> PyResult<PyDevice> {
    if let Ok(d) = o.cast::<PyDevice>() {
        Ok(*d.get())
    } else if let Ok(s) = o.cast::<PyString>() {
        parse_device(&s.to_cow()?, None)
    } else if let Ok(i) = o.extract::<i64>() {
        cuda_index(i)
    } else {
        Err(PyTypeError::new_err("expected a device"))
    }
}

/// `d` as a concrete device; CUDA devices must exist (PyTorch's errors when
/// there is no driver).
fn concrete(d: PyDevice) -> PyResult<Device> {
    let d = d.resolve();
    if let Device::Cuda(i) = d {
        ferrotorch_core::cuda::gpu(i).py()?;
    }
    Ok(d)
}

/// A device argument (torch.device, 'cuda:1', an int) as a concrete device.
pub fn extract_device(o: &Bound<'_, PyAny>) -> PyResult<Device> {
    concrete(device_arg(o)?)
}

/// `torch.set_default_device`: -1 the CPU, -2 "cuda" (the current device when
/// a factory runs), i >= 0 cuda:i. An atomic because every factory reads it.
static DEFAULT_DEVICE: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(-1);

fn default_device() -> PyDevice {
    match DEFAULT_DEVICE.load(std::sync::atomic::Ordering::Relaxed) {
        -1 => PyDevice { kind: Device::Cpu, index: None },
        -2 => PyDevice { kind: Device::Cuda(0), index: None },
        i => PyDevice { kind: Device::Cuda(i as usize), index: Some(i as usize) },
    }
}

#[pyfunction]
#[pyo3(signature = (device))]
pub fn set_default_device(device: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let code = match device.filter(|d| !d.is_none()) {
        None => -1,
        Some(o) => {
            let d = device_arg(o)?;
            match (d.kind, d.index) {
                (Device::Cpu, _) => -1,
                (_, None) => -2,
                (_, Some(i)) => i as i64,
            }
        }
    };
    DEFAULT_DEVICE.store(code, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

#[pyfunction]
pub fn get_default_device() -> PyDevice {
    // PyTorch reports the concrete device ("cuda:0" for a bare "cuda")
    match default_device().resolve() {
        Device::Cuda(i) => PyDevice { kind: Device::Cuda(i), index: Some(i) },
        d => PyDevice { kind: d, index: None },
    }
}

/// `device=` keyword: a device, a string, an int, or None (the default device).
pub fn opt_device(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Device> {
    match obj {
        Some(o) if !o.is_none() => extract_device(o),
        _ => concrete(default_device()),
    }
}
