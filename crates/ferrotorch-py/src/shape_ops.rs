//! Bindings for joining/shaping, scans, norms and sorting (core: ops/shape.rs, ops/sort.rs).

use crate::convert::{dims, scalar, sizes_from_args, tensor_arg};
use crate::dtype::opt_dtype;
use crate::errors::IntoPy;
use crate::tensor::{helpers, tuple_of, wrap, PyTensor};
use ferrotorch_core::ops::shape;
use ferrotorch_core::{Scalar, Tensor};
use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};

/// A sequence of tensors (`cat([a, b])`).
fn tensor_list(obj: &Bound<'_, PyAny>, what: &str) -> PyResult<Vec<Tensor>> {
    if obj.is_instance_of::<PyTensor>() {
        return Err(PyTypeError::new_err(format!(
            "{what}(): argument 'tensors' must be tuple of Tensors, not Tensor"
        )));
    }
    let items: Vec<Bound<'_, PyAny>> = obj
        .try_iter()
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "{what}(): argument 'tensors' must be tuple of Tensors"
            ))
        })?
        .collect::<PyResult<_>>()?;
    items
        .iter()
        .enumerate()
        .map(|(i, o)| {
            tensor_arg(o, what).map_err(|_| {
                PyTypeError::new_err(format!(
                    "expected Tensor as element {i} in argument 0, but got {}",
                    o.get_type()
                        .name()
                        .map(|n| n.to_string())
                        .unwrap_or_default()
                ))
            })
        })
        .collect()
}

/// `*tensors` or one sequence of tensors.
fn varargs_tensors(args: &Bound<'_, PyTuple>, what: &str) -> PyResult<Vec<Tensor>> {
    if args.len() == 1 && !args.get_item(0)?.is_instance_of::<PyTensor>() {
        return tensor_list(&args.get_item(0)?, what);
    }
    tensor_list(args.as_any(), what)
}

fn named(py: Python<'_>, cls: &str, a: Tensor, b: Tensor) -> PyResult<Py<PyAny>> {
    let cls = helpers(py)?.getattr(cls)?;
    Ok(cls
        .call1((
            Py::new(py, PyTensor::new(a))?,
            Py::new(py, PyTensor::new(b))?,
        ))?
        .unbind())
}

fn num(o: &Bound<'_, PyAny>, what: &str) -> PyResult<Scalar> {
    scalar(o).ok_or_else(|| PyTypeError::new_err(format!("{what} must be a number")))
}

/// `p=` of `norm`: 'fro', a number, or +-inf.
fn norm_ord(p: Option<&Bound<'_, PyAny>>) -> PyResult<f64> {
    match p {
        None => Ok(2.0),
        Some(o) if o.is_none() => Ok(2.0),
        Some(o) => {
            if let Ok(s) = o.cast::<PyString>() {
                return match s.extract::<String>()?.as_str() {
                    "fro" => Ok(2.0),
                    "nuc" => Err(PyNotImplementedError::new_err(
                        "norm(p='nuc') is not supported yet in ferrotorch",
                    )),
                    other => Err(PyRuntimeError::new_err(format!(
                        "norm(): unsupported norm type {other}"
                    ))),
                };
            }
            Ok(num(o, "norm(): p")?.to_f64())
        }
    }
}

#[pymethods]
impl PyTensor {
    #[pyo3(signature = (*dims))]
    fn flip(&self, py: Python<'_>, dims: &Bound<'_, PyTuple>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.flip(&sizes_from_args(dims)?))
    }
    fn fliplr(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        if self.t.ndim() < 2 {
            return Err(PyRuntimeError::new_err("Input must be >= 2-d."));
        }
        wrap(py, self.t.flip(&[1]))
    }
    fn flipud(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        if self.t.ndim() < 1 {
            return Err(PyRuntimeError::new_err("Input must be >= 1-d."));
        }
        wrap(py, self.t.flip(&[0]))
    }
    #[pyo3(signature = (shifts, dims=None))]
    fn roll(
        &self,
        py: Python<'_>,
        shifts: &Bound<'_, PyAny>,
        dims: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let s = crate::convert::dims(Some(shifts))?.unwrap_or_default();
        let d = crate::convert::dims(dims)?.unwrap_or_default();
        wrap(py, self.t.roll(&s, &d))
    }
    #[pyo3(signature = (*sizes))]
    fn repeat(&self, py: Python<'_>, sizes: &Bound<'_, PyTuple>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.repeat(&sizes_from_args(sizes)?))
    }
    #[pyo3(signature = (*dims))]
    fn tile(&self, py: Python<'_>, dims: &Bound<'_, PyTuple>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.tile(&sizes_from_args(dims)?))
    }
    #[pyo3(signature = (repeats, dim=None, *, output_size=None))]
    fn repeat_interleave(
        &self,
        py: Python<'_>,
        repeats: &Bound<'_, PyAny>,
        dim: Option<i64>,
        output_size: Option<i64>,
    ) -> PyResult<Py<PyTensor>> {
        let _ = output_size;
        if let Ok(r) = repeats.cast::<PyTensor>() {
            return wrap(py, self.t.repeat_interleave_tensor(&r.get().t, dim));
        }
        let r: i64 = repeats.extract().map_err(|_| {
            PyTypeError::new_err("repeat_interleave(): repeats must be an int or a Tensor")
        })?;
        wrap(py, self.t.repeat_interleave(r, dim))
    }
    #[pyo3(signature = (diagonal=0))]
    fn tril(&self, py: Python<'_>, diagonal: i64) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.tri(diagonal, true))
    }
    #[pyo3(signature = (diagonal=0))]
    fn triu(&self, py: Python<'_>, diagonal: i64) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.tri(diagonal, false))
    }
    #[pyo3(signature = (diagonal=0))]
    fn tril_(slf: Bound<'_, Self>, diagonal: i64) -> PyResult<Bound<'_, Self>> {
        slf.get().t.tri_(diagonal, true).py()?;
        Ok(slf)
    }
    #[pyo3(signature = (diagonal=0))]
    fn triu_(slf: Bound<'_, Self>, diagonal: i64) -> PyResult<Bound<'_, Self>> {
        slf.get().t.tri_(diagonal, false).py()?;
        Ok(slf)
    }
    fn outer(&self, py: Python<'_>, vec2: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.outer(&vec2.t))
    }
    fn ger(&self, py: Python<'_>, vec2: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.outer(&vec2.t))
    }
    #[pyo3(signature = (mat1, mat2, *, beta=None, alpha=None))]
    fn addmm(
        &self,
        py: Python<'_>,
        mat1: PyRef<'_, PyTensor>,
        mat2: PyRef<'_, PyTensor>,
        beta: Option<&Bound<'_, PyAny>>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let b = beta
            .map(|b| num(b, "addmm(): beta"))
            .transpose()?
            .unwrap_or(Scalar::Int(1));
        let a = alpha
            .map(|a| num(a, "addmm(): alpha"))
            .transpose()?
            .unwrap_or(Scalar::Int(1));
        wrap(py, self.t.addmm(&mat1.t, &mat2.t, b, a))
    }
    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumsum(
        &self,
        py: Python<'_>,
        dim: i64,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.cumsum(dim, opt_dtype(dtype)?))
    }
    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumprod(
        &self,
        py: Python<'_>,
        dim: i64,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.cumprod(dim, opt_dtype(dtype)?))
    }
    #[pyo3(signature = (dim, *, dtype=None))]
    fn cumsum_<'py>(
        slf: Bound<'py, Self>,
        dim: i64,
        dtype: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let t = &slf.get().t;
        let r = t.cumsum(dim, opt_dtype(dtype)?.or(Some(t.dtype()))).py()?;
        t.copy_(&r).py()?;
        Ok(slf)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn logsumexp(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyTensor>> {
        let d = dims(dim)?.unwrap_or_default();
        wrap(py, self.t.logsumexp(&d, keepdim))
    }
    #[pyo3(signature = (p=None, dim=None, keepdim=false, dtype=None))]
    fn norm(
        &self,
        py: Python<'_>,
        p: Option<&Bound<'_, PyAny>>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let ord = norm_ord(p)?;
        let d = dims(dim)?;
        wrap(
            py,
            self.t
                .vector_norm(ord, d.as_deref(), keepdim, opt_dtype(dtype)?),
        )
    }
    #[pyo3(signature = (dim=-1, descending=false, *, stable=false))]
    fn sort(
        &self,
        py: Python<'_>,
        dim: i64,
        descending: bool,
        stable: bool,
    ) -> PyResult<Py<PyAny>> {
        let _ = stable;
        let (v, i) = self.t.sort(dim, descending).py()?;
        named(py, "return_sort", v, i)
    }
    #[pyo3(signature = (dim=-1, descending=false, *, stable=false))]
    fn argsort(
        &self,
        py: Python<'_>,
        dim: i64,
        descending: bool,
        stable: bool,
    ) -> PyResult<Py<PyTensor>> {
        let _ = stable;
        wrap(py, self.t.argsort(dim, descending))
    }
    fn msort(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.sort(0, false).map(|r| r.0))
    }
    #[pyo3(signature = (k, dim=-1, largest=true, sorted=true))]
    fn topk(
        &self,
        py: Python<'_>,
        k: i64,
        dim: i64,
        largest: bool,
        sorted: bool,
    ) -> PyResult<Py<PyAny>> {
        let _ = sorted;
        let (v, i) = self.t.topk(k, dim, largest).py()?;
        named(py, "return_topk", v, i)
    }
    #[pyo3(signature = (sorted=true, return_inverse=false, return_counts=false, dim=None))]
    fn unique(
        &self,
        py: Python<'_>,
        sorted: bool,
        return_inverse: bool,
        return_counts: bool,
        dim: Option<i64>,
    ) -> PyResult<Py<PyAny>> {
        let _ = sorted;
        if dim.is_some() {
            return Err(PyNotImplementedError::new_err(
                "unique(dim=...) is not supported yet in ferrotorch",
            ));
        }
        let r = self.t.unique().py()?;
        unique_result(py, r, return_inverse, return_counts)
    }
    #[pyo3(signature = (return_inverse=false, return_counts=false, dim=None))]
    fn unique_consecutive(
        &self,
        py: Python<'_>,
        return_inverse: bool,
        return_counts: bool,
        dim: Option<i64>,
    ) -> PyResult<Py<PyAny>> {
        if dim.is_some() {
            return Err(PyNotImplementedError::new_err(
                "unique_consecutive(dim=...) is not supported yet in ferrotorch",
            ));
        }
        let r = self.t.unique_consecutive().py()?;
        unique_result(py, r, return_inverse, return_counts)
    }
    #[pyo3(signature = (k, dim=-1, keepdim=false))]
    fn kthvalue(&self, py: Python<'_>, k: i64, dim: i64, keepdim: bool) -> PyResult<Py<PyAny>> {
        let (v, i) = self.t.kthvalue(k, dim, keepdim).py()?;
        named(py, "return_kthvalue", v, i)
    }
}

/// `unique`'s values alone, or a tuple with the inverse and/or counts asked for.
fn unique_result(
    py: Python<'_>,
    (u, inv, c): (Tensor, Tensor, Tensor),
    return_inverse: bool,
    return_counts: bool,
) -> PyResult<Py<PyAny>> {
    let u = Py::new(py, PyTensor::new(u))?.into_any();
    if !return_inverse && !return_counts {
        return Ok(u);
    }
    let mut items = vec![u];
    if return_inverse {
        items.push(Py::new(py, PyTensor::new(inv))?.into_any());
    }
    if return_counts {
        items.push(Py::new(py, PyTensor::new(c))?.into_any());
    }
    Ok(PyTuple::new(py, items)?.into_any().unbind())
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0, *, out=None))]
pub fn cat(
    py: Python<'_>,
    tensors: &Bound<'_, PyAny>,
    dim: i64,
    out: Option<PyRef<'_, PyTensor>>,
) -> PyResult<Py<PyAny>> {
    let ts = tensor_list(tensors, "cat")?;
    let r = shape::cat(&ts, dim).py()?;
    write_out(py, r, out)
}

#[pyfunction]
#[pyo3(signature = (tensors, dim=0, *, out=None))]
pub fn stack(
    py: Python<'_>,
    tensors: &Bound<'_, PyAny>,
    dim: i64,
    out: Option<PyRef<'_, PyTensor>>,
) -> PyResult<Py<PyAny>> {
    let ts = tensor_list(tensors, "stack")?;
    let r = shape::stack(&ts, dim).py()?;
    write_out(py, r, out)
}

#[pyfunction]
#[pyo3(signature = (tensors, *, out=None))]
pub fn hstack(
    py: Python<'_>,
    tensors: &Bound<'_, PyAny>,
    out: Option<PyRef<'_, PyTensor>>,
) -> PyResult<Py<PyAny>> {
    let ts = tensor_list(tensors, "hstack")?;
    write_out(py, shape::hstack(&ts).py()?, out)
}

#[pyfunction]
#[pyo3(signature = (tensors, *, out=None))]
pub fn vstack(
    py: Python<'_>,
    tensors: &Bound<'_, PyAny>,
    out: Option<PyRef<'_, PyTensor>>,
) -> PyResult<Py<PyAny>> {
    let ts = tensor_list(tensors, "vstack")?;
    write_out(py, shape::vstack(&ts).py()?, out)
}

fn write_out(py: Python<'_>, r: Tensor, out: Option<PyRef<'_, PyTensor>>) -> PyResult<Py<PyAny>> {
    match out {
        None => Ok(Py::new(py, PyTensor::new(r))?.into_any()),
        Some(o) => {
            if o.t.shape() != r.shape() {
                return Err(PyRuntimeError::new_err(format!(
                    "out tensor has shape {:?} but the result has shape {:?}",
                    o.t.shape(),
                    r.shape()
                )));
            }
            o.t.copy_(&r).py()?;
            Ok(o.into_pyobject(py)?.into_any().unbind())
        }
    }
}

#[pyfunction]
#[pyo3(signature = (*tensors))]
pub fn broadcast_tensors<'py>(
    py: Python<'py>,
    tensors: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyTuple>> {
    let ts = varargs_tensors(tensors, "broadcast_tensors")?;
    tuple_of(py, shape::broadcast_tensors(&ts))
}

#[pyfunction]
#[pyo3(signature = (*shapes))]
pub fn broadcast_shapes<'py>(
    py: Python<'py>,
    shapes: &Bound<'py, PyTuple>,
) -> PyResult<Bound<'py, PyAny>> {
    let mut v = vec![];
    for s in shapes.iter() {
        let sz: Vec<i64> = if let Ok(i) = s.extract::<i64>() {
            vec![i]
        } else {
            s.extract()?
        };
        if sz.iter().any(|&x| x < 0) {
            return Err(PyRuntimeError::new_err(format!(
                "Trying to create tensor with negative dimension {}: {:?}",
                sz.iter().find(|&&x| x < 0).unwrap(),
                sz
            )));
        }
        v.push(sz.into_iter().map(|x| x as usize).collect::<Vec<_>>());
    }
    let r = shape::broadcast_shapes_n(&v).map_err(|e| {
        PyRuntimeError::new_err(format!(
            "shape mismatch: objects cannot be broadcast to a single shape.  Mismatch is {}",
            e.msg
        ))
    })?;
    crate::tensor::size_obj(py, &r)
}

#[pyfunction]
#[pyo3(signature = (*tensors, indexing=None))]
pub fn meshgrid<'py>(
    py: Python<'py>,
    tensors: &Bound<'py, PyTuple>,
    indexing: Option<&str>,
) -> PyResult<Bound<'py, PyTuple>> {
    let ts = varargs_tensors(tensors, "meshgrid")?;
    let xy = match indexing.unwrap_or("ij") {
        "ij" => false,
        "xy" => true,
        other => {
            return Err(PyRuntimeError::new_err(format!(
                "torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but received: {other}"
            )))
        }
    };
    tuple_of(py, shape::meshgrid(&ts, xy))
}

#[pyfunction]
#[pyo3(signature = (equation, *operands))]
pub fn einsum(
    py: Python<'_>,
    equation: &str,
    operands: &Bound<'_, PyTuple>,
) -> PyResult<Py<PyTensor>> {
    let ts = varargs_tensors(operands, "einsum")?;
    wrap(py, py.detach(|| shape::einsum(equation, &ts)))
}
