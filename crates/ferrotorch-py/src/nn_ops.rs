//! Bindings for the nn kernels (core: ops/conv.rs, ops/pool.rs). Python's
//! `nn.functional` normalises ints to sequences before calling these.

use crate::errors::IntoPy;
use crate::tensor::{wrap, PyTensor};
use ferrotorch_core::ops::conv::{ConvPadding, ConvParams, Window2d};
use ferrotorch_core::ops::pool::PoolParams;
use ferrotorch_core::Tensor;
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// Non-negative sizes; `what` names the argument in PyTorch's message.
fn sizes(v: &[i64], what: &str) -> PyResult<Vec<usize>> {
    v.iter()
        .map(|&x| usize::try_from(x).map_err(|_| PyRuntimeError::new_err(format!("negative {what} is not supported"))))
        .collect()
}

fn pair(v: &[i64], what: &str) -> PyResult<[usize; 2]> {
    let s = sizes(v, what)?;
    match s.len() {
        1 => Ok([s[0], s[0]]),
        2 => Ok([s[0], s[1]]),
        _ => Err(PyRuntimeError::new_err(format!("{what} must be an int or a tuple of two ints"))),
    }
}

fn pair_of(t: (Tensor, Tensor), py: Python<'_>) -> PyResult<(Py<PyTensor>, Py<PyTensor>)> {
    Ok((Py::new(py, PyTensor::new(t.0))?, Py::new(py, PyTensor::new(t.1))?))
}

/// `torch.convolution`; `padding` is a sequence or 'same' / 'valid'.
#[pyfunction]
#[pyo3(signature = (input, weight, bias, stride, padding, dilation, transposed, output_padding, groups))]
#[allow(clippy::too_many_arguments)]
pub fn convolution(
    py: Python<'_>,
    input: &Bound<'_, PyTensor>,
    weight: &Bound<'_, PyTensor>,
    bias: Option<&Bound<'_, PyTensor>>,
    stride: Vec<i64>,
    padding: &Bound<'_, PyAny>,
    dilation: Vec<i64>,
    transposed: bool,
    output_padding: Vec<i64>,
    groups: i64,
) -> PyResult<Py<PyTensor>> {
    let padding = match padding.extract::<String>() {
        Ok(s) if s == "same" => ConvPadding::Same,
        Ok(s) if s == "valid" => ConvPadding::Valid,
        Ok(s) => return Err(PyRuntimeError::new_err(format!("Invalid padding string: '{s}'"))),
        Err(_) => ConvPadding::Explicit(sizes(&padding.extract::<Vec<i64>>()?, "padding")?),
    };
    let p = ConvParams {
        stride: sizes(&stride, "stride").map_err(|_| PyRuntimeError::new_err("non-positive stride is not supported"))?,
        padding,
        dilation: sizes(&dilation, "dilation").map_err(|_| PyRuntimeError::new_err("dilation should be greater than zero"))?,
        transposed,
        output_padding: sizes(&output_padding, "output_padding")?,
        groups: usize::try_from(groups).map_err(|_| PyRuntimeError::new_err("non-positive groups is not supported"))?,
    };
    let (x, w, b) = (input.get().t.clone(), weight.get().t.clone(), bias.map(|b| b.get().t.clone()));
    wrap(py, py.detach(|| x.convolution(&w, b.as_ref(), &p)))
}

/// `max_pool{k}d_with_indices`: (values, indices).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn _max_pool(
    py: Python<'_>,
    input: &Bound<'_, PyTensor>,
    k: usize,
    kernel_size: Vec<i64>,
    stride: Vec<i64>,
    padding: Vec<i64>,
    dilation: Vec<i64>,
    ceil_mode: bool,
) -> PyResult<(Py<PyTensor>, Py<PyTensor>)> {
    let p = PoolParams {
        kernel: sizes(&kernel_size, "kernel_size")?,
        stride: sizes(&stride, "stride")?,
        padding: sizes(&padding, "padding")?,
        dilation: sizes(&dilation, "dilation")?,
        ceil_mode,
        count_include_pad: true,
        divisor_override: None,
    };
    let x = input.get().t.clone();
    pair_of(py.detach(|| x.max_pool(k, &p)).py()?, py)
}

#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn _avg_pool(
    py: Python<'_>,
    input: &Bound<'_, PyTensor>,
    k: usize,
    kernel_size: Vec<i64>,
    stride: Vec<i64>,
    padding: Vec<i64>,
    ceil_mode: bool,
    count_include_pad: bool,
    divisor_override: Option<i64>,
) -> PyResult<Py<PyTensor>> {
    let p = PoolParams {
        kernel: sizes(&kernel_size, "kernel_size")?,
        stride: sizes(&stride, "stride")?,
        padding: sizes(&padding, "padding")?,
        dilation: vec![],
        ceil_mode,
        count_include_pad,
        divisor_override,
    };
    let x = input.get().t.clone();
    wrap(py, py.detach(|| x.avg_pool(k, &p)))
}

#[pyfunction]
pub fn _adaptive_avg_pool(py: Python<'_>, input: &Bound<'_, PyTensor>, output_size: Vec<i64>) -> PyResult<Py<PyTensor>> {
    let (x, out) = (input.get().t.clone(), sizes(&output_size, "output_size")?);
    wrap(py, py.detach(|| x.adaptive_avg_pool(&out)))
}

#[pyfunction]
pub fn _adaptive_max_pool(py: Python<'_>, input: &Bound<'_, PyTensor>, output_size: Vec<i64>) -> PyResult<(Py<PyTensor>, Py<PyTensor>)> {
    let (x, out) = (input.get().t.clone(), sizes(&output_size, "output_size")?);
    pair_of(py.detach(|| x.adaptive_max_pool(&out)).py()?, py)
}

fn window(kernel_size: &[i64], dilation: &[i64], padding: &[i64], stride: &[i64]) -> PyResult<Window2d> {
    Ok(Window2d {
        kernel: pair(kernel_size, "kernel_size")?,
        dilation: pair(dilation, "dilation")?,
        padding: pair(padding, "padding")?,
        stride: pair(stride, "stride")?,
    })
}

/// `F.unfold` (im2col).
#[pyfunction]
pub fn _unfold(py: Python<'_>, input: &Bound<'_, PyTensor>, kernel_size: Vec<i64>, dilation: Vec<i64>, padding: Vec<i64>, stride: Vec<i64>) -> PyResult<Py<PyTensor>> {
    let win = window(&kernel_size, &dilation, &padding, &stride)?;
    let x = input.get().t.clone();
    wrap(py, py.detach(|| x.unfold_blocks(win)))
}

/// `F.fold` (col2im).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn _fold(
    py: Python<'_>,
    input: &Bound<'_, PyTensor>,
    output_size: Vec<i64>,
    kernel_size: Vec<i64>,
    dilation: Vec<i64>,
    padding: Vec<i64>,
    stride: Vec<i64>,
) -> PyResult<Py<PyTensor>> {
    let win = window(&kernel_size, &dilation, &padding, &stride)?;
    let out = pair(&output_size, "output_size")?;
    let x = input.get().t.clone();
    wrap(py, py.detach(|| x.fold_blocks(out, win)))
}
