//! Reductions: dims handling, keepdim, output dtypes; kernels in `cpu::reduce`.

use crate::cpu::reduce::{
    reduce, sum_outer, ArgExt, ExtValue, IntProd, OuterSum, Prod, Sum, Truth,
};
use crate::layout::wrap_dims;
use crate::ops::binary::{binary, Arg, BinaryOp};
use crate::cuda::reduce::{reduce as cuda_reduce, ReduceOp};
use crate::{bail, dispatch, DType, Result, Scalar, Tensor};

/// Sum over `dims`: contiguous inputs reduced over a block of dims followed
/// by kept dims take the row-accumulating path; everything else the generic engine.
fn sum_kernel<T: OuterSum>(x: &Tensor, dims: &[usize]) -> Result<Tensor>
where
    Sum: crate::cpu::reduce::Reducer<T, Out = T>,
{
    let block = dims.windows(2).all(|w| w[1] == w[0] + 1);
    if let (true, true, Some(&first), Some(&last)) =
        (x.is_contiguous(), block, dims.first(), dims.last())
    {
        let inner: usize = x.shape()[last + 1..].iter().product();
        if inner > 1 {
            let outer: usize = x.shape()[..first].iter().product();
            let red: usize = x.shape()[first..=last].iter().product();
            let kept: Vec<i64> = (0..x.ndim())
                .filter(|d| !dims.contains(d))
                .map(|d| x.shape()[d] as i64)
                .collect();
            return sum_outer::<T>(x, outer, red, inner).view(&kept);
        }
    }
    Ok(reduce::<T, _>(x, dims, &Sum))
}

impl Tensor {
    /// Normalised, sorted reduction dims; `None` or empty means all dims.
    pub fn reduction_dims(&self, dims: Option<&[i64]>) -> Result<Vec<usize>> {
        match dims {
            None => Ok((0..self.ndim()).collect()),
            Some(d) if d.is_empty() => Ok((0..self.ndim()).collect()),
            Some(d) => {
                let mut v = wrap_dims(d, self.ndim())?;
                if self.ndim() == 0 {
                    v.clear();
                }
                v.sort();
                Ok(v)
            }
        }
    }

    /// Reinserts reduced dims as size 1 when `keepdim`.
    pub(crate) fn keepdim_shape(
        &self,
        out: Tensor,
        dims: &[usize],
        keepdim: bool,
    ) -> Result<Tensor> {
        if !keepdim {
            return Ok(out);
        }
        let shape: Vec<i64> = (0..self.ndim())
            .map(|d| {
                if dims.contains(&d) {
                    1
                } else {
                    self.shape()[d] as i64
                }
            })
            .collect();
        out.view(&shape)
    }

    pub fn sum(&self, dims: Option<&[i64]>, keepdim: bool, dtype: Option<DType>) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::reduce::sum(self, dims, keepdim, dtype)
        );
        let d = self.reduction_dims(dims)?;
        let out_dt = dtype.unwrap_or(if self.dtype().is_floating_point() {
            self.dtype()
        } else {
            DType::I64
        });
        let x = self.to_dtype(out_dt)?;
        if x.is_cuda() {
            let r = cuda_reduce(&x, &d, ReduceOp::Sum, out_dt)?;
            return self.keepdim_shape(r, &d, keepdim);
        }
        let r = match out_dt {
            DType::F32 => sum_kernel::<f32>(&x, &d)?,
            DType::F64 => sum_kernel::<f64>(&x, &d)?,
            DType::I64 => sum_kernel::<i64>(&x, &d)?,
            DType::F16 | DType::BF16 => {
                sum_kernel::<f32>(&x.to_dtype(DType::F32)?, &d)?.to_dtype(out_dt)?
            }
            _ => sum_kernel::<i64>(&x.to_dtype(DType::I64)?, &d)?.to_dtype(out_dt)?,
        };
        self.keepdim_shape(r, &d, keepdim)
    }

    pub fn mean(
        &self,
        dims: Option<&[i64]>,
        keepdim: bool,
        dtype: Option<DType>,
    ) -> Result<Tensor> {
        let dt = dtype.unwrap_or(self.dtype());
        if !dt.is_floating_point() {
            bail!(
                runtime,
                "mean(): could not infer output dtype. Input dtype must be either a floating point or complex dtype. Got: {}",
                dt.legacy_name()
            );
        }
        let d = self.reduction_dims(dims)?;
        let count: usize = d.iter().map(|&i| self.shape()[i]).product();
        let s = self.sum(dims, keepdim, Some(dt))?;
        binary(
            BinaryOp::Div,
            Arg::T(&s),
            Arg::S(Scalar::Float(count as f64)),
        )
    }

    pub fn prod(
        &self,
        dims: Option<&[i64]>,
        keepdim: bool,
        dtype: Option<DType>,
    ) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::reduce::prod(self, dims, keepdim, dtype)
        );
        let d = self.reduction_dims(dims)?;
        let out_dt = dtype.unwrap_or(if self.dtype().is_floating_point() {
            self.dtype()
        } else {
            DType::I64
        });
        let x = self.to_dtype(out_dt)?;
        if x.is_cuda() {
            let r = cuda_reduce(&x, &d, ReduceOp::Prod, out_dt)?;
            return self.keepdim_shape(r, &d, keepdim);
        }
        let r = if out_dt.is_floating_point() {
            dispatch!(out_dt, T => reduce::<T, _>(&x, &d, &Prod)).to_dtype(out_dt)?
        } else {
            dispatch!(out_dt, T => reduce::<T, _>(&x, &d, &IntProd)).to_dtype(out_dt)?
        };
        self.keepdim_shape(r, &d, keepdim)
    }

    /// amax/amin over dims.
    pub fn extreme(&self, dims: Option<&[i64]>, keepdim: bool, max: bool) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::reduce::extreme(self, dims, keepdim, max)
        );
        let d = self.reduction_dims(dims)?;
        self.check_nonempty_reduction(&d, if max { "max" } else { "min" })?;
        if self.is_cuda() {
            let op = if max { ReduceOp::Max } else { ReduceOp::Min };
            let r = cuda_reduce(self, &d, op, self.dtype())?;
            return self.keepdim_shape(r, &d, keepdim);
        }
        let r = dispatch!(self.dtype(), T => reduce::<T, _>(self, &d, &ExtValue(ArgExt { max })));
        self.keepdim_shape(r, &d, keepdim)
    }

    /// argmax/argmin over one dim, or over the flattened tensor when `dim` is None.
    pub fn arg_extreme(&self, dim: Option<i64>, keepdim: bool, max: bool) -> Result<Tensor> {
        if self.dtype() == DType::Bool {
            bail!(
                runtime,
                "\"{}_cpu\" not implemented for 'Bool'",
                if max { "argmax" } else { "argmin" }
            );
        }
        match dim {
            None => {
                let flat = self.reshape(&[-1])?;
                flat.check_nonempty_reduction(&[0], if max { "argmax" } else { "argmin" })?;
                let r = if flat.is_cuda() {
                    cuda_reduce(&flat, &[0], if max { ReduceOp::ArgMax } else { ReduceOp::ArgMin }, DType::I64)?
                } else {
                    dispatch!(self.dtype(), T => reduce::<T, _>(&flat, &[0], &ArgExt { max }))
                };
                if keepdim {
                    r.reshape(&vec![1; self.ndim()])
                } else {
                    Ok(r)
                }
            }
            Some(dm) => {
                let d = self.reduction_dims(Some(&[dm]))?;
                self.check_nonempty_reduction(&d, if max { "argmax" } else { "argmin" })?;
                let r = if self.is_cuda() {
                    cuda_reduce(self, &d, if max { ReduceOp::ArgMax } else { ReduceOp::ArgMin }, DType::I64)?
                } else {
                    dispatch!(self.dtype(), T => reduce::<T, _>(self, &d, &ArgExt { max }))
                };
                self.keepdim_shape(r, &d, keepdim)
            }
        }
    }

    /// `max(dim)` / `min(dim)`: (values, indices).
    pub fn extreme_dim(&self, dim: i64, keepdim: bool, max: bool) -> Result<(Tensor, Tensor)> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::index::select_along(
                if max { "MaxBackward0" } else { "MinBackward0" },
                self,
                dim,
                keepdim,
                || self.extreme_dim(dim, keepdim, max)
            )
        );
        if self.is_cuda() && self.ndim() > 0 {
            // two reductions (the values need no gather): same NaN and tie rules
            let vals = self.extreme(Some(&[dim]), keepdim, max)?;
            return Ok((vals, self.arg_extreme(Some(dim), keepdim, max)?));
        }
        let idx = self.arg_extreme(Some(dim), true, max)?;
        let d = crate::layout::wrap_dim(dim, self.ndim())? as i64;
        let vals = if self.ndim() == 0 {
            self.clone()
        } else {
            self.gather(d, &idx)?
        };
        if keepdim || self.ndim() == 0 {
            Ok((vals.deep_clone()?, idx))
        } else {
            Ok((
                vals.squeeze(Some(&[d]))?.deep_clone()?,
                idx.squeeze(Some(&[d]))?,
            ))
        }
    }

    pub fn all(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.truth(dims, keepdim, true)
    }
    pub fn any(&self, dims: Option<&[i64]>, keepdim: bool) -> Result<Tensor> {
        self.truth(dims, keepdim, false)
    }
    fn truth(&self, dims: Option<&[i64]>, keepdim: bool, all: bool) -> Result<Tensor> {
        let d = self.reduction_dims(dims)?;
        let r = if self.is_cuda() {
            cuda_reduce(self, &d, if all { ReduceOp::All } else { ReduceOp::Any }, DType::Bool)?
        } else {
            dispatch!(self.dtype(), T => reduce::<T, _>(self, &d, &Truth { all }))
        };
        // PyTorch keeps uint8 for uint8 inputs
        let r = if self.dtype() == DType::U8 {
            r.to_dtype(DType::U8)?
        } else {
            r
        };
        self.keepdim_shape(r, &d, keepdim)
    }

    fn check_nonempty_reduction(&self, dims: &[usize], name: &str) -> Result<()> {
        if self.numel() == 0
            && (dims.is_empty() || dims.iter().any(|&d| self.shape()[d] == 0) || self.ndim() == 0)
        {
            bail!(
                index,
                "{}(): Expected reduction dim to be specified for input.numel() == 0. Specify the reduction dim with the 'dim' argument.",
                name
            );
        }
        Ok(())
    }

    /// `var`/`std` with Bessel-style `correction`, two-pass for accuracy.
    pub fn var(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        if !self.dtype().is_floating_point() {
            bail!(
                runtime,
                "std and var only support floating point and complex dtypes"
            );
        }
        let d = self.reduction_dims(dims)?;
        let n: usize = d.iter().map(|&i| self.shape()[i]).product();
        let di: Vec<i64> = d.iter().map(|&x| x as i64).collect();
        let mean = self.mean(Some(&di), true, None)?;
        let dev = binary(BinaryOp::Sub, Arg::T(self), Arg::T(&mean))?;
        let sq = binary(BinaryOp::Mul, Arg::T(&dev), Arg::T(&dev))?;
        let s = sq.sum(Some(&di), keepdim, None)?;
        let denom = (n as f64 - correction).max(0.0);
        binary(BinaryOp::Div, Arg::T(&s), Arg::S(Scalar::Float(denom)))
    }
    pub fn std(&self, dims: Option<&[i64]>, correction: f64, keepdim: bool) -> Result<Tensor> {
        self.var(dims, correction, keepdim)?
            .float_op(crate::ops::unary::FloatOp::Sqrt)
    }
}
