//! Indexing ops (index_select, scatter, index_put, masked_*, nonzero, take, ...)
//! and the advanced (tensor/list/mask) path of `__getitem__` / `__setitem__`.

use crate::convert::{scalar, tensor_from_data};
use crate::errors::IntoPy;
use crate::tensor::{tuple_of, wrap, IndexItem, PyTensor};
use ferrotorch_core::{DType, Scalar, Tensor};
use pyo3::exceptions::{PyIndexError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PySequence, PyTuple};

/// The parts of an index expression (a tuple is several, anything else one).
fn index_parts<'py>(index: &Bound<'py, PyAny>) -> Vec<Bound<'py, PyAny>> {
    match index.cast::<PyTuple>() {
        Ok(t) => t.iter().collect(),
        Err(_) => vec![index.clone()],
    }
}

/// A tensor, list or array used as an index, as a tensor (empty lists are int64).
fn index_tensor(obj: &Bound<'_, PyAny>) -> PyResult<Tensor> {
    if let Ok(t) = obj.cast::<PyTensor>() {
        return Ok(t.get().t.clone());
    }
    let t = tensor_from_data(obj, None)?;
    if t.numel() == 0 && t.dtype().is_floating_point() {
        return t.to_dtype(DType::I64).py();
    }
    Ok(t)
}

fn is_mask(t: &Tensor) -> bool {
    matches!(t.dtype(), DType::Bool | DType::U8)
}

/// Applies the basic parts of an index with advanced parts as a view and returns
/// it with one entry per remaining dim for `Tensor::index` / `index_put_`.
/// Integers are applied as `select` first, as PyTorch does.
pub fn split_index(
    t: &Tensor,
    index: &Bound<'_, PyAny>,
    items: &[IndexItem],
) -> PyResult<(Tensor, Vec<Option<Tensor>>)> {
    let parts = index_parts(index);
    let mut adv: Vec<Option<Tensor>> = Vec::with_capacity(parts.len());
    for (p, it) in parts.iter().zip(items) {
        adv.push(if matches!(it, IndexItem::Advanced) {
            Some(index_tensor(p)?)
        } else {
            None
        });
    }
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
    let consumed: usize = items
        .iter()
        .zip(&adv)
        .map(|(it, a)| match (it, a) {
            (IndexItem::Int(_) | IndexItem::Slice(..), _) => 1,
            (IndexItem::Advanced, Some(x)) if is_mask(x) => x.ndim(),
            (IndexItem::Advanced, _) => 1,
            _ => 0,
        })
        .sum();
    if consumed > t.ndim() {
        return Err(PyIndexError::new_err(format!(
            "too many indices for tensor of dimension {}",
            t.ndim()
        )));
    }
    let mut r = t.clone();
    let mut dim = 0usize;
    let mut out: Vec<Option<Tensor>> = Vec::new();
    for (item, a) in items.iter().zip(adv) {
        match item {
            IndexItem::Int(i) => {
                let n = r.shape()[dim] as i64;
                if *i < -n || *i >= n {
                    return Err(PyIndexError::new_err(format!(
                        "index {} is out of bounds for dimension {} with size {}",
                        i, dim, n
                    )));
                }
                r = r.select(dim as i64, *i).py()?;
            }
            IndexItem::Slice(s, e, st) => {
                r = r.slice(dim as i64, *s, *e, *st).py()?;
                out.push(None);
                dim += 1;
            }
            IndexItem::NewAxis => {
                r = r.unsqueeze(dim as i64).py()?;
                out.push(None);
                dim += 1;
            }
            IndexItem::Bool(b) => {
                r = r.unsqueeze(dim as i64).py()?;
                if !b {
                    r = r.narrow(dim as i64, 0, 0).py()?;
                }
                out.push(None);
                dim += 1;
            }
            IndexItem::Ellipsis => {
                let k = t.ndim() - consumed;
                out.extend(std::iter::repeat_n(None, k));
                dim += k;
            }
            IndexItem::Advanced => {
                let x = a.expect("advanced part");
                if is_mask(&x) && x.ndim() == 0 {
                    r = r.unsqueeze(dim as i64).py()?;
                    out.push(Some(x.reshape(&[1]).py()?));
                    dim += 1;
                } else if is_mask(&x) {
                    dim += x.ndim();
                    out.push(Some(x));
                } else if x.dtype().is_floating_point() {
                    return Err(PyIndexError::new_err(
                        "tensors used as indices must be long, int, byte or bool tensors",
                    ));
                } else {
                    dim += 1;
                    out.push(Some(x));
                }
            }
        }
    }
    Ok((r, out))
}

pub fn advanced_getitem(
    t: &Tensor,
    index: &Bound<'_, PyAny>,
    items: &[IndexItem],
) -> PyResult<Tensor> {
    let (r, idx) = split_index(t, index, items)?;
    r.index(&idx).py()
}

pub fn advanced_setitem(
    t: &Tensor,
    index: &Bound<'_, PyAny>,
    items: &[IndexItem],
    value: &Bound<'_, PyAny>,
) -> PyResult<()> {
    let (r, idx) = split_index(t, index, items)?;
    let v = value_tensor(value, &r)?;
    r.index_put_(&idx, &v, false).py()?;
    t.bump_version();
    Ok(())
}

/// A value operand for `target`: number -> 0-d tensor of its dtype, tensor as
/// is, data (lists, arrays) -> tensor on its device.
fn value_tensor(value: &Bound<'_, PyAny>, target: &Tensor) -> PyResult<Tensor> {
    if let Some(s) = scalar(value) {
        return Ok(Tensor::scalar(s, target.dtype()));
    }
    match value.cast::<PyTensor>() {
        Ok(v) => Ok(v.get().t.clone()),
        Err(_) => tensor_from_data(value, Some(target.dtype()))?.to_device(target.device()).py(),
    }
}

/// `index_put`'s `indices`: a tuple/list of tensors (or None).
fn indices_arg(indices: &Bound<'_, PyAny>) -> PyResult<Vec<Option<Tensor>>> {
    let seq = indices.cast::<PySequence>().map_err(|_| {
        PyTypeError::new_err("index_put(): argument 'indices' must be tuple of Tensors")
    })?;
    let mut out = Vec::new();
    for i in 0..seq.len()? {
        let x = seq.get_item(i)?;
        out.push(if x.is_none() {
            None
        } else {
            Some(index_tensor(&x)?)
        });
    }
    Ok(out)
}

/// scatter's third argument: `src` tensor, or a number (positional or `value=`).
fn scatter_src(
    src: Option<&Bound<'_, PyAny>>,
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Option<Tensor>, Option<Scalar>)> {
    let arg = src.or(value).ok_or_else(|| {
        PyTypeError::new_err("scatter() missing required argument 'src' or 'value'")
    })?;
    if let Ok(t) = arg.cast::<PyTensor>() {
        return Ok((Some(t.get().t.clone()), None));
    }
    match scalar(arg) {
        Some(s) => Ok((None, Some(s))),
        None => Err(PyTypeError::new_err(format!(
            "scatter(): argument 'src' must be Tensor or Number, not {}",
            arg.get_type().name()?
        ))),
    }
}

fn reduce_accumulate(reduce: Option<&str>) -> PyResult<bool> {
    match reduce {
        None => Ok(false),
        Some("add") => Ok(true),
        Some(r) => Err(PyRuntimeError::new_err(format!(
            "reduce argument must be either add or multiply, got {r} (only add is supported)"
        ))),
    }
}

/// masked_fill's value: a number or a 0-d tensor.
fn fill_value(value: &Bound<'_, PyAny>, dtype: DType) -> PyResult<Tensor> {
    if let Some(s) = scalar(value) {
        return Ok(Tensor::scalar(s, dtype));
    }
    crate::convert::tensor_arg(value, "masked_fill")
}

#[pymethods]
impl PyTensor {
    fn index_select(
        &self,
        py: Python<'_>,
        dim: i64,
        index: PyRef<'_, PyTensor>,
    ) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.index_select(dim, &index.t))
    }

    #[pyo3(signature = (dim, index, src=None, *, value=None, reduce=None))]
    fn scatter(
        &self,
        py: Python<'_>,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        src: Option<&Bound<'_, PyAny>>,
        value: Option<&Bound<'_, PyAny>>,
        reduce: Option<&str>,
    ) -> PyResult<Py<PyTensor>> {
        let (s, v) = scatter_src(src, value)?;
        let acc = reduce_accumulate(reduce)?;
        wrap(
            py,
            self.t
                .scatter_impl(dim, &index.t, s.as_ref(), v, acc, "scatter"),
        )
    }
    #[pyo3(signature = (dim, index, src=None, *, value=None, reduce=None))]
    fn scatter_<'py>(
        slf: Bound<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        src: Option<&Bound<'py, PyAny>>,
        value: Option<&Bound<'py, PyAny>>,
        reduce: Option<&str>,
    ) -> PyResult<Bound<'py, Self>> {
        let (s, v) = scatter_src(src, value)?;
        slf.get()
            .t
            .scatter_impl_(
                dim,
                &index.t,
                s.as_ref(),
                v,
                reduce_accumulate(reduce)?,
                "scatter_",
            )
            .py()?;
        Ok(slf)
    }
    fn scatter_add(
        &self,
        py: Python<'_>,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        src: PyRef<'_, PyTensor>,
    ) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.scatter_add(dim, &index.t, &src.t))
    }
    fn scatter_add_<'py>(
        slf: Bound<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        src: PyRef<'py, PyTensor>,
    ) -> PyResult<Bound<'py, Self>> {
        slf.get()
            .t
            .scatter_impl_(dim, &index.t, Some(&src.t), None, true, "scatter_add_")
            .py()?;
        Ok(slf)
    }

    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add(
        &self,
        py: Python<'_>,
        dim: i64,
        index: PyRef<'_, PyTensor>,
        source: PyRef<'_, PyTensor>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let a = alpha.and_then(scalar).unwrap_or(Scalar::Int(1));
        wrap(py, self.t.index_add(dim, &index.t, &source.t, a))
    }
    #[pyo3(signature = (dim, index, source, *, alpha=None))]
    fn index_add_<'py>(
        slf: Bound<'py, Self>,
        dim: i64,
        index: PyRef<'py, PyTensor>,
        source: PyRef<'py, PyTensor>,
        alpha: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let a = alpha.and_then(scalar).unwrap_or(Scalar::Int(1));
        slf.get().t.index_add_(dim, &index.t, &source.t, a).py()?;
        Ok(slf)
    }

    #[pyo3(signature = (indices, values, accumulate=false))]
    fn index_put(
        &self,
        py: Python<'_>,
        indices: &Bound<'_, PyAny>,
        values: &Bound<'_, PyAny>,
        accumulate: bool,
    ) -> PyResult<Py<PyTensor>> {
        let idx = indices_arg(indices)?;
        let v = value_tensor(values, &self.t)?;
        wrap(py, self.t.index_put(&idx, &v, accumulate))
    }
    #[pyo3(signature = (indices, values, accumulate=false))]
    fn index_put_<'py>(
        slf: Bound<'py, Self>,
        indices: &Bound<'py, PyAny>,
        values: &Bound<'py, PyAny>,
        accumulate: bool,
    ) -> PyResult<Bound<'py, Self>> {
        let idx = indices_arg(indices)?;
        let t = &slf.get().t;
        let v = value_tensor(values, t)?;
        t.index_put_(&idx, &v, accumulate).py()?;
        Ok(slf)
    }

    fn masked_fill(
        &self,
        py: Python<'_>,
        mask: PyRef<'_, PyTensor>,
        value: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyTensor>> {
        let v = fill_value(value, self.t.dtype())?;
        wrap(py, self.t.masked_fill(&mask.t, &v))
    }
    fn masked_fill_<'py>(
        slf: Bound<'py, Self>,
        mask: PyRef<'py, PyTensor>,
        value: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let t = &slf.get().t;
        let v = fill_value(value, t.dtype())?;
        t.masked_fill_(&mask.t, &v).py()?;
        Ok(slf)
    }
    fn masked_select(&self, py: Python<'_>, mask: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.masked_select(&mask.t))
    }

    #[pyo3(signature = (*, as_tuple=false))]
    fn nonzero(&self, py: Python<'_>, as_tuple: bool) -> PyResult<Py<PyAny>> {
        if as_tuple {
            Ok(tuple_of(py, self.t.nonzero_tuple())?.into_any().unbind())
        } else {
            Ok(wrap(py, self.t.nonzero())?.into_any())
        }
    }
    /// The core of `masked_scatter` / `masked_scatter_` (python/ferrotorch/_index_ops.py).
    fn _masked_scatter(
        &self,
        py: Python<'_>,
        mask: PyRef<'_, PyTensor>,
        source: PyRef<'_, PyTensor>,
    ) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.masked_scatter(&mask.t, &source.t))
    }
    fn argwhere(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.nonzero())
    }
    #[pyo3(signature = (indices, dim=None))]
    fn take_along_dim(
        &self,
        py: Python<'_>,
        indices: PyRef<'_, PyTensor>,
        dim: Option<i64>,
    ) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.take_along_dim(&indices.t, dim))
    }
    fn take(&self, py: Python<'_>, index: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.take(&index.t))
    }
}
