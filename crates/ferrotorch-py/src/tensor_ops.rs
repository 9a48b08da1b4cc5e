//! Tensor arithmetic, comparisons, math functions, reductions and matmul.

use crate::convert::{dims, operand, operand_or_err, Operand};
use crate::dtype::opt_dtype;
use crate::errors::IntoPy;
use crate::tensor::{helpers, wrap, PyTensor};
use ferrotorch_core::ops::unary::{FloatOp, Rounding};
use ferrotorch_core::{binary, Arg, BinaryOp, Scalar, Tensor};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;

/// `self op other`, or NotImplemented for foreign operand types.
fn bin(
    py: Python<'_>,
    op: BinaryOp,
    a: &Tensor,
    other: &Bound<'_, PyAny>,
    reflected: bool,
) -> PyResult<Py<PyAny>> {
    let Some(o) = operand(other) else {
        return Ok(py.NotImplemented());
    };
    let run = || {
        if reflected {
            binary(op, o.arg(), Arg::T(a))
        } else {
            binary(op, Arg::T(a), o.arg())
        }
    };
    let r = if a.numel() >= GIL_RELEASE_NUMEL {
        py.detach(run)
    } else {
        run()
    };
    Ok(wrap(py, r)?.into_any())
}

/// Kernels on at least this many elements run with the GIL released; below
/// it the release/reacquire costs more than it frees.
const GIL_RELEASE_NUMEL: usize = 1 << 16;

/// `other * alpha` for add/sub's `alpha=`.
fn scaled(o: Operand, alpha: Option<&Bound<'_, PyAny>>) -> PyResult<Operand> {
    let Some(a) = alpha.and_then(crate::convert::scalar) else {
        return Ok(o);
    };
    if a == Scalar::Int(1) {
        return Ok(o);
    }
    Ok(Operand::T(binary(BinaryOp::Mul, o.arg(), Arg::S(a)).py()?))
}

fn inplace(t: &Tensor, op: BinaryOp, other: &Bound<'_, PyAny>) -> PyResult<()> {
    let o = operand_or_err(other, op_name(op))?;
    ferrotorch_core::ops::binary::binary_(op, t, o.arg()).py()
}

fn op_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "sub",
        BinaryOp::Mul => "mul",
        BinaryOp::Div => "div",
        _ => "binary op",
    }
}

fn div_op(rounding_mode: Option<&str>) -> PyResult<BinaryOp> {
    match rounding_mode {
        None => Ok(BinaryOp::Div),
        Some("floor") => Ok(BinaryOp::FloorDiv),
        Some("trunc") => Ok(BinaryOp::TruncDiv),
        Some(m) => Err(PyRuntimeError::new_err(format!(
            "div expected rounding_mode to be one of None, 'trunc', or 'floor' but found '{m}'"
        ))),
    }
}

/// Integer trunc division truncates; float trunc division truncates the quotient.
fn div_with_mode(a: Arg<'_>, b: Arg<'_>, op: BinaryOp) -> ferrotorch_core::Result<Tensor> {
    let q = binary(op, a, b)?;
    if op == BinaryOp::TruncDiv && q.dtype().is_floating_point() {
        return q.rounding(Rounding::Trunc);
    }
    Ok(q)
}

#[pymethods]
impl PyTensor {
    // ---- operators ---------------------------------------------------------
    fn __add__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Add, &self.t, o, false)
    }
    fn __radd__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Add, &self.t, o, true)
    }
    fn __sub__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Sub, &self.t, o, false)
    }
    fn __rsub__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Sub, &self.t, o, true)
    }
    fn __mul__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Mul, &self.t, o, false)
    }
    fn __rmul__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Mul, &self.t, o, true)
    }
    fn __truediv__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Div, &self.t, o, false)
    }
    fn __rtruediv__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Div, &self.t, o, true)
    }
    fn __floordiv__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::FloorDiv, &self.t, o, false)
    }
    fn __rfloordiv__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::FloorDiv, &self.t, o, true)
    }
    fn __mod__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Remainder, &self.t, o, false)
    }
    fn __rmod__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Remainder, &self.t, o, true)
    }
    fn __pow__(
        &self,
        py: Python<'_>,
        o: &Bound<'_, PyAny>,
        m: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = m;
        bin(py, BinaryOp::Pow, &self.t, o, false)
    }
    fn __rpow__(
        &self,
        py: Python<'_>,
        o: &Bound<'_, PyAny>,
        m: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = m;
        bin(py, BinaryOp::Pow, &self.t, o, true)
    }
    fn __matmul__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match o.cast::<PyTensor>() {
            Ok(b) => Ok(wrap(py, self.t.matmul(&b.get().t))?.into_any()),
            Err(_) => Ok(py.NotImplemented()),
        }
    }
    fn __rmatmul__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        match o.cast::<PyTensor>() {
            Ok(b) => Ok(wrap(py, b.get().t.matmul(&self.t))?.into_any()),
            Err(_) => Ok(py.NotImplemented()),
        }
    }
    fn __and__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::BitAnd, &self.t, o, false)
    }
    fn __rand__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::BitAnd, &self.t, o, true)
    }
    fn __or__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::BitOr, &self.t, o, false)
    }
    fn __ror__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::BitOr, &self.t, o, true)
    }
    fn __xor__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::BitXor, &self.t, o, false)
    }
    fn __rxor__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::BitXor, &self.t, o, true)
    }
    fn __lshift__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Shl, &self.t, o, false)
    }
    fn __rshift__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Shr, &self.t, o, false)
    }
    fn __eq__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Eq, &self.t, o, false)
    }
    fn __ne__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Ne, &self.t, o, false)
    }
    fn __lt__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Lt, &self.t, o, false)
    }
    fn __le__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Le, &self.t, o, false)
    }
    fn __gt__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Gt, &self.t, o, false)
    }
    fn __ge__(&self, py: Python<'_>, o: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        bin(py, BinaryOp::Ge, &self.t, o, false)
    }
    fn __neg__(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.neg())
    }
    fn __pos__(slf: Bound<'_, Self>) -> Bound<'_, Self> {
        slf
    }
    fn __abs__(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.abs())
    }
    fn __invert__(&self, py: Python<'_>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.bitwise_not())
    }
    fn __iadd__(&self, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(&self.t, BinaryOp::Add, o)
    }
    fn __isub__(&self, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(&self.t, BinaryOp::Sub, o)
    }
    fn __imul__(&self, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(&self.t, BinaryOp::Mul, o)
    }
    fn __itruediv__(&self, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(&self.t, BinaryOp::Div, o)
    }
    fn __ifloordiv__(&self, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(&self.t, BinaryOp::FloorDiv, o)
    }
    fn __imod__(&self, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(&self.t, BinaryOp::Remainder, o)
    }
    fn __ipow__(&self, o: &Bound<'_, PyAny>, _m: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        inplace(&self.t, BinaryOp::Pow, o)
    }
    fn __iand__(&self, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(&self.t, BinaryOp::BitAnd, o)
    }
    fn __ior__(&self, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(&self.t, BinaryOp::BitOr, o)
    }
    fn __ixor__(&self, o: &Bound<'_, PyAny>) -> PyResult<()> {
        inplace(&self.t, BinaryOp::BitXor, o)
    }

    // ---- named binary ops -------------------------------------------------
    #[pyo3(signature = (other, *, alpha=None))]
    fn add(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let o = scaled(operand_or_err(other, "add")?, alpha)?;
        wrap(py, binary(BinaryOp::Add, Arg::T(&self.t), o.arg()))
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn add_<'py>(
        slf: Bound<'py, Self>,
        other: &Bound<'py, PyAny>,
        alpha: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let o = scaled(operand_or_err(other, "add_")?, alpha)?;
        ferrotorch_core::ops::binary::binary_(BinaryOp::Add, &slf.get().t, o.arg()).py()?;
        Ok(slf)
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn sub(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        alpha: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let o = scaled(operand_or_err(other, "sub")?, alpha)?;
        wrap(py, binary(BinaryOp::Sub, Arg::T(&self.t), o.arg()))
    }
    #[pyo3(signature = (other, *, alpha=None))]
    fn sub_<'py>(
        slf: Bound<'py, Self>,
        other: &Bound<'py, PyAny>,
        alpha: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let o = scaled(operand_or_err(other, "sub_")?, alpha)?;
        ferrotorch_core::ops::binary::binary_(BinaryOp::Sub, &slf.get().t, o.arg()).py()?;
        Ok(slf)
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    fn div(
        &self,
        py: Python<'_>,
        other: &Bound<'_, PyAny>,
        rounding_mode: Option<&str>,
    ) -> PyResult<Py<PyTensor>> {
        let o = operand_or_err(other, "div")?;
        wrap(
            py,
            div_with_mode(Arg::T(&self.t), o.arg(), div_op(rounding_mode)?),
        )
    }
    #[pyo3(signature = (other, *, rounding_mode=None))]
    fn div_<'py>(
        slf: Bound<'py, Self>,
        other: &Bound<'py, PyAny>,
        rounding_mode: Option<&str>,
    ) -> PyResult<Bound<'py, Self>> {
        let o = operand_or_err(other, "div_")?;
        let op = div_op(rounding_mode)?;
        let others: Vec<&Tensor> = o.tensor().into_iter().collect();
        slf.get().t.update_(&others, |src| div_with_mode(Arg::T(src), o.arg(), op)).py()?;
        Ok(slf)
    }
    /// Named binary op: `t.mul(other)`, `t.maximum(other)`, ... (see `_pyhelpers`).
    fn _binary(
        &self,
        py: Python<'_>,
        name: &str,
        other: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyTensor>> {
        let op = binary_op_by_name(name)?;
        let o = operand_or_err(other, name)?;
        wrap(py, binary(op, Arg::T(&self.t), o.arg()))
    }
    fn _binary_<'py>(
        slf: Bound<'py, Self>,
        name: &str,
        other: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Self>> {
        let op = binary_op_by_name(name)?;
        let o = operand_or_err(other, name)?;
        ferrotorch_core::ops::binary::binary_(op, &slf.get().t, o.arg()).py()?;
        Ok(slf)
    }
    /// Named unary op: `t.exp()`, `t.relu()`, ... (see `_pyhelpers`).
    fn _unary(&self, py: Python<'_>, name: &str) -> PyResult<Py<PyTensor>> {
        let t = &self.t;
        let r = if t.numel() >= GIL_RELEASE_NUMEL {
            py.detach(|| unary_by_name(t, name))
        } else {
            unary_by_name(t, name)
        };
        wrap(py, r)
    }
    fn _unary_<'py>(slf: Bound<'py, Self>, name: &str) -> PyResult<Bound<'py, Self>> {
        slf.get().t.update_(&[], |src| unary_by_name(src, name)).py()?;
        Ok(slf)
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clamp(
        &self,
        py: Python<'_>,
        min: Option<&Bound<'_, PyAny>>,
        max: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let (lo, hi) = clamp_bounds(min, max)?;
        wrap(py, self.t.clamp(lo.as_ref().map(Operand::arg), hi.as_ref().map(Operand::arg)))
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clip(
        &self,
        py: Python<'_>,
        min: Option<&Bound<'_, PyAny>>,
        max: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        self.clamp(py, min, max)
    }
    #[pyo3(signature = (min=None, max=None))]
    fn clamp_<'py>(
        slf: Bound<'py, Self>,
        min: Option<&Bound<'py, PyAny>>,
        max: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Self>> {
        let (lo, hi) = clamp_bounds(min, max)?;
        let others: Vec<&Tensor> = [&lo, &hi].into_iter().flatten().filter_map(Operand::tensor).collect();
        let t = &slf.get().t;
        t.update_(&others, |src| src.clamp(lo.as_ref().map(Operand::arg), hi.as_ref().map(Operand::arg))).py()?;
        Ok(slf)
    }
    #[pyo3(signature = (decimals=0))]
    fn round(&self, py: Python<'_>, decimals: i64) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.round_decimals(decimals))
    }
    #[pyo3(signature = (nan=0.0, posinf=None, neginf=None))]
    fn nan_to_num(
        &self,
        py: Python<'_>,
        nan: f64,
        posinf: Option<f64>,
        neginf: Option<f64>,
    ) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.nan_to_num(nan, posinf, neginf))
    }
    fn lerp(
        &self,
        py: Python<'_>,
        end: PyRef<'_, PyTensor>,
        weight: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyTensor>> {
        let w = operand_or_err(weight, "lerp")?;
        wrap(
            py,
            ferrotorch_core::ops::binary::lerp(&self.t, &end.t, w.arg()),
        )
    }

    #[pyo3(signature = (dim, dtype=None))]
    fn softmax(&self, py: Python<'_>, dim: i64, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyTensor>> {
        let dt = opt_dtype(dtype)?;
        wrap(py, py.detach(|| self.t.softmax(dim, dt)))
    }
    #[pyo3(signature = (dim, dtype=None))]
    fn log_softmax(&self, py: Python<'_>, dim: i64, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Py<PyTensor>> {
        let dt = opt_dtype(dtype)?;
        wrap(py, py.detach(|| self.t.log_softmax(dim, dt)))
    }

    // ---- reductions ----------------------------------------------------------
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn sum(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let (d, dt) = (dims(dim)?, opt_dtype(dtype)?);
        let t = &self.t;
        wrap(py, py.detach(|| t.sum(d.as_deref(), keepdim, dt)))
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn mean(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let (d, dt) = (dims(dim)?, opt_dtype(dtype)?);
        let t = &self.t;
        wrap(py, py.detach(|| t.mean(d.as_deref(), keepdim, dt)))
    }
    #[pyo3(signature = (dim=None, keepdim=false, *, dtype=None))]
    fn prod(
        &self,
        py: Python<'_>,
        dim: Option<i64>,
        keepdim: bool,
        dtype: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyTensor>> {
        let dt = opt_dtype(dtype)?;
        let d = dim.map(|x| vec![x]);
        wrap(py, self.t.prod(d.as_deref(), keepdim, dt))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amax(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyTensor>> {
        let d = dims(dim)?;
        wrap(py, self.t.extreme(d.as_deref(), keepdim, true))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn amin(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyTensor>> {
        let d = dims(dim)?;
        wrap(py, self.t.extreme(d.as_deref(), keepdim, false))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn max(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyAny>> {
        extreme_py(py, &self.t, dim, keepdim, true)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn min(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyAny>> {
        extreme_py(py, &self.t, dim, keepdim, false)
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmax(&self, py: Python<'_>, dim: Option<i64>, keepdim: bool) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.arg_extreme(dim, keepdim, true))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn argmin(&self, py: Python<'_>, dim: Option<i64>, keepdim: bool) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.arg_extreme(dim, keepdim, false))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn all(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyTensor>> {
        let d = dims(dim)?;
        wrap(py, self.t.all(d.as_deref(), keepdim))
    }
    #[pyo3(signature = (dim=None, keepdim=false))]
    fn any(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
    ) -> PyResult<Py<PyTensor>> {
        let d = dims(dim)?;
        wrap(py, self.t.any(d.as_deref(), keepdim))
    }
    #[pyo3(signature = (dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn var(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        unbiased: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        correction: Option<f64>,
    ) -> PyResult<Py<PyTensor>> {
        let (d, c) = var_args(dim, unbiased, correction)?;
        wrap(py, self.t.var(d.as_deref(), c, keepdim))
    }
    #[pyo3(signature = (dim=None, unbiased=None, keepdim=false, *, correction=None))]
    fn std(
        &self,
        py: Python<'_>,
        dim: Option<&Bound<'_, PyAny>>,
        unbiased: Option<&Bound<'_, PyAny>>,
        keepdim: bool,
        correction: Option<f64>,
    ) -> PyResult<Py<PyTensor>> {
        let (d, c) = var_args(dim, unbiased, correction)?;
        wrap(py, self.t.std(d.as_deref(), c, keepdim))
    }

    // ---- linear algebra --------------------------------------------------------
    fn matmul(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        let (a, b) = (&self.t, &other.t);
        wrap(py, py.detach(|| a.matmul(b)))
    }
    fn mm(&self, py: Python<'_>, mat2: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        let (a, b) = (&self.t, &mat2.t);
        wrap(py, py.detach(|| a.mm(b)))
    }
    fn bmm(&self, py: Python<'_>, mat2: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        let (a, b) = (&self.t, &mat2.t);
        wrap(py, py.detach(|| a.bmm(b)))
    }
    fn dot(&self, py: Python<'_>, other: PyRef<'_, PyTensor>) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.dot(&other.t))
    }
    fn gather(
        &self,
        py: Python<'_>,
        dim: i64,
        index: PyRef<'_, PyTensor>,
    ) -> PyResult<Py<PyTensor>> {
        wrap(py, self.t.gather(dim, &index.t))
    }
}

fn var_args(
    dim: Option<&Bound<'_, PyAny>>,
    unbiased: Option<&Bound<'_, PyAny>>,
    correction: Option<f64>,
) -> PyResult<(Option<Vec<i64>>, f64)> {
    // `var(True)` passes unbiased positionally where dim would be
    let (dim, unbiased) = match dim {
        Some(d) if d.is_instance_of::<pyo3::types::PyBool>() => (None, Some(d.is_truthy()?)),
        _ => (dims(dim)?, unbiased.map(|u| u.is_truthy()).transpose()?),
    };
    let c = correction.unwrap_or(if unbiased.unwrap_or(true) { 1.0 } else { 0.0 });
    Ok((dim, c))
}

fn extreme_py(
    py: Python<'_>,
    t: &Tensor,
    dim: Option<&Bound<'_, PyAny>>,
    keepdim: bool,
    max: bool,
) -> PyResult<Py<PyAny>> {
    match dim {
        None => Ok(wrap(py, t.extreme(None, false, max))?.into_any()),
        Some(d) => {
            if let Ok(other) = d.cast::<PyTensor>() {
                let op = if max {
                    BinaryOp::Maximum
                } else {
                    BinaryOp::Minimum
                };
                return Ok(wrap(py, binary(op, Arg::T(t), Arg::T(&other.get().t)))?.into_any());
            }
            let (v, i) = t.extreme_dim(d.extract()?, keepdim, max).py()?;
            let cls = helpers(py)?.getattr(if max { "return_max" } else { "return_min" })?;
            Ok(cls
                .call1((
                    Py::new(py, PyTensor::new(v))?,
                    Py::new(py, PyTensor::new(i))?,
                ))?
                .unbind())
        }
    }
}

/// clamp's `min`/`max` arguments (None, a number or a tensor).
fn clamp_bounds(
    min: Option<&Bound<'_, PyAny>>,
    max: Option<&Bound<'_, PyAny>>,
) -> PyResult<(Option<Operand>, Option<Operand>)> {
    let conv = |o: Option<&Bound<'_, PyAny>>| -> PyResult<Option<Operand>> {
        match o {
            None => Ok(None),
            Some(v) if v.is_none() => Ok(None),
            Some(v) => operand_or_err(v, "clamp").map(Some),
        }
    };
    Ok((conv(min)?, conv(max)?))
}

pub fn binary_op_by_name(name: &str) -> PyResult<BinaryOp> {
    use BinaryOp::*;
    Ok(match name {
        "add" => Add,
        "sub" | "subtract" => Sub,
        "mul" | "multiply" => Mul,
        "div" | "divide" | "true_divide" => Div,
        "floor_divide" => FloorDiv,
        "remainder" => Remainder,
        "fmod" => Fmod,
        "pow" | "float_power" => Pow,
        "atan2" | "arctan2" => Atan2,
        "maximum" | "fmax" => Maximum,
        "minimum" | "fmin" => Minimum,
        "eq" => Eq,
        "ne" | "not_equal" => Ne,
        "lt" | "less" => Lt,
        "le" | "less_equal" => Le,
        "gt" | "greater" => Gt,
        "ge" | "greater_equal" => Ge,
        "logical_and" => LogicalAnd,
        "logical_or" => LogicalOr,
        "logical_xor" => LogicalXor,
        "bitwise_and" => BitAnd,
        "bitwise_or" => BitOr,
        "bitwise_xor" => BitXor,
        "bitwise_left_shift" => Shl,
        "bitwise_right_shift" => Shr,
        _ => return Err(PyRuntimeError::new_err(format!("unknown binary op {name}"))),
    })
}

pub fn unary_by_name(t: &Tensor, name: &str) -> ferrotorch_core::Result<Tensor> {
    use FloatOp::*;
    let f = |op| t.float_op(op);
    match name {
        "exp" => f(Exp),
        "exp2" => f(Exp2),
        "expm1" => f(Expm1),
        "log" => f(Log),
        "log2" => f(Log2),
        "log10" => f(Log10),
        "log1p" => f(Log1p),
        "sqrt" => f(Sqrt),
        "rsqrt" => f(Rsqrt),
        "sin" => f(Sin),
        "cos" => f(Cos),
        "tan" => f(Tan),
        "asin" | "arcsin" => f(Asin),
        "acos" | "arccos" => f(Acos),
        "atan" | "arctan" => f(Atan),
        "sinh" => f(Sinh),
        "cosh" => f(Cosh),
        "tanh" => f(Tanh),
        "asinh" | "arcsinh" => f(Asinh),
        "acosh" | "arccosh" => f(Acosh),
        "atanh" | "arctanh" => f(Atanh),
        "sigmoid" => f(Sigmoid),
        "erf" => f(Erf),
        "erfc" => f(Erfc),
        "erfinv" => f(Erfinv),
        "reciprocal" => f(Reciprocal),
        "frac" => f(Frac),
        "neg" | "negative" => t.neg(),
        "abs" | "absolute" => t.abs(),
        "sign" | "sgn" => t.sign(),
        "relu" => t.relu(),
        "floor" => t.rounding(Rounding::Floor),
        "ceil" => t.rounding(Rounding::Ceil),
        "trunc" | "fix" => t.rounding(Rounding::Trunc),
        "isnan" => t.isnan(),
        "isinf" => t.isinf(),
        "isfinite" => t.isfinite(),
        "logical_not" => t.logical_not(),
        "bitwise_not" => t.bitwise_not(),
        "square" => binary(BinaryOp::Mul, Arg::T(t), Arg::T(t)),
        _ => ferrotorch_core::bail!(runtime, "unknown unary op {name}"),
    }
}
