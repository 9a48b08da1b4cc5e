//! Module-level factory functions and global state (`torch.zeros`, `torch.manual_seed`, ...).

use crate::convert::{nonneg_shape, scalar, sizes_from_args, tensor_from_data};
use crate::dtype::{dtype_obj, extract_dtype, opt_device, opt_dtype, PyDType};
use crate::errors::IntoPy;
use crate::tensor::{wrap, PyTensor};
use ferrotorch_core::dtype::{default_float_dtype, set_default_float_dtype};
use ferrotorch_core::random::{Generator, DEFAULT_GENERATOR};
use ferrotorch_core::cuda::random::{sample, Dist};
use ferrotorch_core::{DType, Device, Scalar, Tensor};
use pyo3::exceptions::{PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::PyTuple;

/// Moves a new tensor to `device=`, applies `requires_grad=` and returns the Python object.
fn finish(py: Python<'_>, t: Tensor, device: Device, requires_grad: bool) -> PyResult<Py<PyTensor>> {
    let t = t.to_device(device).py()?;
    if requires_grad {
        t.set_requires_grad(true).py()?;
    }
    Py::new(py, PyTensor::new(t))
}

#[pyfunction]
#[pyo3(signature = (data, *, dtype=None, device=None, requires_grad=false, pin_memory=false))]
pub fn tensor(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<Py<PyTensor>> {
    let _ = pin_memory;
    let dev = opt_device(device)?;
    finish(py, tensor_from_data(data, opt_dtype(dtype)?)?, dev, requires_grad)
}

/// `as_tensor`: shares memory with tensors and numpy arrays when no conversion is needed.
#[pyfunction]
#[pyo3(signature = (data, dtype=None, device=None))]
pub fn as_tensor(
    py: Python<'_>,
    data: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    let dev = opt_device(device)?;
    let dt = opt_dtype(dtype)?;
    if let Ok(t) = data.cast::<PyTensor>() {
        let t = &t.get().t;
        // no device given: stay where the tensor is
        let dev = if device.is_some_and(|d| !d.is_none()) { dev } else { t.device() };
        if dt.is_none_or(|d| d == t.dtype()) && dev == t.device() {
            return Ok(data.clone().unbind());
        }
        let r = t.to_device(dev).and_then(|x| x.to_dtype(dt.unwrap_or(x.dtype())));
        return Ok(wrap(py, r)?.into_any());
    }
    let t = if data.hasattr("__array_interface__")? {
        let t = crate::convert::from_array_interface(data)?;
        match dt {
            Some(d) => t.to_dtype(d).py()?,
            None => t,
        }
    } else {
        tensor_from_data(data, dt)?
    };
    Ok(Py::new(py, PyTensor::new(t.to_device(dev).py()?))?.into_any())
}

#[pyfunction]
pub fn from_numpy(py: Python<'_>, ndarray: &Bound<'_, PyAny>) -> PyResult<Py<PyTensor>> {
    let np = py.import("numpy")?;
    if !ndarray.is_instance(&np.getattr("ndarray")?)? {
        return Err(PyTypeError::new_err(format!(
            "expected np.ndarray (got {})",
            ndarray.get_type().name()?
        )));
    }
    Py::new(
        py,
        PyTensor::new(crate::convert::from_array_interface(ndarray)?),
    )
}

fn factory(
    py: Python<'_>,
    size: &Bound<'_, PyTuple>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    value: Scalar,
) -> PyResult<Py<PyTensor>> {
    let dev = opt_device(device)?;
    let shape = nonneg_shape(&sizes_from_args(size)?)?;
    let dt = opt_dtype(dtype)?.unwrap_or_else(default_float_dtype);
    crate::convert::check_alloc(&shape, dt.size(), dev)?;
    finish(py, Tensor::full_on(&shape, value, dt, dev).py()?, dev, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (*size, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false, memory_format=None))]
#[allow(clippy::too_many_arguments)]
pub fn zeros(
    py: Python<'_>,
    size: &Bound<'_, PyTuple>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
    memory_format: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyTensor>> {
    let _ = (out, layout, pin_memory, memory_format);
    factory(py, size, dtype, device, requires_grad, Scalar::Int(0))
}

#[pyfunction]
#[pyo3(signature = (*size, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false, memory_format=None))]
#[allow(clippy::too_many_arguments)]
pub fn ones(
    py: Python<'_>,
    size: &Bound<'_, PyTuple>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
    memory_format: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyTensor>> {
    let _ = (out, layout, pin_memory, memory_format);
    factory(py, size, dtype, device, requires_grad, Scalar::Int(1))
}

/// `empty` returns zero-filled memory: uninitialised reads are never observable.
#[pyfunction]
#[pyo3(signature = (*size, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false, memory_format=None))]
#[allow(clippy::too_many_arguments)]
pub fn empty(
    py: Python<'_>,
    size: &Bound<'_, PyTuple>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
    memory_format: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyTensor>> {
    let _ = (out, layout, pin_memory, memory_format);
    factory(py, size, dtype, device, requires_grad, Scalar::Int(0))
}

#[pyfunction]
#[pyo3(signature = (size, fill_value, *, dtype=None, device=None, requires_grad=false))]
pub fn full(
    py: Python<'_>,
    size: &Bound<'_, PyAny>,
    fill_value: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<Py<PyTensor>> {
    let dev = opt_device(device)?;
    let v = scalar(fill_value)
        .ok_or_else(|| PyTypeError::new_err("full(): fill_value must be a number"))?;
    let shape = nonneg_shape(&size.extract::<Vec<i64>>()?)?;
    let dt = opt_dtype(dtype)?.unwrap_or_else(|| v.default_dtype());
    finish(py, Tensor::full_on(&shape, v, dt, dev).py()?, dev, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (input, fill_value, *, dtype=None, device=None, requires_grad=false, memory_format=None))]
pub fn full_like(
    py: Python<'_>,
    input: PyRef<'_, PyTensor>,
    fill_value: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    memory_format: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyTensor>> {
    let _ = memory_format;
    let dev = match device {
        Some(d) if !d.is_none() => opt_device(Some(d))?,
        _ => input.t.device(),
    };
    let v = scalar(fill_value)
        .ok_or_else(|| PyTypeError::new_err("full_like(): fill_value must be a number"))?;
    let dt = opt_dtype(dtype)?.unwrap_or(input.t.dtype());
    finish(py, Tensor::full_on(input.t.shape(), v, dt, dev).py()?, dev, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (start, end=None, step=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn arange(
    py: Python<'_>,
    start: &Bound<'_, PyAny>,
    end: Option<&Bound<'_, PyAny>>,
    step: Option<&Bound<'_, PyAny>>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<Py<PyTensor>> {
    let _ = (out, layout);
    let dev = opt_device(device)?;
    let num = |o: &Bound<'_, PyAny>| {
        scalar(o).ok_or_else(|| PyTypeError::new_err("arange(): arguments must be numbers"))
    };
    let (s, e) = match end {
        Some(e) if !e.is_none() => (num(start)?, num(e)?),
        _ => (Scalar::Int(0), num(start)?),
    };
    let st = match step {
        Some(x) if !x.is_none() => num(x)?,
        _ => Scalar::Int(1),
    };
    let any_float = [s, e, st].iter().any(|v| matches!(v, Scalar::Float(_)));
    let dt = opt_dtype(dtype)?.unwrap_or(if any_float {
        default_float_dtype()
    } else {
        DType::I64
    });
    finish(py, Tensor::arange(s.to_f64(), e.to_f64(), st.to_f64(), dt).py()?, dev, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (start, end, steps, *, out=None, dtype=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn linspace(
    py: Python<'_>,
    start: f64,
    end: f64,
    steps: i64,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<Py<PyTensor>> {
    let _ = out;
    let dev = opt_device(device)?;
    let dt = opt_dtype(dtype)?.unwrap_or_else(default_float_dtype);
    finish(py, Tensor::linspace(start, end, steps, dt).py()?, dev, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (start, end, steps, base=10.0, *, out=None, dtype=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn logspace(
    py: Python<'_>,
    start: f64,
    end: f64,
    steps: i64,
    base: f64,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<Py<PyTensor>> {
    let _ = out;
    let dev = opt_device(device)?;
    let dt = opt_dtype(dtype)?.unwrap_or_else(default_float_dtype);
    finish(py, Tensor::logspace(start, end, steps, base, dt).py()?, dev, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (n, m=None, *, out=None, dtype=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn eye(
    py: Python<'_>,
    n: i64,
    m: Option<i64>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<Py<PyTensor>> {
    let _ = out;
    let dev = opt_device(device)?;
    let dt = opt_dtype(dtype)?.unwrap_or_else(default_float_dtype);
    finish(py, Tensor::eye(n, m, dt).py()?, dev, requires_grad)
}

// ---- random -------------------------------------------------------------------

/// `torch.Generator`: an independent Philox stream.
#[pyclass(name = "Generator", module = "ferrotorch")]
pub struct PyGenerator {
    pub g: Generator,
    device: Device,
}

#[pymethods]
impl PyGenerator {
    #[new]
    #[pyo3(signature = (device=None))]
    fn new(device: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(PyGenerator {
            g: Generator::new(67_280_421_310_721),
            device: opt_device(device)?,
        })
    }
    fn manual_seed(slf: Bound<'_, Self>, seed: i64) -> Bound<'_, Self> {
        slf.borrow_mut().g = Generator::new(seed as u64);
        slf
    }
    fn initial_seed(&self) -> u64 {
        self.g.seed
    }
    fn seed(&mut self) -> u64 {
        let s = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        self.g = Generator::new(s);
        s
    }
    fn get_state(&self) -> (u64, u64) {
        (self.g.seed, self.g.offset)
    }
    fn set_state(&mut self, state: (u64, u64)) {
        self.g = Generator {
            seed: state.0,
            offset: state.1,
        };
    }
    #[getter]
    fn device(&self) -> crate::dtype::PyDevice {
        crate::dtype::PyDevice::of(self.device)
    }
}

/// Runs `f` on the given generator or on the default one.
fn with_gen<R>(
    generator: Option<&Bound<'_, PyGenerator>>,
    f: impl FnOnce(&mut Generator) -> R,
) -> R {
    match generator {
        Some(g) => f(&mut g.borrow_mut().g),
        None => f(&mut DEFAULT_GENERATOR.lock().unwrap()),
    }
}

/// Samples on a CUDA device from `generator` or that device's generator.
fn on_cuda(
    shape: &[usize],
    dt: DType,
    dev: Device,
    dist: Dist,
    generator: Option<&Bound<'_, PyGenerator>>,
) -> PyResult<Tensor> {
    match generator {
        Some(g) => sample(shape, dt, dev, dist, Some(&mut g.borrow_mut().g)),
        None => sample(shape, dt, dev, dist, None),
    }
    .py()
}

fn float_dtype_arg(dtype: Option<&Bound<'_, PyAny>>, name: &str) -> PyResult<DType> {
    let dt = opt_dtype(dtype)?.unwrap_or_else(default_float_dtype);
    if !dt.is_floating_point() {
        return Err(PyRuntimeError::new_err(format!(
            "\"{name}\" not implemented for '{}'",
            dt.legacy_name()
        )));
    }
    Ok(dt)
}

#[pyfunction]
#[pyo3(signature = (*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
#[allow(clippy::too_many_arguments)]
pub fn rand(
    py: Python<'_>,
    size: &Bound<'_, PyTuple>,
    generator: Option<&Bound<'_, PyGenerator>>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<Py<PyTensor>> {
    let _ = (out, layout, pin_memory);
    let dev = opt_device(device)?;
    let shape = nonneg_shape(&sizes_from_args(size)?)?;
    let dt = float_dtype_arg(dtype, "check_uniform_bounds")?;
    let t = if dev != Device::Cpu {
        let bits = ferrotorch_core::random::uniform_bits(dt);
        on_cuda(&shape, dt, dev, Dist::Uniform { lo: 0.0, hi: 1.0, bits }, generator)?
    } else {
        crate::convert::check_alloc(&shape, 8, dev)?; // sampled as f64 first
        let bits = ferrotorch_core::random::uniform_bits(dt);
        let mut v = with_gen(generator, |g| g.uniform_f64(shape.iter().product()));
        v.iter_mut().for_each(|u| *u = ferrotorch_core::random::keep_bits(*u, bits));
        Tensor::from_vec(v, &shape).py()?.to_dtype(dt).py()?
    };
    finish(py, t, dev, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (*size, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
#[allow(clippy::too_many_arguments)]
pub fn randn(
    py: Python<'_>,
    size: &Bound<'_, PyTuple>,
    generator: Option<&Bound<'_, PyGenerator>>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<Py<PyTensor>> {
    let _ = (out, layout, pin_memory);
    let dev = opt_device(device)?;
    let shape = nonneg_shape(&sizes_from_args(size)?)?;
    let dt = float_dtype_arg(dtype, "normal_kernel_cpu")?;
    let t = if dev != Device::Cpu {
        on_cuda(&shape, dt, dev, Dist::Normal { mean: 0.0, std: 1.0 }, generator)?
    } else {
        crate::convert::check_alloc(&shape, 8, dev)?; // sampled as f64 first
        let v = with_gen(generator, |g| g.normal_f64(shape.iter().product()));
        Tensor::from_vec(v, &shape).py()?.to_dtype(dt).py()?
    };
    finish(py, t, dev, requires_grad)
}

/// `randint(high, size)` or `randint(low, high, size)`.
#[pyfunction]
#[pyo3(signature = (*args, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, size=None))]
#[allow(clippy::too_many_arguments)]
pub fn randint(
    py: Python<'_>,
    args: &Bound<'_, PyTuple>,
    generator: Option<&Bound<'_, PyGenerator>>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    size: Option<Vec<i64>>,
) -> PyResult<Py<PyTensor>> {
    let _ = (out, layout);
    let dev = opt_device(device)?;
    let (low, high, size) = match (args.len(), size) {
        (1, Some(s)) => (0, args.get_item(0)?.extract::<i64>()?, s),
        (2, Some(s)) => (args.get_item(0)?.extract::<i64>()?, args.get_item(1)?.extract::<i64>()?, s),
        (2, None) => (0, args.get_item(0)?.extract::<i64>()?, args.get_item(1)?.extract::<Vec<i64>>()?),
        (3, None) => (args.get_item(0)?.extract::<i64>()?, args.get_item(1)?.extract::<i64>()?, args.get_item(2)?.extract::<Vec<i64>>()?),
        _ => return Err(PyTypeError::new_err("randint() received an invalid combination of arguments - expected (high, size) or (low, high, size)")),
    };
    if low >= high {
        return Err(PyRuntimeError::new_err(format!(
            "random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )));
    }
    let shape = nonneg_shape(&size)?;
    let dt = opt_dtype(dtype)?.unwrap_or(DType::I64);
    let t = if dev != Device::Cpu {
        let range = high.wrapping_sub(low) as u64;
        on_cuda(&shape, dt, dev, Dist::Integers { low, range }, generator)?
    } else {
        let v = with_gen(generator, |g| g.integers(shape.iter().product(), low, high));
        Tensor::from_vec(v, &shape).py()?.to_dtype(dt).py()?
    };
    finish(py, t, dev, requires_grad)
}

#[pyfunction]
#[pyo3(signature = (n, *, generator=None, out=None, dtype=None, layout=None, device=None, requires_grad=false, pin_memory=false))]
#[allow(clippy::too_many_arguments)]
pub fn randperm(
    py: Python<'_>,
    n: i64,
    generator: Option<&Bound<'_, PyGenerator>>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    layout: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
    pin_memory: bool,
) -> PyResult<Py<PyTensor>> {
    let _ = (out, layout, pin_memory);
    let dev = opt_device(device)?;
    if n < 0 {
        return Err(PyRuntimeError::new_err(format!(
            "n must be non-negative, got{n}"
        )));
    }
    // Fisher-Yates with one random word per position
    let mut v: Vec<i64> = (0..n).collect();
    let r = with_gen(generator, |g| g.next_u32s(2 * n as usize));
    for i in (1..n as usize).rev() {
        let w = ((r[2 * i] as u64) << 32) | r[2 * i + 1] as u64;
        v.swap(i, (w % (i as u64 + 1)) as usize);
    }
    let dt = opt_dtype(dtype)?.unwrap_or(DType::I64);
    finish(py, Tensor::from_vec(v, &[n as usize]).py()?.to_dtype(dt).py()?, dev, requires_grad)
}

/// `normal(mean, std, size)` with float arguments, or tensor mean/std (broadcast).
#[pyfunction]
#[pyo3(signature = (mean=None, std=None, size=None, *, generator=None, out=None, dtype=None, device=None, requires_grad=false))]
#[allow(clippy::too_many_arguments)]
pub fn normal(
    py: Python<'_>,
    mean: Option<&Bound<'_, PyAny>>,
    std: Option<&Bound<'_, PyAny>>,
    size: Option<Vec<i64>>,
    generator: Option<&Bound<'_, PyGenerator>>,
    out: Option<&Bound<'_, PyAny>>,
    dtype: Option<&Bound<'_, PyAny>>,
    device: Option<&Bound<'_, PyAny>>,
    requires_grad: bool,
) -> PyResult<Py<PyTensor>> {
    let _ = out;
    let dev = opt_device(device)?;
    use ferrotorch_core::{binary, Arg, BinaryOp};
    let m = mean
        .map(|m| crate::convert::operand_or_err(m, "normal"))
        .transpose()?
        .unwrap_or(crate::convert::Operand::S(Scalar::Float(0.0)));
    let s = std
        .map(|s| crate::convert::operand_or_err(s, "normal"))
        .transpose()?
        .unwrap_or(crate::convert::Operand::S(Scalar::Float(1.0)));
    if let crate::convert::Operand::S(sv) = s {
        if sv.to_f64() < 0.0 {
            return Err(PyRuntimeError::new_err(format!(
                "normal expects std >= 0.0, but found std {}",
                sv.to_f64()
            )));
        }
    }
    let shape: Vec<usize> = match &size {
        Some(sz) => nonneg_shape(sz)?,
        None => {
            let sm: &[usize] = match &m {
                crate::convert::Operand::T(t) => t.shape(),
                _ => &[],
            };
            let ss: &[usize] = match &s {
                crate::convert::Operand::T(t) => t.shape(),
                _ => &[],
            };
            ferrotorch_core::layout::broadcast_shapes(sm, ss).py()?
        }
    };
    let mut dt = opt_dtype(dtype)?.unwrap_or_else(default_float_dtype);
    if let crate::convert::Operand::T(t) = &m {
        dt = t.dtype();
    }
    let z = if dev != Device::Cpu {
        on_cuda(&shape, dt, dev, Dist::Normal { mean: 0.0, std: 1.0 }, generator)?
    } else {
        let z = with_gen(generator, |g| g.normal_f64(shape.iter().product()));
        Tensor::from_vec(z, &shape).py()?.to_dtype(dt).py()?
    };
    let r = binary(BinaryOp::Mul, Arg::T(&z), s.arg())
        .and_then(|x| binary(BinaryOp::Add, Arg::T(&x), m.arg()))
        .and_then(|x| x.to_dtype(dt))
        .py()?;
    finish(py, r, dev, requires_grad)
}

#[pyfunction]
pub fn manual_seed(seed: i64) -> PyResult<()> {
    ferrotorch_core::random::manual_seed(seed as u64);
    Ok(())
}

#[pyfunction]
pub fn initial_seed() -> u64 {
    DEFAULT_GENERATOR.lock().unwrap().seed
}

#[pyfunction]
pub fn get_rng_state() -> (u64, u64) {
    let g = DEFAULT_GENERATOR.lock().unwrap();
    (g.seed, g.offset)
}

#[pyfunction]
pub fn set_rng_state(state: (u64, u64)) {
    *DEFAULT_GENERATOR.lock().unwrap() = Generator {
        seed: state.0,
        offset: state.1,
    };
}

#[pyfunction]
pub fn get_default_dtype(py: Python<'_>) -> Py<PyDType> {
    dtype_obj(py, default_float_dtype())
}

#[pyfunction]
pub fn set_default_dtype(d: &Bound<'_, PyAny>) -> PyResult<()> {
    set_default_float_dtype(extract_dtype(d)?).py()
}

#[pyfunction]
pub fn promote_types(
    py: Python<'_>,
    type1: &Bound<'_, PyAny>,
    type2: &Bound<'_, PyAny>,
) -> PyResult<Py<PyDType>> {
    Ok(dtype_obj(
        py,
        ferrotorch_core::dtype::promote_types(extract_dtype(type1)?, extract_dtype(type2)?),
    ))
}

#[pyfunction]
pub fn can_cast(from_: &Bound<'_, PyAny>, to: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(extract_dtype(from_)?.can_cast_to(extract_dtype(to)?))
}

/// `torch.result_type(a, b)` over tensors and numbers.
#[pyfunction]
pub fn result_type(
    py: Python<'_>,
    tensor1: &Bound<'_, PyAny>,
    tensor2: &Bound<'_, PyAny>,
) -> PyResult<Py<PyDType>> {
    use ferrotorch_core::dtype::Operand as Op;
    let op = |o: &Bound<'_, PyAny>| -> PyResult<Op> {
        if let Ok(t) = o.cast::<PyTensor>() {
            let t = &t.get().t;
            return Ok(Op::Tensor {
                dtype: t.dtype(),
                zero_dim: t.ndim() == 0,
            });
        }
        scalar(o)
            .map(|s| Op::Scalar(s.category()))
            .ok_or_else(|| PyTypeError::new_err("result_type expects tensors or numbers"))
    };
    Ok(dtype_obj(
        py,
        ferrotorch_core::dtype::result_type(&[op(tensor1)?, op(tensor2)?]),
    ))
}

#[pyfunction]
#[pyo3(signature = (condition, input=None, other=None))]
pub fn r#where(
    py: Python<'_>,
    condition: PyRef<'_, PyTensor>,
    input: Option<&Bound<'_, PyAny>>,
    other: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    match (input, other) {
        (Some(a), Some(b)) => {
            let (a, b) = (
                crate::convert::operand_or_err(a, "where")?,
                crate::convert::operand_or_err(b, "where")?,
            );
            Ok(wrap(
                py,
                ferrotorch_core::ops::binary::where_(&condition.t, a.arg(), b.arg()),
            )?
            .into_any())
        }
        (None, None) => Ok(crate::tensor::tuple_of(py, condition.t.nonzero_tuple())?
            .into_any()
            .unbind()),
        _ => Err(pyo3::exceptions::PyTypeError::new_err(
            "where(): expected both input and other, or neither",
        )),
    }
}

#[pyfunction]
pub fn is_tensor(obj: &Bound<'_, PyAny>) -> bool {
    obj.is_instance_of::<PyTensor>()
}
