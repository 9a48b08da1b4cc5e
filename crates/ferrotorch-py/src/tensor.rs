//! The `ferrotorch.Tensor` class: properties, conversions, views, indexing.
//! Arithmetic and reductions live in `tensor_ops.rs`.

use crate::convert::{dims, nonneg_shape, scalar, sizes_from_args};
use crate::dtype::{dtype_obj, extract_dtype, opt_dtype, PyDevice};
use crate::errors::IntoPy;
use ferrotorch_core::{DType, Device, Scalar, Tensor};
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PySlice, PyTuple};

#[pyclass(name = "Tensor", module = "ferrotorch", frozen, subclass, weakref)]
pub struct PyTensor {
    pub t: Tensor,
}

impl PyTensor {
    pub fn new(t: Tensor) -> Self {
        PyTensor { t }
    }
}

/// Converts a core result into a Python tensor object.
pub fn wrap(py: Python<'_>, r: ferrotorch_core::Result<Tensor>) -> PyResult<Py<PyTensor>> {
    Py::new(py, PyTensor::new(r.py()?))
}

pub fn scalar_to_py(py: Python<'_>, s: Scalar) -> PyResult<Py<PyAny>> {
    Ok(match s {
        Scalar::Bool(b) => pyo3::types::PyBool::new(py, b)
            .to_owned()
            .into_any()
            .unbind(),
        Scalar::Int(i) => i.into_pyobject(py)?.into_any().unbind(),
        Scalar::Float(f) => f.into_pyobject(py)?.into_any().unbind(),
    })
}

static PY_HELPERS: PyOnceLock<Py<PyModule>> = PyOnceLock::new();

/// `ferrotorch._pyhelpers`: Python-side pieces (Size, printing, named tuples).
pub fn helpers(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    Ok(PY_HELPERS
        .get_or_try_init(py, || {
            py.import("ferrotorch._pyhelpers").map(|m| m.unbind())
        })?
        .bind(py))
}

pub fn size_obj<'py>(py: Python<'py>, shape: &[usize]) -> PyResult<Bound<'py, PyAny>> {
    helpers(py)?
        .getattr("Size")?
        .call1((PyTuple::new(py, shape)?,))
}

fn dtype_kwarg_target(obj: &Bound<'_, PyAny>) -> Option<DType> {
    extract_dtype(obj).ok()
}

#[pymethods]
impl PyTensor {
    /// `torch.Tensor(data)` / `torch.Tensor(*sizes)`: legacy constructor (default dtype).
    #[new]
    #[pyo3(signature = (*args))]
    fn py_new(args: &Bound<'_, PyTuple>) -> PyResult<Self> {
        let dt = ferrotorch_core::dtype::default_float_dtype();
        if args.is_empty() {
            return Ok(PyTensor::new(Tensor::zeros(&[0], dt)));
        }
        let first = args.get_item(0)?;
        if let (1, Ok(t)) = (args.len(), first.cast::<PyTensor>()) {
            // `torch.Tensor(t)` aliases t's data (how `nn.Parameter(t)` is built)
            return Ok(PyTensor::new(t.get().t.detach()));
        }
        if args.len() == 1 && first.extract::<i64>().is_err() {
            return Ok(PyTensor::new(crate::convert::tensor_from_data(
                &first,
                Some(dt),
            )?));
        }
        let shape = nonneg_shape(&sizes_from_args(args)?)?;
        Ok(PyTensor::new(Tensor::zeros(&shape, dt)))
    }

    // ---- metadata -------------------------------------------------------
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        size_obj(py, self.t.shape())
    }
    #[pyo3(signature = (dim=None))]
    fn size<'py>(&self, py: Python<'py>, dim: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        match dim {
            None => size_obj(py, self.t.shape()),
            Some(d) => Ok(self.t.size(d).py()?.into_pyobject(py)?.into_any()),
        }
    }
    #[getter]
    fn dtype(&self, py: Python<'_>) -> Py<crate::dtype::PyDType> {
        dtype_obj(py, self.t.dtype())
    }
    #[getter]
    fn device(&self) -> PyDevice {
        PyDevice::of(self.t.device())
    }
    #[getter]
    fn is_cuda(&self) -> bool {
        matches!(self.t.device(), Device::Cuda(_))
    }
    #[getter]
    fn is_cpu(&self) -> bool {
        self.t.device() == Device::Cpu
    }
    #[getter]
    fn ndim(&self) -> usize {
        self.t.ndim()
    }
    fn dim(&self) -> usize {
        self.t.ndim()
    }
    fn ndimension(&self) -> usize {
        self.t.ndim()
    }
    fn numel(&self) -> usize {
        self.t.numel()
    }
    fn nelement(&self) -> usize {
        self.t.numel()
    }
    fn element_size(&self) -> usize {
        self.t.dtype().size()
    }
    #[getter]
    fn itemsize(&self) -> usize {
        self.t.dtype().size()
    }
    #[getter]
    fn nbytes(&self) -> usize {
        self.t.numel() * self.t.dtype().size()
    }
    #[pyo3(signature = (dim=None))]
    fn stride<'py>(&self, py: Python<'py>, dim: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        match dim {
            None => Ok(PyTuple::new(py, self.t.strides())?.into_any()),
            Some(d) => {
                let d = self.t.dim_of(d).py()?;
                Ok(self.t.strides()[d].into_pyobject(py)?.into_any())
            }
        }
    }
    fn storage_offset(&self) -> usize {
        self.t.offset()
    }
    fn data_ptr(&self) -> usize {
        self.t.data_ptr()
    }
    fn untyped_storage_ptr(&self) -> usize {
        self.t.storage().data_ptr()
    }
    fn is_contiguous(&self) -> bool {
        self.t.is_contiguous()
    }
    fn is_floating_point(&self) -> bool {
        self.t.dtype().is_floating_point()
    }
    fn is_complex(&self) -> bool {
        false
    }
    #[getter]
    fn is_sparse(&self) -> bool {
        false
    }
    #[getter]
    fn get_requires_grad(&self) -> bool {
        self.t.requires_grad()
    }
    #[setter]
    fn set_requires_grad(&self, v: bool) -> PyResult<()> {
        self.t.set_requires_grad(v).py()
    }
    #[pyo3(signature = (requires_grad=true))]
    fn requires_grad_(slf: Bound<'_, Self>, requires_grad: bool) -> PyResult<Bound<'_, Self>> {
        slf.get().t.set_requires_grad(requires_grad).py()?;
        Ok(slf)
    }

    // ---- conversion -----------------------------------------------------
    fn item(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        scalar_to_py(py, self.t.item().py()?)
    }
    fn tolist(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let vals: Vec<Scalar> = ferrotorch_core::dispatch!(self.t.dtype(), T => {
            self.t.to_vec::<T>().py()?.into_iter().map(|v| ferrotorch_core::Element::to_scalar(v)).collect()
        });
        fn build(py: Python<'_>, vals: &[Scalar], shape: &[usize]) -> PyResult<Py<PyAny>> {
            if shape.is_empty() {
                return scalar_to_py(py, vals[0]);
            }
            let step = shape[1..].iter().product::<usize>();
            let items = (0..shape[0])
                .map(|i| build(py, &vals[i * step..(i + 1) * step], &shape[1..]))
                .collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any().unbind())
        }
        build(py, &vals, self.t.shape())
    }
    /// numpy's array interface: `np.asarray(t)` and `t.numpy()` share memory.
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let typestr = match self.t.dtype() {
            DType::F32 => "<f4",
            DType::F64 => "<f8",
            DType::F16 => "<f2",
            DType::I64 => "<i8",
            DType::I32 => "<i4",
            DType::I16 => "<i2",
            DType::I8 => "|i1",
            DType::U8 => "|u1",
            DType::Bool => "|b1",
            DType::BF16 => return Err(PyTypeError::new_err("Got unsupported ScalarType BFloat16")),
        };
        if self.t.device() != Device::Cpu {
            return Err(PyTypeError::new_err(format!(
                "can't convert {} device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.",
                self.t.device()
            )));
        }
        let d = PyDict::new(py);
        let sz = self.t.dtype().size() as isize;
        d.set_item("shape", PyTuple::new(py, self.t.shape())?)?;
        d.set_item("typestr", typestr)?;
        // numpy needs a non-null pointer even for empty arrays
        let ptr = if self.t.numel() == 0 {
            self.t.storage().data_ptr().max(1)
        } else {
            self.t.data_ptr()
        };
        d.set_item("data", (ptr, false))?;
        let strides: Vec<isize> = self.t.strides().iter().map(|s| s * sz).collect();
        d.set_item("strides", PyTuple::new(py, strides)?)?;
        d.set_item("version", 3)?;
        Ok(d)
    }
    #[pyo3(signature = (*, force=false))]
    fn numpy<'py>(slf: &Bound<'py, Self>, force: bool) -> PyResult<Bound<'py, PyAny>> {
        let py = slf.py();
        if slf.get().t.requires_grad() && !force {
            return Err(PyRuntimeError::new_err(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.",
            ));
        }
        py.import("numpy")?.getattr("asarray")?.call1((slf,))
    }
    #[pyo3(signature = (dtype=None, copy=None))]
    fn __array__<'py>(
        slf: &Bound<'py, Self>,
        dtype: Option<&Bound<'py, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = copy;
        let a = Self::numpy(slf, true)?;
        match dtype {
            Some(d) if !d.is_none() => a.call_method1("astype", (d,)),
            _ => Ok(a),
        }
    }

    /// `to(dtype)`, `to(device)`, `to(device, dtype)`, `to(other)`, with keywords.
    #[pyo3(signature = (*args, dtype=None, device=None, non_blocking=false, copy=false, memory_format=None))]
    fn to(
        slf: Bound<'_, Self>,
        args: &Bound<'_, PyTuple>,
        dtype: Option<&Bound<'_, PyAny>>,
        device: Option<&Bound<'_, PyAny>>,
        non_blocking: bool,
        copy: bool,
        memory_format: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = (non_blocking, memory_format);
        let py = slf.py();
        let mut target = opt_dtype(dtype)?;
        let mut dev = match device {
            Some(d) if !d.is_none() => Some(crate::dtype::opt_device(Some(d))?),
            _ => None,
        };
        for a in args.iter() {
            if let Ok(other) = a.cast::<PyTensor>() {
                target = Some(other.get().t.dtype());
                dev = Some(other.get().t.device());
            } else if let Some(d) =
                dtype_kwarg_target(&a).filter(|_| a.cast::<pyo3::types::PyString>().is_err())
            {
                target = Some(d);
            } else {
                dev = Some(crate::dtype::opt_device(Some(&a))?);
            }
        }
        let t = &slf.get().t;
        let want = target.unwrap_or(t.dtype());
        let dev = dev.unwrap_or(t.device());
        if want == t.dtype() && dev == t.device() && !copy {
            return Ok(slf.into_any().unbind());
        }
        // Copies are synchronous, so non_blocking=True is always safe.
        let r = if want == t.dtype() && dev == t.device() {
            t.deep_clone()
        } else {
            t.to_device(dev).and_then(|x| x.to_dtype(want))
        }
        .py()?;
        Ok(Py::new(py, PyTensor::new(r))?.into_any())
    }
    #[pyo3(signature = (dtype=None, non_blocking=false))]
    fn r#type(
        slf: Bound<'_, Self>,
        dtype: Option<&Bound<'_, PyAny>>,
        non_blocking: bool,
    ) -> PyResult<Py<PyAny>> {
        let _ = non_blocking;
        let py = slf.py();
        match dtype {
            None => {
                let t = &slf.get().t;
                let kind = match t.dtype() {
                    DType::F32 => "FloatTensor",
                    DType::F64 => "DoubleTensor",
                    DType::F16 => "HalfTensor",
                    DType::BF16 => "BFloat16Tensor",
                    DType::I64 => "LongTensor",
                    DType::I32 => "IntTensor",
                    DType::I16 => "ShortTensor",
                    DType::I8 => "CharTensor",
                    DType::U8 => "ByteTensor",
                    DType::Bool => "BoolTensor",
                };
                let name = if t.is_cuda() { format!("torch.cuda.{kind}") } else { format!("torch.{kind}") };
                Ok(name.into_pyobject(py)?.into_any().unbind())
            }
            Some(d) => {
                let dt = extract_dtype(d)?;
                Ok(Py::new(py, PyTensor::new(slf.get().t.to_dtype(dt).py()?))?.into_any())
            }
        }
    }
    #[pyo3(signature = (memory_format=None))]
    fn cpu(slf: Bound<'_, Self>, memory_format: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyAny>> {
        let _ = memory_format;
        if slf.get().t.device() == Device::Cpu {
            return Ok(slf.into_any().unbind());
        }
        let py = slf.py();
        Ok(Py::new(py, PyTensor::new(slf.get().t.to_device(Device::Cpu).py()?))?.into_any())
    }
    /// `Tensor.cuda(device=None, non_blocking=False)`: the current device by default.
    #[pyo3(signature = (device=None, non_blocking=false, memory_format=None))]
    fn cuda(
        slf: Bound<'_, Self>,
        device: Option<&Bound<'_, PyAny>>,
        non_blocking: bool,
        memory_format: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = (non_blocking, memory_format);
        let dev = match device {
            Some(d) if !d.is_none() => crate::dtype::extract_device(d)?,
            _ => crate::dtype::extract_device(pyo3::types::PyString::new(slf.py(), "cuda").as_any())?,
        };
        if dev == Device::Cpu {
            return Err(PyRuntimeError::new_err("Invalid device, must be cuda device"));
        }
        if slf.get().t.device() == dev {
            return Ok(slf.into_any().unbind());
        }
        let py = slf.py();
        Ok(Py::new(py, PyTensor::new(slf.get().t.to_device(dev).py()?))?.into_any())
    }
    fn float(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(DType::F32))
    }
    fn double(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(DType::F64))
    }
    fn half(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(DType::F16))
    }
    fn bfloat16(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(DType::BF16))
    }
    fn long(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(DType::I64))
    }
    fn int(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(DType::I32))
    }
    fn short(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(DType::I16))
    }
    fn char(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(DType::I8))
    }
    fn byte(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(DType::U8))
    }
    fn bool(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(DType::Bool))
    }
    fn type_as(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.to_dtype(other.t.dtype()))
    }
    #[pyo3(signature = (*, memory_format=None))]
    fn clone(
        &self,
        py: Python<'_>,
        memory_format: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let _ = memory_format;
        wrap(py, self.t.deep_clone())
    }
    #[pyo3(signature = (memory_format=None))]
    fn contiguous(
        slf: Bound<'_, Self>,
        memory_format: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = memory_format;
        if slf.get().t.is_contiguous() {
            return Ok(slf.into_any().unbind());
        }
        Ok(Py::new(slf.py(), PyTensor::new(slf.get().t.contiguous().py()?))?.into_any())
    }
    #[pyo3(signature = (src, non_blocking=false))]
    fn copy_<'py>(
        slf: Bound<'py, Self>,
        src: &Bound<'py, PyAny>,
        non_blocking: bool,
    ) -> PyResult<Bound<'py, Self>> {
        let _ = non_blocking;
        let s = crate::convert::tensor_arg(src, "copy_")?;
        slf.get().t.copy_(&s).py()?;
        Ok(slf)
    }
    fn detach(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        Py::new(py, PyTensor::new(self.t.detach()))
    }
    #[getter]
    fn data(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        self.detach(py)
    }
    /// `t.data = v` (as in `p.data -= lr * g`): writes `v`'s values into this
    /// tensor's memory without recording history.
    #[setter]
    fn set_data(&self, value: PyRef<'_, PyTensor>) -> PyResult<()> {
        let v = &value.t;
        if v.storage().ptr_eq(self.t.storage()) && v.layout() == self.t.layout() {
            return Ok(());
        }
        if v.shape() != self.t.shape() || v.dtype() != self.t.dtype() {
            return Err(pyo3::exceptions::PyNotImplementedError::new_err(
                "assigning .data a tensor of a different shape or dtype is not supported; use .copy_() or a new tensor",
            ));
        }
        ferrotorch_core::autograd::no_grad(|| self.t.copy_(v)).py()
    }

    // ---- Python protocols ----------------------------------------------
    fn __len__(&self) -> PyResult<usize> {
        if self.t.ndim() == 0 {
            return Err(PyTypeError::new_err("len() of a 0-d tensor"));
        }
        Ok(self.t.shape()[0])
    }
    fn __iter__(slf: Bound<'_, Self>) -> PyResult<Bound<'_, PyAny>> {
        let t = &slf.get().t;
        if t.ndim() == 0 {
            return Err(PyTypeError::new_err("iteration over a 0-d tensor"));
        }
        let py = slf.py();
        let items = t
            .unbind(0)
            .py()?
            .into_iter()
            .map(|x| Py::new(py, PyTensor::new(x)))
            .collect::<PyResult<Vec<_>>>()?;
        PyList::new(py, items)?
            .into_any()
            .try_iter()
            .map(|i| i.into_any())
    }
    fn __bool__(&self) -> PyResult<bool> {
        if self.t.numel() != 1 {
            return Err(PyRuntimeError::new_err(format!(
                "Boolean value of Tensor with {} values is ambiguous",
                if self.t.numel() == 0 {
                    "no".to_string()
                } else {
                    "more than one".to_string()
                }
            )));
        }
        Ok(self.t.item().py()?.to_bool())
    }
    fn __float__(&self) -> PyResult<f64> {
        Ok(self.t.item().py()?.to_f64())
    }
    fn __int__(&self) -> PyResult<i64> {
        Ok(self.t.item().py()?.to_i64())
    }
    fn __index__(&self) -> PyResult<i64> {
        if self.t.dtype().is_floating_point() || self.t.numel() != 1 {
            return Err(PyTypeError::new_err(
                "only integer tensors of a single element can be converted to an index",
            ));
        }
        Ok(self.t.item().py()?.to_i64())
    }
    fn __hash__(slf: &Bound<'_, Self>) -> isize {
        slf.as_ptr() as isize
    }
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        helpers(slf.py())?
            .getattr("tensor_repr")?
            .call1((slf,))?
            .extract()
    }
    fn __format__(slf: &Bound<'_, Self>, spec: &str) -> PyResult<String> {
        if slf.get().t.ndim() == 0 && !spec.is_empty() {
            return slf
                .call_method0("item")?
                .call_method1("__format__", (spec,))?
                .extract();
        }
        Self::__repr__(slf)
    }

    // ---- views -----------------------------------------------------------
    #[pyo3(signature = (*shape))]
    fn view(&self, py: Python<'_>, shape: &Bound<'_, PyTuple>) -> PyResult<Py<PyTensor>> {
        if shape.len() == 1 {
            if let Some(dt) = crate::convert::dtype_or_none(&shape.get_item(0)?) {
                if dt == self.t.dtype() {
                    return wrap(py, Ok(self.t.clone()));
                }
                return Err(PyRuntimeError::new_err(
                    "view(dtype) with a different element size is not supported",
                ));
            }
        }
        wrap(py, self.t.view(&sizes_from_args(shape)?))
    }
    fn view_as(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        let s: Vec<i64> = other.t.shape().iter().map(|&x| x as i64).collect();
        wrap(py, self.t.view(&s))
    }
    #[pyo3(signature = (*shape))]
    fn reshape(&self, py: Python<'_>, shape: &Bound<'_, PyTuple>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.reshape(&sizes_from_args(shape)?))
    }
    fn reshape_as(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        let s: Vec<i64> = other.t.shape().iter().map(|&x| x as i64).collect();
        wrap(py, self.t.reshape(&s))
    }
    #[pyo3(signature = (start_dim=0, end_dim=-1))]
    fn flatten(&self, py: Python<'_>, start_dim: i64, end_dim: i64) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.flatten(start_dim, end_dim))
    }
    fn ravel(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.reshape(&[-1]))
    }
    fn unflatten(&self, py: Python<'_>, dim: i64, sizes: Vec<i64>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.unflatten(dim, &sizes))
    }
    #[pyo3(signature = (dim=None))]
    fn squeeze(&self, py: Python<'_>, dim: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyTensor>> {
        let d = dims(dim)?;
        wrap(py, self.t.squeeze(d.as_deref()))
    }
    fn unsqueeze(&self, py: Python<'_>, dim: i64) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.unsqueeze(dim))
    }
    #[pyo3(signature = (*dims))]
    fn permute(&self, py: Python<'_>, dims: &Bound<'_, PyTuple>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.permute(&sizes_from_args(dims)?))
    }
    fn transpose(&self, py: Python<'_>, dim0: i64, dim1: i64) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.transpose(dim0, dim1))
    }
    fn swapaxes(&self, py: Python<'_>, axis0: i64, axis1: i64) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.transpose(axis0, axis1))
    }
    fn swapdims(&self, py: Python<'_>, dim0: i64, dim1: i64) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.transpose(dim0, dim1))
    }
    fn t(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.t())
    }
    #[getter(T)]
    fn big_t(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        let n = self.t.ndim() as i64;
        let rev: Vec<i64> = (0..n).rev().collect();
        wrap(py, self.t.permute(&rev))
    }
    #[getter(mT)]
    fn m_t(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        if self.t.ndim() < 2 {
            return Err(PyRuntimeError::new_err(
                "tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.",
            ));
        }
        wrap(py, self.t.transpose(-2, -1))
    }
    #[getter(H)]
    fn big_h(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.t())
    }
    #[getter(mH)]
    fn m_h(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        self.m_t(py)
    }
    #[pyo3(signature = (*sizes))]
    fn expand(&self, py: Python<'_>, sizes: &Bound<'_, PyTuple>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.expand(&sizes_from_args(sizes)?))
    }
    fn expand_as(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.broadcast_to(other.t.shape()))
    }
    fn broadcast_to(&self, py: Python<'_>, size: Vec<usize>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.broadcast_to(&size))
    }
    fn narrow(&self, py: Python<'_>, dim: i64, start: i64, length: i64) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.narrow(dim, start, length))
    }
    fn select(&self, py: Python<'_>, dim: i64, index: i64) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.select(dim, index))
    }
    #[pyo3(signature = (dim=0))]
    fn unbind<'py>(&self, py: Python<'py>, dim: i64) -> PyResult<Bound<'py, PyTuple>> {
        tuple_of(py, self.t.unbind(dim))
    }
    #[pyo3(signature = (split_size_or_sections, dim=0))]
    fn split<'py>(
        &self,
        py: Python<'py>,
        split_size_or_sections: &Bound<'py, PyAny>,
        dim: i64,
    ) -> PyResult<Bound<'py, PyTuple>> {
        if let Ok(n) = split_size_or_sections.extract::<i64>() {
            tuple_of(py, self.t.split(n, dim))
        } else {
            let sizes: Vec<i64> = split_size_or_sections.extract()?;
            tuple_of(py, self.t.split_with_sizes(&sizes, dim))
        }
    }
    #[pyo3(signature = (chunks, dim=0))]
    fn chunk<'py>(&self, py: Python<'py>, chunks: i64, dim: i64) -> PyResult<Bound<'py, PyTuple>> {
        tuple_of(py, self.t.chunk(chunks, dim))
    }
    #[pyo3(signature = (offset=0, dim1=0, dim2=1))]
    fn diagonal(
        &self,
        py: Python<'_>,
        offset: i64,
        dim1: i64,
        dim2: i64,
    ) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.diagonal(offset, dim1, dim2))
    }
    fn movedim(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        destination: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyTensor>> {
        let (s, d) = (
            dims(Some(source))?.unwrap_or_default(),
            dims(Some(destination))?.unwrap_or_default(),
        );
        wrap(py, self.t.movedim(&s, &d))
    }
    fn moveaxis(
        &self,
        py: Python<'_>,
        source: &Bound<'_, PyAny>,
        destination: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyTensor>> {
        self.movedim(py, source, destination)
    }
    #[pyo3(signature = (size, stride, storage_offset=None))]
    fn as_strided(
        &self,
        py: Python<'_>,
        size: Vec<usize>,
        stride: Vec<isize>,
        storage_offset: Option<usize>,
    ) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.as_strided(&size, &stride, storage_offset))
    }

    // ---- indexing ----------------------------------------------------------
    fn __getitem__(&self, py: Python<'_>, index: &Bound<'_, PyAny>) -> PyResult<Py<PyTensor>> {
        let items = index_items(index)?;
        match basic_index(&self.t, &items)? {
            Some(v) => Py::new(py, PyTensor::new(v)),
            None => Py::new(
                py,
                PyTensor::new(crate::index_ops::advanced_getitem(&self.t, index, &items)?),
            ),
        }
    }
    fn __setitem__(
        slf: &Bound<'_, Self>,
        index: &Bound<'_, PyAny>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let t = &slf.get().t;
        let items = index_items(index)?;
        match basic_index(t, &items)? {
            Some(view) => {
                let src = match scalar(value) {
                    Some(s) => Tensor::scalar(s, view.dtype()),
                    None => match value.cast::<PyTensor>() {
                        Ok(v) => v.get().t.clone(),
                        Err(_) => crate::convert::tensor_from_data(value, Some(view.dtype()))?,
                    },
                };
                view.copy_(&src).py()
            }
            None => crate::index_ops::advanced_setitem(t, index, &items, value),
        }
    }
}

pub fn tuple_of<'py>(
    py: Python<'py>,
    r: ferrotorch_core::Result<Vec<Tensor>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let items = r
        .py()?
        .into_iter()
        .map(|t| Py::new(py, PyTensor::new(t)))
        .collect::<PyResult<Vec<_>>>()?;
    PyTuple::new(py, items)
}

/// One element of an index expression.
pub enum IndexItem {
    Int(i64),
    Slice(Option<i64>, Option<i64>, i64),
    NewAxis,
    Ellipsis,
    Bool(bool),
    /// tensor, list or array: advanced indexing
    Advanced,
}

pub fn index_items<'py>(index: &Bound<'py, PyAny>) -> PyResult<Vec<IndexItem>> {
    let parts: Vec<Bound<'py, PyAny>> = match index.cast::<PyTuple>() {
        Ok(t) => t.iter().collect(),
        Err(_) => vec![index.clone()],
    };
    let py = index.py();
    parts
        .into_iter()
        .map(|p| {
            if p.is_none() {
                Ok(IndexItem::NewAxis)
            } else if p.is(&py.Ellipsis()) {
                Ok(IndexItem::Ellipsis)
            } else if let Ok(b) = p.cast::<pyo3::types::PyBool>() {
                Ok(IndexItem::Bool(b.is_true()))
            } else if let Ok(s) = p.cast::<PySlice>() {
                let get = |name: &str| -> PyResult<Option<i64>> {
                    let v = s.getattr(name)?;
                    if v.is_none() {
                        Ok(None)
                    } else {
                        v.extract::<i64>().map(Some)
                    }
                };
                let step = get("step")?.unwrap_or(1);
                if step <= 0 {
                    return Err(PyValueError::new_err("step must be greater than zero"));
                }
                Ok(IndexItem::Slice(get("start")?, get("stop")?, step))
            } else if p.is_instance_of::<pyo3::types::PyInt>() {
                Ok(IndexItem::Int(p.extract()?))
            } else if let Ok(t) = p.cast::<PyTensor>() {
                let tt = &t.get().t;
                if tt.ndim() == 0 && !tt.dtype().is_floating_point() && tt.dtype() != DType::Bool {
                    Ok(IndexItem::Int(tt.item().py()?.to_i64()))
                } else {
                    Ok(IndexItem::Advanced)
                }
            } else if p.hasattr("__index__")? && !p.hasattr("__len__")? {
                Ok(IndexItem::Int(p.extract()?))
            } else if p.cast::<pyo3::types::PySequence>().is_ok() || p.hasattr("__array_interface__")? {
                Ok(IndexItem::Advanced)
            } else {
                Err(PyIndexError::new_err(
                    "only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables are valid indices (got ".to_string()
                        + &p.get_type().name()?.to_string()
                        + ")",
                ))
            }
        })
        .collect()
}

/// Applies ints, slices, None, Ellipsis and Python bools as a view.
/// Returns None when the index has advanced parts.
pub fn basic_index(t: &Tensor, items: &[IndexItem]) -> PyResult<Option<Tensor>> {
    if items.iter().any(|i| matches!(i, IndexItem::Advanced)) {
        return Ok(None);
    }
    let consumed = items
        .iter()
        .filter(|i| matches!(i, IndexItem::Int(_) | IndexItem::Slice(..)))
        .count();
    if items
        .iter()
        .filter(|i| matches!(i, IndexItem::Ellipsis))
        .count()
        > 1
    {
        return Err(PyIndexError::new_err(
            "an index can only have a single ellipsis ('...')",
        ));
    }
    if consumed > t.ndim() {
        return Err(PyIndexError::new_err(format!(
            "too many indices for tensor of dimension {}",
            t.ndim()
        )));
    }
    let mut r = t.clone();
    let mut dim: i64 = 0;
    for item in items {
        match item {
            IndexItem::Int(i) => {
                let n = r.shape()[dim as usize] as i64;
                if *i < -n || *i >= n {
                    return Err(PyIndexError::new_err(format!(
                        "index {} is out of bounds for dimension {} with size {}",
                        i, dim, n
                    )));
                }
                r = r.select(dim, *i).py()?;
            }
            IndexItem::Slice(s, e, st) => {
                r = r.slice(dim, *s, *e, *st).py()?;
                dim += 1;
            }
            IndexItem::NewAxis => {
                r = r.unsqueeze(dim).py()?;
                dim += 1;
            }
            IndexItem::Bool(b) => {
                r = r.unsqueeze(dim).py()?;
                if !b {
                    r = r.narrow(dim, 0, 0).py()?;
                }
                dim += 1;
            }
            IndexItem::Ellipsis => {
                dim += (t.ndim() - consumed) as i64;
            }
            IndexItem::Advanced => unreachable!(),
        }
    }
    Ok(Some(r))
}
