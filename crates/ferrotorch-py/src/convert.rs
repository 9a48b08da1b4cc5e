//! Python values -> core values: scalars, dims, shapes, nested data, numpy arrays.

use crate::dtype::PyDType;
use crate::errors::IntoPy;
use crate::tensor::PyTensor;
use ferrotorch_core::{Arg, DType, Layout, Scalar, Storage, Tensor};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyList, PySequence, PyTuple};

/// A Python number (bool, int, float, or a numpy scalar) as a `Scalar`.
pub fn scalar(obj: &Bound<'_, PyAny>) -> Option<Scalar> {
    if let Ok(b) = obj.cast::<PyBool>() {
        return Some(Scalar::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return obj.extract::<i64>().ok().map(Scalar::Int);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Some(Scalar::Float(f.value()));
    }
    // numpy scalars and other number-likes
    let tname = obj.get_type().name().ok()?.to_string();
    if tname == "bool_" || tname == "bool" {
        return obj.is_truthy().ok().map(Scalar::Bool);
    }
    if obj.hasattr("__index__").ok()? && !obj.is_instance_of::<PyTensor>() {
        return obj.extract::<i64>().ok().map(Scalar::Int);
    }
    if obj.hasattr("__float__").ok()?
        && !obj.is_instance_of::<PyTensor>()
        && !obj.hasattr("__len__").ok()?
    {
        return obj.extract::<f64>().ok().map(Scalar::Float);
    }
    None
}

/// A tensor-or-number operand; the borrowed tensor lives in `holder`.
pub enum Operand {
    T(Tensor),
    S(Scalar),
}
impl Operand {
    pub fn tensor(&self) -> Option<&Tensor> {
        match self {
            Operand::T(t) => Some(t),
            Operand::S(_) => None,
        }
    }
    pub fn arg(&self) -> Arg<'_> {
        match self {
            Operand::T(t) => Arg::T(t),
            Operand::S(s) => Arg::S(*s),
        }
    }
}
pub fn operand(obj: &Bound<'_, PyAny>) -> Option<Operand> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Some(Operand::T(t.get().t.clone()));
    }
    if let Some(s) = scalar(obj) {
        return Some(Operand::S(s));
    }
    // numpy arrays take part in arithmetic as tensors (zero-copy)
    if is_array_like(obj) {
        return from_array_interface(obj).ok().map(Operand::T);
    }
    None
}
pub fn operand_or_err(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Operand> {
    operand(obj).ok_or_else(|| {
        PyTypeError::new_err(format!(
            "{what}: expected Tensor or Number, but got {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })
}

pub fn tensor_arg(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Tensor> {
    obj.cast::<PyTensor>()
        .map(|t| t.get().t.clone())
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "{what}: argument must be Tensor, not {}",
                obj.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })
}

/// `dim=`: None, an int, or a sequence of ints.
pub fn dims(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => {
            if let Ok(i) = o.extract::<i64>() {
                Ok(Some(vec![i]))
            } else {
                Ok(Some(o.extract::<Vec<i64>>()?))
            }
        }
    }
}

/// Sizes given as `f(2, 3)`, `f((2, 3))`, `f([2, 3])` or `f(torch.Size(...))`.
pub fn sizes_from_args(args: &Bound<'_, PyTuple>) -> PyResult<Vec<i64>> {
    if args.len() == 1 {
        let a = args.get_item(0)?;
        if a.extract::<i64>().is_err() {
            return a.extract::<Vec<i64>>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "expected a sequence of integers or a single integer, got '{}'",
                    a.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ))
            });
        }
    }
    args.iter()
        .map(|a| a.extract::<i64>())
        .collect::<PyResult<Vec<i64>>>()
        .map_err(|_| PyTypeError::new_err("expected a sequence of integers or a single integer"))
}

/// Fails like PyTorch's allocator when `shape` of `elem`-byte elements cannot
/// be allocated (size overflow or no memory), instead of aborting the process.
/// For CUDA only overflow is checked here: the device allocator reports the rest.
pub fn check_alloc(shape: &[usize], elem: usize, device: ferrotorch_core::Device) -> PyResult<()> {
    let err = |m: String| pyo3::exceptions::PyRuntimeError::new_err(m);
    let numel = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| err("numel: integer multiplication overflow".into()))?;
    let bytes = numel.checked_mul(elem).filter(|&b| b <= isize::MAX as usize);
    let on_host = device == ferrotorch_core::Device::Cpu;
    let fits = bytes.is_some_and(|b| !on_host || Vec::<u8>::new().try_reserve_exact(b).is_ok());
    if !fits {
        return Err(err(format!(
            "DefaultCPUAllocator: can't allocate memory: you tried to allocate {} bytes. Error code 12 (Cannot allocate memory)",
            numel as u128 * elem as u128
        )));
    }
    Ok(())
}

pub fn nonneg_shape(sizes: &[i64]) -> PyResult<Vec<usize>> {
    sizes
        .iter()
        .map(|&s| {
            if s < 0 {
                Err(pyo3::exceptions::PyRuntimeError::new_err(format!(
                    "Trying to create tensor with negative dimension {}: {:?}",
                    s, sizes
                )))
            } else {
                Ok(s as usize)
            }
        })
        .collect()
}

/// Wraps a numpy array (anything with `__array_interface__`) without copying.
pub fn from_array_interface(obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    // Own the memory through an ndarray: a numpy scalar's interface points at
    // a temporary buffer that dies with the interface dict. asarray returns
    // an ndarray itself unchanged, so arrays stay zero-copy.
    let obj = &obj.py().import("numpy")?.call_method1("asarray", (obj,))?;
    let ai = obj.getattr("__array_interface__")?;
    let shape: Vec<usize> = ai.get_item("shape")?.extract()?;
    let typestr: String = ai.get_item("typestr")?.extract()?;
    let (ptr, _ro): (usize, bool) = ai.get_item("data")?.extract()?;
    let dtype = dtype_from_typestr(&typestr)?;
    let itemsize = dtype.size() as isize;
    let strides_obj = ai.get_item("strides")?;
    let strides: Vec<isize> = if strides_obj.is_none() {
        ferrotorch_core::layout::contiguous_strides(&shape)
    } else {
        let bytes: Vec<isize> = strides_obj.extract()?;
        let mut out = Vec::with_capacity(bytes.len());
        for b in bytes {
            if b < 0 {
                return Err(PyValueError::new_err(
                    "At least one stride in the given numpy array is negative, and tensors with negative strides are not currently supported. (You can probably work around this by making a copy of your array  with array.copy().) ",
                ));
            }
            if b % itemsize != 0 {
                return Err(PyValueError::new_err(
                    "given numpy array strides not a multiple of the element byte size. Copy the numpy array to reallocate the memory.",
                ));
            }
            out.push(b / itemsize);
        }
        out
    };
    let layout = Layout {
        shape,
        strides,
        offset: 0,
    };
    let nbytes = layout.storage_span() * dtype.size();
    let owner: Py<PyAny> = obj.clone().unbind();
    let storage = unsafe { Storage::from_foreign(ptr as *mut u8, nbytes, Box::new(owner)) };
    Tensor::from_storage(storage, layout, dtype).py()
}

fn dtype_from_typestr(t: &str) -> PyResult<DType> {
    let native_or_none =
        |c: char| c == '|' || c == '=' || (c == '<') == cfg!(target_endian = "little");
    let mut chars = t.chars();
    let order = chars.next().unwrap_or('|');
    let rest: String = chars.collect();
    if !native_or_none(order) {
        return Err(PyValueError::new_err("given numpy array has byte order different from the native byte order. Conversion between byte orders is currently not supported."));
    }
    Ok(match rest.as_str() {
        "f4" => DType::F32,
        "f8" => DType::F64,
        "f2" => DType::F16,
        "i8" => DType::I64,
        "i4" => DType::I32,
        "i2" => DType::I16,
        "i1" => DType::I8,
        "u1" => DType::U8,
        "b1" => DType::Bool,
        _ => {
            return Err(PyTypeError::new_err(format!(
                "can't convert np.ndarray of type numpy.{}. The only supported types are: float64, float32, float16, int64, int32, int16, int8, uint8, and bool.",
                t
            )))
        }
    })
}

/// Nested Python data -> (flat values, shape, inferred dtype).
struct Nested {
    vals: Vec<Scalar>,
    shape: Vec<usize>,
    kind: DType,
}

fn is_array_like(obj: &Bound<'_, PyAny>) -> bool {
    obj.hasattr("__array_interface__").unwrap_or(false) && !obj.is_instance_of::<PyTensor>()
}

fn walk(obj: &Bound<'_, PyAny>, depth: usize, acc: &mut Nested) -> PyResult<()> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = &t.get().t;
        if t.ndim() == 0 {
            let s = t.item().py()?;
            note_kind(acc, s, Some(t.dtype()));
            acc.vals.push(s);
            return check_leaf_depth(acc, depth);
        }
        return Err(PyValueError::new_err(
            "only one element tensors can be converted to Python scalars",
        ));
    }
    if let Some(s) = scalar(obj) {
        note_kind(acc, s, None);
        acc.vals.push(s);
        return check_leaf_depth(acc, depth);
    }
    // A string is a sequence of strings: PyTorch rejects it instead of recursing forever.
    if obj.is_instance_of::<pyo3::types::PyString>() || obj.is_instance_of::<pyo3::types::PyBytes>() {
        return Err(if depth == 0 || !acc.vals.is_empty() {
            PyTypeError::new_err("new(): invalid data type 'str'")
        } else {
            PyValueError::new_err("too many dimensions 'str'")
        });
    }
    let seq = obj.cast::<PySequence>().map_err(|_| {
        PyTypeError::new_err(format!(
            "Could not infer dtype of {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })?;
    let n = seq.len()?;
    if depth == acc.shape.len() {
        if !acc.vals.is_empty() {
            return Err(PyValueError::new_err(format!(
                "expected sequence of length {} at dim {} (got {})",
                acc.shape.get(depth).copied().unwrap_or(0),
                depth,
                n
            )));
        }
        acc.shape.push(n);
    } else if acc.shape.get(depth) != Some(&n) {
        return Err(PyValueError::new_err(format!(
            "expected sequence of length {} at dim {} (got {})",
            acc.shape.get(depth).copied().unwrap_or(0),
            depth,
            n
        )));
    }
    for i in 0..n {
        walk(&seq.get_item(i)?, depth + 1, acc)?;
    }
    Ok(())
}

fn check_leaf_depth(acc: &Nested, depth: usize) -> PyResult<()> {
    if depth != acc.shape.len() {
        return Err(PyValueError::new_err(format!(
            "expected sequence of length {} at dim {} (got a scalar)",
            acc.shape.get(depth).copied().unwrap_or(0),
            depth
        )));
    }
    Ok(())
}

fn note_kind(acc: &mut Nested, s: Scalar, tensor_dtype: Option<DType>) {
    let d = tensor_dtype.unwrap_or_else(|| s.default_dtype());
    acc.kind = if acc.vals.is_empty() {
        d
    } else {
        ferrotorch_core::dtype::promote_types(acc.kind, d)
    };
}

/// `torch.tensor(data)`: always copies.
pub fn tensor_from_data(obj: &Bound<'_, PyAny>, dtype: Option<DType>) -> PyResult<Tensor> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        let t = &t.get().t;
        return t
            .to_dtype(dtype.unwrap_or(t.dtype()))
            .and_then(|x| x.deep_clone())
            .py();
    }
    if is_array_like(obj) {
        let t = from_array_interface(obj)?;
        return t
            .to_dtype(dtype.unwrap_or(t.dtype()))
            .and_then(|x| x.deep_clone())
            .py();
    }
    let mut acc = Nested {
        vals: vec![],
        shape: vec![],
        kind: ferrotorch_core::dtype::default_float_dtype(),
    };
    if let Ok(list) = obj.cast::<PyList>() {
        if list.is_empty() {
            let dt = dtype.unwrap_or_else(ferrotorch_core::dtype::default_float_dtype);
            return Ok(Tensor::zeros(&[0], dt));
        }
    }
    walk(obj, 0, &mut acc)?;
    // a Python float among ints gives the default float dtype, not f64
    let dt = dtype.unwrap_or(acc.kind);
    let n = acc.vals.len();
    let t = ferrotorch_core::dispatch!(dt, T => {
        let v: Vec<T> = acc.vals.iter().map(|&s| <T as ferrotorch_core::Element>::from_scalar(s)).collect();
        Tensor::from_vec(v, &acc.shape)
    })
    .py()?;
    debug_assert_eq!(t.numel(), n);
    Ok(t)
}

pub fn dtype_or_none(obj: &Bound<'_, PyAny>) -> Option<DType> {
    obj.cast::<PyDType>().ok().map(|d| d.get().0)
}
