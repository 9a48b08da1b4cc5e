//! Joining and shaping ops (cat, stack, flip, roll, repeat, tril, einsum, ...),
//! scans (cumsum/cumprod) and norm-style reductions. Copies go through
//! `copy_`/`assign`; most ops are compositions of views and existing kernels.

use crate::dtype::{result_type, Operand};
use crate::layout::{broadcast_shapes, fmt_shape, wrap_dim, wrap_dims};
use crate::ops::binary::{binary, where_, Arg, BinaryOp};
use crate::ops::unary::FloatOp;
use crate::{bail, dispatch, DType, Element, Result, Scalar, Tensor};

fn i64s(s: &[usize]) -> Vec<i64> {
    s.iter().map(|&x| x as i64).collect()
}

/// `torch.cat(tensors, dim)`: PyTorch's checks, dtype promoted across inputs.
pub fn cat(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    if tensors.is_empty() {
        bail!(runtime, "torch.cat(): expected a non-empty list of Tensors");
    }
    for (i, t) in tensors.iter().enumerate() {
        if t.ndim() == 0 {
            bail!(
                runtime,
                "zero-dimensional tensor (at position {}) cannot be concatenated",
                i
            );
        }
    }
    let refs: Vec<&Tensor> = tensors.iter().collect();
    crate::ops::check_same_device(&refs)?;
    if crate::autograd::needs_grad(&refs) {
        // One CatBackward0 node rather than a CopySlices per narrow+copy_ below.
        return crate::autograd::derivatives::shape::cat(tensors, dim);
    }
    let dt = result_type(
        &tensors
            .iter()
            .map(|t| Operand::Tensor {
                dtype: t.dtype(),
                zero_dim: false,
            })
            .collect::<Vec<_>>(),
    );
    // legacy behaviour: 1-D empty tensors are skipped
    let parts: Vec<&Tensor> = tensors
        .iter()
        .filter(|t| !(t.ndim() == 1 && t.numel() == 0))
        .collect();
    let Some(first) = parts.first() else {
        return Tensor::zeros_on(tensors[0].shape(), dt, tensors[0].device());
    };
    let d = wrap_dim(dim, first.ndim())?;
    let mut shape = first.shape().to_vec();
    shape[d] = 0;
    for (i, t) in tensors.iter().enumerate() {
        if t.ndim() == 1 && t.numel() == 0 {
            continue;
        }
        if t.ndim() != first.ndim() {
            bail!(
                runtime,
                "Tensors must have same number of dimensions: got {} and {}",
                first.ndim(),
                t.ndim()
            );
        }
        for k in 0..t.ndim() {
            if k != d && t.shape()[k] != first.shape()[k] {
                bail!(
                    runtime,
                    "Sizes of tensors must match except in dimension {}. Expected size {} but got size {} for tensor number {} in the list.",
                    d,
                    first.shape()[k],
                    t.shape()[k],
                    i
                );
            }
        }
        shape[d] += t.shape()[d];
    }
    let out = Tensor::full_on(&shape, Scalar::Int(0), dt, first.device())?;
    let mut off = 0i64;
    for t in parts {
        let len = t.shape()[d] as i64;
        if len > 0 {
            out.narrow(d as i64, off, len)?.copy_(t)?;
        }
        off += len;
    }
    Ok(out)
}

/// `torch.stack`: all inputs the same shape, joined along a new dim.
pub fn stack(tensors: &[Tensor], dim: i64) -> Result<Tensor> {
    if tensors.is_empty() {
        bail!(runtime, "stack expects a non-empty TensorList");
    }
    let s0 = tensors[0].shape();
    for (i, t) in tensors.iter().enumerate() {
        if t.shape() != s0 {
            bail!(
                runtime,
                "stack expects each tensor to be equal size, but got {} at entry 0 and {} at entry {}",
                fmt_shape(s0),
                fmt_shape(t.shape()),
                i
            );
        }
    }
    if crate::autograd::needs_grad(&tensors.iter().collect::<Vec<_>>()) {
        return crate::autograd::derivatives::shape::stack(tensors, dim);
    }
    let d = wrap_dim(dim, tensors[0].ndim() + 1)? as i64;
    let us: Vec<Tensor> = tensors
        .iter()
        .map(|t| t.unsqueeze(d))
        .collect::<Result<_>>()?;
    cat(&us, d)
}

pub fn hstack(tensors: &[Tensor]) -> Result<Tensor> {
    let ts: Vec<Tensor> = tensors
        .iter()
        .map(|t| t.atleast_1d())
        .collect::<Result<_>>()?;
    if ts.first().is_some_and(|t| t.ndim() == 1) {
        cat(&ts, 0)
    } else {
        cat(&ts, 1)
    }
}

pub fn vstack(tensors: &[Tensor]) -> Result<Tensor> {
    let ts: Vec<Tensor> = tensors
        .iter()
        .map(|t| t.atleast_2d())
        .collect::<Result<_>>()?;
    cat(&ts, 0)
}

/// The common broadcast shape of several shapes.
pub fn broadcast_shapes_n(shapes: &[Vec<usize>]) -> Result<Vec<usize>> {
    let mut out: Vec<usize> = vec![];
    for s in shapes {
        out = broadcast_shapes(&out, s)?;
    }
    Ok(out)
}

pub fn broadcast_tensors(tensors: &[Tensor]) -> Result<Vec<Tensor>> {
    let shapes: Vec<Vec<usize>> = tensors.iter().map(|t| t.shape().to_vec()).collect();
    let s = broadcast_shapes_n(&shapes)?;
    tensors.iter().map(|t| t.broadcast_to(&s)).collect()
}

/// `torch.meshgrid(*tensors, indexing)`: expanded views.
pub fn meshgrid(tensors: &[Tensor], xy: bool) -> Result<Vec<Tensor>> {
    if tensors.is_empty() {
        bail!(runtime, "torch.meshgrid expects a non-empty TensorList");
    }
    for t in tensors {
        if t.ndim() > 1 {
            bail!(
                runtime,
                "torch.meshgrid: Expected 0D or 1D tensor in the tensor list but got: {:?}",
                t
            );
        }
        if t.dtype() != tensors[0].dtype() {
            bail!(
                runtime,
                "torch.meshgrid: Expected all tensors in the tensor list to have the same dtype"
            );
        }
    }
    let swap = xy && tensors.len() >= 2;
    let mut ts: Vec<Tensor> = tensors.to_vec();
    if swap {
        ts.swap(0, 1);
    }
    let shape: Vec<i64> = ts.iter().map(|t| t.numel() as i64).collect();
    let mut out = vec![];
    for (i, t) in ts.iter().enumerate() {
        let mut v = vec![1i64; ts.len()];
        v[i] = -1;
        out.push(t.reshape(&v)?.expand(&shape)?);
    }
    if swap {
        out.swap(0, 1);
    }
    Ok(out)
}

impl Tensor {
    pub fn atleast_1d(&self) -> Result<Tensor> {
        if self.ndim() == 0 {
            self.reshape(&[1])
        } else {
            Ok(self.clone())
        }
    }
    pub fn atleast_2d(&self) -> Result<Tensor> {
        match self.ndim() {
            0 => self.reshape(&[1, 1]),
            1 => self.unsqueeze(0),
            _ => Ok(self.clone()),
        }
    }

    /// `flip(dims)`: a copy with the listed dims reversed.
    pub fn flip(&self, dims: &[i64]) -> Result<Tensor> {
        crate::ops::cpu_only("aten::flip", &[self])?;
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::shape::flip(self, dims)
        );
        let ds = wrap_dims(dims, self.ndim())?;
        if self.numel() == 0 || self.ndim() == 0 {
            return self.deep_clone();
        }
        let mut strides = self.strides().to_vec();
        let mut off = 0isize;
        for &d in &ds {
            off += (self.shape()[d] as isize - 1) * strides[d];
            strides[d] = -strides[d];
        }
        // A transient negative-stride view, only ever read by the copy kernel.
        let reversed = crate::Layout {
            shape: self.shape().to_vec(),
            strides,
            offset: (self.offset() as isize + off) as usize,
        };
        let view = self.with_layout(reversed);
        Ok(dispatch!(self.dtype(), T => crate::cpu::map::map1::<T, T>(&view, |x| x)))
    }

    /// `roll(shifts, dims)`; with no dims the flattened tensor is rolled.
    pub fn roll(&self, shifts: &[i64], dims: &[i64]) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::shape::roll(self, shifts, dims)
        );
        if dims.is_empty() {
            if shifts.len() != 1 {
                bail!(
                    runtime,
                    "shifts and dimensions must align. shifts: {}, dims:{}",
                    shifts.len(),
                    dims.len()
                );
            }
            return self
                .reshape(&[-1])?
                .roll(shifts, &[0])?
                .view(&i64s(self.shape()));
        }
        if shifts.len() != dims.len() {
            bail!(
                runtime,
                "shifts and dimensions must align. shifts: {}, dims:{}",
                shifts.len(),
                dims.len()
            );
        }
        let mut t = self.clone();
        for (&s, &d) in shifts.iter().zip(dims) {
            let d = wrap_dim(d, self.ndim())? as i64;
            let n = t.shape()[d as usize] as i64;
            if n == 0 {
                continue;
            }
            let s = s.rem_euclid(n);
            if s == 0 {
                continue;
            }
            t = cat(&[t.narrow(d, n - s, s)?, t.narrow(d, 0, n - s)?], d)?;
        }
        if t.same_tensor(self) {
            return self.deep_clone();
        }
        Ok(t)
    }

    /// `repeat(*sizes)`: tiles the tensor `sizes[i]` times along each dim.
    pub fn repeat(&self, sizes: &[i64]) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::shape::repeat(self, sizes)
        );
        if sizes.len() < self.ndim() {
            bail!(
                runtime,
                "Number of dimensions of repeat dims can not be smaller than number of dimensions of tensor"
            );
        }
        let lead = sizes.len() - self.ndim();
        let src: Vec<i64> = std::iter::repeat_n(1, lead)
            .chain(self.shape().iter().map(|&x| x as i64))
            .collect();
        let out_shape: Vec<i64> = sizes.iter().zip(&src).map(|(&r, &s)| r * s).collect();
        if sizes.iter().any(|&r| r < 0) {
            bail!(
                runtime,
                "Trying to create tensor with negative dimension {}: [{}]",
                out_shape.iter().find(|&&x| x < 0).copied().unwrap_or(-1),
                out_shape
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        let mut inter_view = vec![];
        let mut inter_exp = vec![];
        for (&r, &s) in sizes.iter().zip(&src) {
            inter_view.extend([1, s]);
            inter_exp.extend([r, s]);
        }
        let x = self
            .reshape(&src)?
            .reshape(&inter_view)?
            .expand(&inter_exp)?;
        x.contiguous()?.view(&out_shape)
    }

    /// `tile(dims)`: `repeat` with dims padded by leading 1s.
    pub fn tile(&self, dims: &[i64]) -> Result<Tensor> {
        let mut d: Vec<i64> = vec![1; self.ndim().saturating_sub(dims.len())];
        d.extend_from_slice(dims);
        self.repeat(&d)
    }

    /// `repeat_interleave(int)`; with `dim = None` the input is flattened.
    pub fn repeat_interleave(&self, repeats: i64, dim: Option<i64>) -> Result<Tensor> {
        if repeats < 0 {
            bail!(runtime, "repeats can not be negative");
        }
        let (x, d) = match dim {
            None => (self.reshape(&[-1])?, 0usize),
            Some(d) => (self.clone(), wrap_dim(d, self.ndim())?),
        };
        if x.ndim() == 0 {
            return x.reshape(&[1])?.repeat_interleave(repeats, Some(0));
        }
        let mut exp = i64s(x.shape());
        exp.insert(d + 1, repeats);
        let y = x.unsqueeze(d as i64 + 1)?.expand(&exp)?;
        y.flatten(d as i64, d as i64 + 1)
    }

    /// `repeat_interleave(Tensor)`: per-slice repeat counts along `dim`.
    pub fn repeat_interleave_tensor(&self, repeats: &Tensor, dim: Option<i64>) -> Result<Tensor> {
        if repeats.ndim() == 0 || (repeats.ndim() == 1 && repeats.numel() == 1) {
            let r = repeats.item()?;
            if !matches!(r, Scalar::Int(_)) {
                bail!(runtime, "repeats has to be Long or Int tensor");
            }
            return self.repeat_interleave(r.to_i64(), dim);
        }
        if repeats.ndim() != 1 {
            bail!(runtime, "repeats must be 0-dim or 1-dim tensor");
        }
        if repeats.dtype().is_floating_point() || repeats.dtype() == DType::Bool {
            bail!(runtime, "repeats has to be Long or Int tensor");
        }
        let (x, d) = match dim {
            None => (self.reshape(&[-1])?, 0usize),
            Some(d) => (self.clone(), wrap_dim(d, self.ndim())?),
        };
        let reps = repeats.to_vec::<i64>()?;
        let n = if x.ndim() == 0 { 1 } else { x.shape()[d] };
        if reps.len() != n {
            bail!(
                runtime,
                "repeats must have the same size as input along dim, but got repeats.size(0) = {} and input.size({}) = {}",
                reps.len(),
                d,
                n
            );
        }
        if reps.iter().any(|&r| r < 0) {
            bail!(runtime, "repeats can not be negative");
        }
        let x = x.atleast_1d()?;
        let mut parts = vec![];
        for (i, &r) in reps.iter().enumerate() {
            if r > 0 {
                parts.push(
                    x.narrow(d as i64, i as i64, 1)?
                        .repeat_interleave(r, Some(d as i64))?,
                );
            }
        }
        if parts.is_empty() {
            let mut s = x.shape().to_vec();
            s[d] = 0;
            return Tensor::zeros_on(&s, x.dtype(), x.device());
        }
        cat(&parts, d as i64)
    }

    /// Lower (`lower = true`) or upper triangle of the last two dims.
    pub fn tri(&self, diagonal: i64, lower: bool) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::shape::tri(self, diagonal, lower)
        );
        let name = if lower { "tril" } else { "triu" };
        if self.ndim() < 2 {
            bail!(
                runtime,
                "{}: input tensor must have at least 2 dimensions",
                name
            );
        }
        let (r, c) = (self.shape()[self.ndim() - 2], self.shape()[self.ndim() - 1]);
        let mut m = Vec::with_capacity(r * c);
        for i in 0..r as i64 {
            for j in 0..c as i64 {
                m.push(if lower {
                    j - i <= diagonal
                } else {
                    j - i >= diagonal
                });
            }
        }
        let mask = Tensor::from_vec_unchecked(m, &[r, c]).to_device(self.device())?;
        let zero = Tensor::zeros_on(&[], self.dtype(), self.device())?;
        where_(&mask, Arg::T(self), Arg::T(&zero))
    }
    pub fn tri_(&self, diagonal: i64, lower: bool) -> Result<()> {
        let r = self.tri(diagonal, lower)?;
        self.copy_(&r)
    }

    /// `outer(vec2)`: the outer product of two 1-D tensors.
    pub fn outer(&self, other: &Tensor) -> Result<Tensor> {
        if self.ndim() != 1 {
            bail!(
                runtime,
                "outer: Expected 1-D argument self, but got {}-D",
                self.ndim()
            );
        }
        if other.ndim() != 1 {
            bail!(
                runtime,
                "outer: Expected 1-D argument vec2, but got {}-D",
                other.ndim()
            );
        }
        binary(BinaryOp::Mul, Arg::T(&self.unsqueeze(1)?), Arg::T(other))
    }

    /// `addmm(mat1, mat2, beta, alpha)`: beta * self + alpha * (mat1 @ mat2).
    pub fn addmm(
        &self,
        mat1: &Tensor,
        mat2: &Tensor,
        beta: Scalar,
        alpha: Scalar,
    ) -> Result<Tensor> {
        if mat1.ndim() != 2 {
            bail!(
                runtime,
                "mat1 must be a matrix, got {}-D tensor",
                mat1.ndim()
            );
        }
        if mat2.ndim() != 2 {
            bail!(
                runtime,
                "mat2 must be a matrix, got {}-D tensor",
                mat2.ndim()
            );
        }
        let p = mat1.mm(mat2)?;
        let inp = self.broadcast_to(p.shape()).map_err(|_| {
            crate::Error::runtime(format!(
                "The expanded size of the tensor ({}) must match the existing size ({}) at non-singleton dimension",
                fmt_shape(p.shape()),
                fmt_shape(self.shape())
            ))
        })?;
        let p = if alpha.to_f64() == 1.0 {
            p
        } else {
            binary(BinaryOp::Mul, Arg::T(&p), Arg::S(alpha))?
        };
        if beta.to_f64() == 0.0 {
            return p.to_dtype(promote(self, &p));
        }
        let i = if beta.to_f64() == 1.0 {
            inp
        } else {
            binary(BinaryOp::Mul, Arg::T(&inp), Arg::S(beta))?
        };
        binary(BinaryOp::Add, Arg::T(&i), Arg::T(&p))
    }

    /// cumsum (`prod = false`) or cumprod along `dim`; integers accumulate in int64.
    pub fn cumulative(&self, dim: i64, dtype: Option<DType>, prod: bool) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::reduce::cumulative(self, dim, dtype, prod)
        );
        let d = wrap_dim(dim, self.ndim())?;
        let out_dt = dtype.unwrap_or(if self.dtype().is_floating_point() {
            self.dtype()
        } else {
            DType::I64
        });
        let x = self.to_dtype(out_dt)?.contiguous()?;
        if x.ndim() == 0 || x.numel() == 0 {
            return x.deep_clone();
        }
        if x.is_cuda() {
            return crate::cuda::reduce::scan(&x, d, prod);
        }
        let shape = x.shape().to_vec();
        let n = shape[d];
        let inner: usize = shape[d + 1..].iter().product();
        let outer: usize = shape[..d].iter().product();
        Ok(dispatch!(out_dt, T => {
            let src = unsafe { x.as_slice::<T>() };
            let mut out: Vec<T> = src.to_vec();
            let float = out_dt.is_floating_point();
            for o in 0..outer {
                for i in 0..inner {
                    let base = o * n * inner + i;
                    if float {
                        let mut acc = if prod { 1.0 } else { 0.0 };
                        for k in 0..n {
                            let v = src[base + k * inner].to_f64();
                            acc = if prod { acc * v } else { acc + v };
                            out[base + k * inner] = T::from_f64(acc);
                        }
                    } else {
                        let mut acc: i64 = if prod { 1 } else { 0 };
                        for k in 0..n {
                            let v = src[base + k * inner].to_i64();
                            acc = if prod { acc.wrapping_mul(v) } else { acc.wrapping_add(v) };
                            out[base + k * inner] = T::from_i64(acc);
                        }
                    }
                }
            }
            Tensor::from_vec_unchecked(out, &shape)
        }))
    }
    pub fn cumsum(&self, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        self.cumulative(dim, dtype, false)
    }
    pub fn cumprod(&self, dim: i64, dtype: Option<DType>) -> Result<Tensor> {
        self.cumulative(dim, dtype, true)
    }

    /// Numerically stable `logsumexp(dims, keepdim)`.
    pub fn logsumexp(&self, dims: &[i64], keepdim: bool) -> Result<Tensor> {
        let x = if self.dtype().is_floating_point() {
            self.clone()
        } else {
            self.to_dtype(crate::dtype::default_float_dtype())?
        };
        crate::autograd::record_if_needed!(
            [&x],
            crate::autograd::derivatives::shape::logsumexp(&x, dims, keepdim)
        );
        let d = x.reduction_dims(Some(dims))?;
        let di: Vec<i64> = d.iter().map(|&v| v as i64).collect();
        let dims_opt = if di.is_empty() && x.ndim() > 0 {
            None
        } else {
            Some(&di[..])
        };
        if x.numel() == 0 {
            let s = x.float_op(FloatOp::Exp)?.sum(dims_opt, keepdim, None)?;
            return s.float_op(FloatOp::Log);
        }
        let m = x.extreme(dims_opt, true, true)?;
        let m = where_(&m.isinf()?, Arg::S(Scalar::Int(0)), Arg::T(&m))?;
        let e = binary(BinaryOp::Sub, Arg::T(&x), Arg::T(&m))?.float_op(FloatOp::Exp)?;
        let s = e.sum(dims_opt, true, None)?.float_op(FloatOp::Log)?;
        let r = binary(BinaryOp::Add, Arg::T(&s), Arg::T(&m))?;
        if keepdim || x.ndim() == 0 {
            Ok(r)
        } else {
            let sq: Vec<i64> = if dims_opt.is_none() {
                (0..x.ndim() as i64).collect()
            } else {
                di
            };
            r.squeeze(Some(&sq))
        }
    }

    /// Vector p-norm over `dims` (all when None): `linalg.vector_norm`.
    pub fn vector_norm(
        &self,
        ord: f64,
        dims: Option<&[i64]>,
        keepdim: bool,
        dtype: Option<DType>,
    ) -> Result<Tensor> {
        if !self.dtype().is_floating_point() {
            bail!(
                runtime,
                "linalg.vector_norm: Expected a floating point or complex tensor as input. Got {}",
                self.dtype().legacy_name()
            );
        }
        let x = match dtype {
            Some(d) => self.to_dtype(d)?,
            None => self.clone(),
        };
        crate::autograd::record_if_needed!(
            [&x],
            crate::autograd::derivatives::shape::vector_norm(&x, ord, dims, keepdim)
        );
        let a = x.abs()?;
        if ord.is_infinite() {
            if x.numel() == 0 {
                bail!(
                    runtime,
                    "linalg.vector_norm cannot compute the {} norm on an empty tensor because the operation does not have an identity",
                    if ord > 0.0 { "inf" } else { "-inf" }
                );
            }
            return a.extreme(dims, keepdim, ord > 0.0);
        }
        if ord == 0.0 {
            let nz = binary(BinaryOp::Ne, Arg::T(&a), Arg::S(Scalar::Int(0)))?;
            return nz.sum(dims, keepdim, Some(x.dtype()));
        }
        if ord == 1.0 {
            return a.sum(dims, keepdim, None);
        }
        if ord == 2.0 {
            let sq = binary(BinaryOp::Mul, Arg::T(&a), Arg::T(&a))?;
            return sq.sum(dims, keepdim, None)?.float_op(FloatOp::Sqrt);
        }
        let p = binary(BinaryOp::Pow, Arg::T(&a), Arg::S(Scalar::Float(ord)))?;
        let s = p.sum(dims, keepdim, None)?;
        binary(BinaryOp::Pow, Arg::T(&s), Arg::S(Scalar::Float(1.0 / ord)))
    }
}

fn promote(a: &Tensor, b: &Tensor) -> DType {
    crate::dtype::promote_types(a.dtype(), b.dtype())
}

// ---- einsum --------------------------------------------------------------------

/// Label ids: letters are their ASCII code; ellipsis dims are 1000 + position.
type Label = u32;
const ELL: Label = 1000;

fn parse_term(term: &str, idx: usize) -> Result<(Vec<Label>, bool, usize)> {
    // returns (labels with one ELL marker at the ellipsis position, has_ellipsis, ellipsis_pos)
    let mut out = vec![];
    let mut ell = false;
    let mut pos = 0;
    let b = term.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'.' {
            if ell || !term[i..].starts_with("...") {
                bail!(
                    runtime,
                    "einsum(): found '.' for operand {} that is not part of any ellipsis",
                    idx
                );
            }
            ell = true;
            pos = out.len();
            out.push(ELL);
            i += 3;
            continue;
        }
        if !c.is_ascii_alphabetic() {
            bail!(runtime, "einsum(): invalid subscript given at index {} in the equation string, subscripts must be in [a-zA-Z]", i);
        }
        out.push(c as Label);
        i += 1;
    }
    Ok((out, ell, pos))
}

/// `torch.einsum(equation, operands)` by diagonal/permute/broadcast-multiply/sum.
pub fn einsum(equation: &str, operands: &[Tensor]) -> Result<Tensor> {
    let eq: String = equation.chars().filter(|c| !c.is_whitespace()).collect();
    let (lhs, rhs) = match eq.find("->") {
        Some(p) => (&eq[..p], Some(&eq[p + 2..])),
        None => (&eq[..], None),
    };
    let terms: Vec<&str> = lhs.split(',').collect();
    if terms.len() > operands.len() {
        bail!(
            runtime,
            "einsum(): fewer operands were provided than specified in the equation"
        );
    }
    if terms.len() < operands.len() {
        bail!(
            runtime,
            "einsum(): more operands were provided than specified in the equation"
        );
    }
    // expand each operand's labels to one per dim
    let mut ell_dims = 0usize;
    let mut per_op: Vec<Vec<Label>> = vec![];
    let mut parsed = vec![];
    for (k, (term, t)) in terms.iter().zip(operands).enumerate() {
        let (labels, ell, _) = parse_term(term, k)?;
        let named = labels.len() - ell as usize;
        if (!ell && named != t.ndim()) || (ell && named > t.ndim()) {
            bail!(
                runtime,
                "einsum(): the number of subscripts in the equation ({}) {} the number of dimensions ({}) for operand {}{}",
                named,
                if ell { "is more than" } else { "does not match" },
                t.ndim(),
                k,
                if ell { "" } else { " and no ellipsis was given" }
            );
        }
        if ell {
            ell_dims = ell_dims.max(t.ndim() - named);
        }
        parsed.push((labels, ell));
    }
    for ((labels, ell), t) in parsed.iter().zip(operands) {
        let mut v = vec![];
        let e = if *ell {
            t.ndim() - (labels.len() - 1)
        } else {
            0
        };
        for &l in labels {
            if l == ELL {
                for j in 0..e {
                    v.push(ELL + (ell_dims - e + j) as u32);
                }
            } else {
                v.push(l);
            }
        }
        per_op.push(v);
    }
    let any_ell = parsed.iter().any(|p| p.1);
    // output labels
    let out_labels: Vec<Label> = match rhs {
        Some(r) => {
            let (labels, ell, _) = parse_term(r, 0).map_err(|_| {
                crate::Error::runtime(
                    "einsum(): invalid subscript given in the output of the equation string"
                        .to_string(),
                )
            })?;
            let mut v = vec![];
            for &l in &labels {
                if l == ELL {
                    v.extend((0..ell_dims).map(|j| ELL + j as u32));
                } else {
                    if !per_op.iter().any(|o| o.contains(&l)) {
                        bail!(
                            runtime,
                            "einsum(): output subscript {} does not appear in the equation for any input operand",
                            l as u8 as char
                        );
                    }
                    if v.contains(&l) {
                        bail!(
                            runtime,
                            "einsum(): output subscript {} appears more than once in the output",
                            l as u8 as char
                        );
                    }
                    v.push(l);
                }
            }
            if !ell && any_ell && ell_dims > 0 {
                bail!(
                    runtime,
                    "einsum(): ellipsis must appear in the output when it appears in the inputs"
                );
            }
            v
        }
        None => {
            let mut v: Vec<Label> = (0..ell_dims).map(|j| ELL + j as u32).collect();
            let mut once: Vec<Label> = vec![];
            for l in (b'A'..=b'Z').chain(b'a'..=b'z') {
                let c: usize = per_op
                    .iter()
                    .map(|o| o.iter().filter(|&&x| x == l as Label).count())
                    .sum();
                if c == 1 {
                    once.push(l as Label);
                }
            }
            v.extend(once);
            v
        }
    };
    // contracted labels, in first-appearance order
    let mut all = out_labels.clone();
    for o in &per_op {
        for &l in o {
            if !all.contains(&l) {
                all.push(l);
            }
        }
    }
    // sizes must agree (size 1 broadcasts)
    let mut sizes: Vec<usize> = vec![1; all.len()];
    for (o, t) in per_op.iter().zip(operands) {
        for (k, &l) in o.iter().enumerate() {
            let p = all.iter().position(|&x| x == l).unwrap();
            let s = t.shape()[k];
            if sizes[p] != 1 && s != 1 && sizes[p] != s {
                bail!(
                    runtime,
                    "einsum(): operands do not broadcast with remapped shapes (original->remapped): subscript {} has size {} for an operand which does not broadcast with previously seen size {}",
                    if l >= ELL { '.' } else { l as u8 as char },
                    s,
                    sizes[p]
                );
            }
            if s != 1 {
                sizes[p] = s;
            }
        }
    }
    // bring every operand to the full label order
    let mut aligned = vec![];
    for (o, t) in per_op.iter().zip(operands) {
        let mut labels = o.clone();
        let mut x = t.clone();
        // repeated labels in one operand: take the diagonal
        loop {
            let dup = (0..labels.len()).find_map(|i| {
                (i + 1..labels.len())
                    .find(|&j| labels[j] == labels[i])
                    .map(|j| (i, j))
            });
            let Some((i, j)) = dup else { break };
            let l = labels[i];
            x = x.diagonal(0, i as i64, j as i64)?;
            labels.remove(j);
            labels.remove(i);
            labels.push(l);
        }
        let mut order: Vec<usize> = (0..labels.len()).collect();
        order.sort_by_key(|&k| all.iter().position(|&a| a == labels[k]).unwrap());
        let perm: Vec<i64> = order.iter().map(|&k| k as i64).collect();
        x = x.permute(&perm)?;
        for (p, l) in all.iter().enumerate() {
            if !labels.contains(l) {
                x = x.unsqueeze(p as i64)?;
            }
        }
        aligned.push(x);
    }
    let dt = result_type(
        &operands
            .iter()
            .map(|t| Operand::Tensor {
                dtype: t.dtype(),
                zero_dim: false,
            })
            .collect::<Vec<_>>(),
    );
    let nout = out_labels.len();
    let red: Vec<i64> = (nout..all.len()).map(|x| x as i64).collect();
    let prod = if aligned.len() == 2 && !red.is_empty() && dt.is_floating_point() {
        // two operands: contract with a batched matmul instead of materialising the product
        contract_two(&aligned[0], &aligned[1], nout, &sizes)?
    } else {
        let mut prod = aligned[0].to_dtype(dt)?;
        for a in &aligned[1..] {
            prod = binary(BinaryOp::Mul, Arg::T(&prod), Arg::T(a))?;
        }
        if red.is_empty() {
            prod
        } else {
            prod.sum(Some(&red), false, None)?
        }
    };
    let out_shape: Vec<i64> = sizes[..nout].iter().map(|&s| s as i64).collect();
    let r = prod.to_dtype(dt)?;
    if r.shape() == sizes[..nout].as_ref() {
        Ok(r)
    } else {
        r.expand(&out_shape)?.contiguous()
    }
}

/// Contracts two label-aligned operands (output dims first, then `red` dims) via bmm.
fn contract_two(a: &Tensor, b: &Tensor, nout: usize, sizes: &[usize]) -> Result<Tensor> {
    let nd = sizes.len();
    // classify output dims: in both (batch), only a (m), only b (n); contracted: in both (k)
    let has = |t: &Tensor, d: usize| t.shape()[d] != 1 || sizes[d] == 1;
    let mut batch = vec![];
    let mut md = vec![];
    let mut nd_ = vec![];
    for d in 0..nout {
        match (has(a, d), has(b, d)) {
            (true, true) => batch.push(d),
            (true, false) => md.push(d),
            (false, true) => nd_.push(d),
            (false, false) => batch.push(d),
        }
    }
    let mut kd = vec![];
    let mut a_only = vec![];
    let mut b_only = vec![];
    for d in nout..nd {
        match (has(a, d), has(b, d)) {
            (true, true) | (false, false) => kd.push(d),
            (true, false) => a_only.push(d),
            (false, true) => b_only.push(d),
        }
    }
    let dt = promote(a, b);
    let a_only_i: Vec<i64> = a_only.iter().map(|&d| d as i64).collect();
    let b_only_i: Vec<i64> = b_only.iter().map(|&d| d as i64).collect();
    let a = if a_only.is_empty() {
        a.to_dtype(dt)?
    } else {
        a.to_dtype(dt)?.sum(Some(&a_only_i), true, None)?
    };
    let b = if b_only.is_empty() {
        b.to_dtype(dt)?
    } else {
        b.to_dtype(dt)?.sum(Some(&b_only_i), true, None)?
    };
    let size = |ds: &[usize]| ds.iter().map(|&d| sizes[d]).product::<usize>() as i64;
    let (bs, m, n, k) = (size(&batch), size(&md), size(&nd_), size(&kd));
    let expand_to = |t: &Tensor, keep: &[usize]| -> Result<Tensor> {
        let mut s = i64s(t.shape());
        for &d in keep {
            s[d] = sizes[d] as i64;
        }
        t.expand(&s)
    };
    let order_a: Vec<i64> = batch
        .iter()
        .chain(&md)
        .chain(&kd)
        .chain(&nd_)
        .chain(&a_only)
        .chain(&b_only)
        .map(|&d| d as i64)
        .collect();
    let order_b: Vec<i64> = batch
        .iter()
        .chain(&kd)
        .chain(&nd_)
        .chain(&md)
        .chain(&a_only)
        .chain(&b_only)
        .map(|&d| d as i64)
        .collect();
    let keep_a: Vec<usize> = batch.iter().chain(&md).chain(&kd).copied().collect();
    let keep_b: Vec<usize> = batch.iter().chain(&kd).chain(&nd_).copied().collect();
    let a3 = expand_to(&a, &keep_a)?
        .permute(&order_a)?
        .reshape(&[bs, m, k])?;
    let b3 = expand_to(&b, &keep_b)?
        .permute(&order_b)?
        .reshape(&[bs, k, n])?;
    let r = a3.bmm(&b3)?; // [bs, m, n]
    let mut shape: Vec<i64> = batch
        .iter()
        .chain(&md)
        .chain(&nd_)
        .map(|&d| sizes[d] as i64)
        .collect();
    if shape.is_empty() {
        shape = vec![];
    }
    let r = r.reshape(&shape)?;
    // permute back to output order
    let cur: Vec<usize> = batch.iter().chain(&md).chain(&nd_).copied().collect();
    let perm: Vec<i64> = (0..nout)
        .map(|d| cur.iter().position(|&c| c == d).unwrap() as i64)
        .collect();
    r.permute(&perm)
}
