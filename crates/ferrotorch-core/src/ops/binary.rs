//! Binary elementwise ops with broadcasting and PyTorch type promotion.

use crate::cpu::map::{map2, map3};
use crate::dtype::{default_float_dtype, result_type, Category, Operand};
use crate::layout::broadcast_shapes;
use crate::{bail, dispatch, dispatch_native, DType, Element, Error, Result, Scalar, Tensor};

/// A binary operand: a tensor or a Python number ("wrapped scalar").
#[derive(Clone, Copy)]
pub enum Arg<'a> {
    T(&'a Tensor),
    S(Scalar),
}

impl<'a> From<&'a Tensor> for Arg<'a> {
    fn from(t: &'a Tensor) -> Self {
        Arg::T(t)
    }
}
impl From<Scalar> for Arg<'_> {
    fn from(s: Scalar) -> Self {
        Arg::S(s)
    }
}

impl<'a> Arg<'a> {
    fn operand(&self) -> Operand {
        match self {
            Arg::T(t) => Operand::Tensor {
                dtype: t.dtype(),
                zero_dim: t.ndim() == 0,
            },
            Arg::S(s) => Operand::Scalar(s.category()),
        }
    }
    fn shape(&self) -> &[usize] {
        match self {
            Arg::T(t) => t.shape(),
            Arg::S(_) => &[],
        }
    }
    /// The tensor, if this operand is one (for device checks).
    pub(crate) fn tensor(&self) -> Option<&'a Tensor> {
        match self {
            Arg::T(t) => Some(*t),
            Arg::S(_) => None,
        }
    }
    pub(crate) fn to_tensor(self, dtype: DType) -> Result<Tensor> {
        match self {
            Arg::T(t) => t.to_dtype(dtype),
            Arg::S(s) => Ok(Tensor::scalar(s, dtype)),
        }
    }
}

/// The order is the CUDA binary kernels' op codes (kernels/elementwise.cuh).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    TruncDiv,
    Remainder,
    Fmod,
    Pow,
    Atan2,
    Maximum,
    Minimum,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    LogicalAnd,
    LogicalOr,
    LogicalXor,
    BitAnd,
    BitOr,
    BitXor,
    Shl,
    Shr,
}

impl BinaryOp {
    fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Sub => "sub",
            Mul => "mul",
            Div => "div",
            FloorDiv => "floor_divide",
            TruncDiv => "div_trunc",
            Remainder => "remainder",
            Fmod => "fmod",
            Pow => "pow",
            Atan2 => "atan2",
            Maximum => "maximum",
            Minimum => "minimum",
            Eq => "eq",
            Ne => "ne",
            Lt => "lt",
            Le => "le",
            Gt => "gt",
            Ge => "ge",
            LogicalAnd => "logical_and",
            LogicalOr => "logical_or",
            LogicalXor => "logical_xor",
            BitAnd => "bitwise_and",
            BitOr => "bitwise_or",
            BitXor => "bitwise_xor",
            Shl => "bitwise_left_shift",
            Shr => "bitwise_right_shift",
        }
    }
    fn is_logical(self) -> bool {
        matches!(
            self,
            BinaryOp::LogicalAnd | BinaryOp::LogicalOr | BinaryOp::LogicalXor
        )
    }
    fn is_bitwise(self) -> bool {
        use BinaryOp::*;
        matches!(self, BitAnd | BitOr | BitXor | Shl | Shr)
    }
}

/// Arithmetic on native element types. Integers wrap on overflow like PyTorch.
pub(crate) trait Num: Element {
    fn add(a: Self, b: Self) -> Self;
    fn sub(a: Self, b: Self) -> Self;
    fn mul(a: Self, b: Self) -> Self;
    fn div(a: Self, b: Self) -> Self;
    fn floor_div(a: Self, b: Self) -> Self;
    fn rem(a: Self, b: Self) -> Self;
    fn fmod(a: Self, b: Self) -> Self;
    fn pow(a: Self, b: Self) -> Self;
    fn max(a: Self, b: Self) -> Self;
    fn min(a: Self, b: Self) -> Self;
    fn bitand(a: Self, b: Self) -> Self;
    fn bitor(a: Self, b: Self) -> Self;
    fn bitxor(a: Self, b: Self) -> Self;
    fn shl(a: Self, b: Self) -> Self;
    fn shr(a: Self, b: Self) -> Self;
}

macro_rules! int_num {
    ($($t:ty),*) => {$(
        impl Num for $t {
            #[inline(always)] fn add(a: Self, b: Self) -> Self { a.wrapping_add(b) }
            #[inline(always)] fn sub(a: Self, b: Self) -> Self { a.wrapping_sub(b) }
            #[inline(always)] fn mul(a: Self, b: Self) -> Self { a.wrapping_mul(b) }
            #[inline(always)] fn div(a: Self, b: Self) -> Self { a.wrapping_div(b) }
            #[inline(always)] fn floor_div(a: Self, b: Self) -> Self {
                let q = a.wrapping_div(b);
                if (a % b != 0) && ((a < 0) != (b < 0)) { q - 1 } else { q }
            }
            #[inline(always)] fn rem(a: Self, b: Self) -> Self {
                let r = a.wrapping_rem(b);
                if r != 0 && ((r < 0) != (b < 0)) { r.wrapping_add(b) } else { r }
            }
            #[inline(always)] fn fmod(a: Self, b: Self) -> Self { a.wrapping_rem(b) }
            #[inline(always)] fn pow(a: Self, b: Self) -> Self {
                // negative exponents are rejected before the kernel runs
                a.wrapping_pow(b as u32)
            }
            #[inline(always)] fn max(a: Self, b: Self) -> Self { if a > b { a } else { b } }
            #[inline(always)] fn min(a: Self, b: Self) -> Self { if a < b { a } else { b } }
            #[inline(always)] fn bitand(a: Self, b: Self) -> Self { a & b }
            #[inline(always)] fn bitor(a: Self, b: Self) -> Self { a | b }
            #[inline(always)] fn bitxor(a: Self, b: Self) -> Self { a ^ b }
            #[inline(always)] fn shl(a: Self, b: Self) -> Self {
                if b < 0 || b as u64 >= (8 * std::mem::size_of::<$t>()) as u64 { 0 } else { a << b }
            }
            #[inline(always)] fn shr(a: Self, b: Self) -> Self {
                let bits = (8 * std::mem::size_of::<$t>()) as u64;
                if b < 0 || b as u64 >= bits { if a < 0 { !0 } else { 0 } } else { a >> b }
            }
        }
    )*};
}
#[allow(unused_comparisons)]
mod int_impls {
    use super::Num;
    int_num!(i8, i16, i32, i64, u8);
}

macro_rules! float_num {
    ($($t:ty),*) => {$(
        impl Num for $t {
            #[inline(always)] fn add(a: Self, b: Self) -> Self { a + b }
            #[inline(always)] fn sub(a: Self, b: Self) -> Self { a - b }
            #[inline(always)] fn mul(a: Self, b: Self) -> Self { a * b }
            #[inline(always)] fn div(a: Self, b: Self) -> Self { a / b }
            #[inline(always)] fn floor_div(a: Self, b: Self) -> Self {
                // PyTorch/Python: floor of the true quotient, computed from fmod for accuracy
                if b == 0.0 { return a / b; }
                let m = a % b;
                let mut d = (a - m) / b;
                if m != 0.0 && ((b < 0.0) != (m < 0.0)) { d -= 1.0; }
                if d == 0.0 { return (0.0 as $t).copysign(a / b); }
                let f = d.floor();
                if d - f > 0.5 { f + 1.0 } else { f }
            }
            #[inline(always)] fn rem(a: Self, b: Self) -> Self {
                let r = a % b;
                if r != 0.0 && ((r < 0.0) != (b < 0.0)) { r + b } else { r }
            }
            #[inline(always)] fn fmod(a: Self, b: Self) -> Self { a % b }
            #[inline(always)] fn pow(a: Self, b: Self) -> Self { a.powf(b) }
            #[inline(always)] fn max(a: Self, b: Self) -> Self { if a.is_nan() || b.is_nan() { <$t>::NAN } else if a > b { a } else { b } }
            #[inline(always)] fn min(a: Self, b: Self) -> Self { if a.is_nan() || b.is_nan() { <$t>::NAN } else if a < b { a } else { b } }
            fn bitand(_: Self, _: Self) -> Self { unreachable!() }
            fn bitor(_: Self, _: Self) -> Self { unreachable!() }
            fn bitxor(_: Self, _: Self) -> Self { unreachable!() }
            fn shl(_: Self, _: Self) -> Self { unreachable!() }
            fn shr(_: Self, _: Self) -> Self { unreachable!() }
        }
    )*};
}
float_num!(f32, f64);

fn not_implemented(op: BinaryOp, dt: DType) -> Error {
    Error::runtime(format!(
        "\"{}_cpu\" not implemented for '{}'",
        op.name(),
        dt.legacy_name()
    ))
}

/// The dtype the op computes in, from the promoted dtype of its inputs.
fn compute_dtype(op: BinaryOp, promoted: DType) -> Result<DType> {
    use BinaryOp::*;
    Ok(match op {
        Div | Atan2 if promoted.category() != Category::Float => default_float_dtype(),
        _ if op.is_logical() => DType::Bool,
        _ if op.is_bitwise() => {
            if promoted.is_floating_point() {
                return Err(not_implemented(op, promoted));
            }
            promoted
        }
        _ => promoted,
    })
}

/// `op(a, b)` with broadcasting; the dtype is PyTorch's result type.
pub fn binary(op: BinaryOp, a: Arg, b: Arg) -> Result<Tensor> {
    if (matches!(a, Arg::T(t) if t.requires_grad()) || matches!(b, Arg::T(t) if t.requires_grad()))
        && crate::autograd::is_grad_enabled()
    {
        return crate::autograd::derivatives::elementwise::binary(op, a, b);
    }
    if let (Arg::T(x), Arg::T(y)) = (a, b) {
        crate::ops::check_same_device(&[x, y])?;
    }
    let promoted = result_type(&[a.operand(), b.operand()]);
    let dt = compute_dtype(op, promoted)?;
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    if let dev @ crate::Device::Cuda(_) = crate::ops::op_device(&[a.tensor(), b.tensor()]) {
        use crate::cuda::elementwise::{binary, Operand};
        return binary(op, &Operand::of(a, dt)?, &Operand::of(b, dt)?, dt, &shape, dev);
    }
    let (x, y) = (a.to_tensor(dt)?, b.to_tensor(dt)?);
    binary_same_dtype(op, &x, &y, &shape)
}

/// Kernel dispatch once both inputs have the compute dtype.
fn binary_same_dtype(op: BinaryOp, x: &Tensor, y: &Tensor, shape: &[usize]) -> Result<Tensor> {
    use BinaryOp::*;
    let dt = x.dtype();
    if dt == DType::Bool {
        return bool_binary(op, x, y, shape);
    }
    if matches!(dt, DType::F16 | DType::BF16) {
        // half types compute in f32 and round once, like PyTorch's CPU kernels
        let r = binary_same_dtype(
            op,
            &x.to_dtype(DType::F32)?,
            &y.to_dtype(DType::F32)?,
            shape,
        )?;
        return if r.dtype() == DType::Bool {
            Ok(r)
        } else {
            r.to_dtype(dt)
        };
    }
    if !dt.is_floating_point() {
        if matches!(op, FloorDiv | Remainder | Fmod | Div | TruncDiv) && contains_zero(y)? {
            bail!(runtime, "ZeroDivisionError");
        }
        if op == Pow && y.dtype().is_signed() && has_negative(y)? {
            bail!(
                runtime,
                "Integers to negative integer powers are not allowed."
            );
        }
    }
    dispatch_native!(dt, T => {
        Ok(match op {
            Add => map2::<T, T, T>(x, y, shape, <T as Num>::add),
            Sub => map2::<T, T, T>(x, y, shape, <T as Num>::sub),
            Mul => map2::<T, T, T>(x, y, shape, <T as Num>::mul),
            Div | TruncDiv => map2::<T, T, T>(x, y, shape, <T as Num>::div),
            FloorDiv => map2::<T, T, T>(x, y, shape, <T as Num>::floor_div),
            Remainder => map2::<T, T, T>(x, y, shape, <T as Num>::rem),
            Fmod => map2::<T, T, T>(x, y, shape, <T as Num>::fmod),
            Pow => map2::<T, T, T>(x, y, shape, <T as Num>::pow),
            Atan2 => map2::<T, T, T>(x, y, shape, |a, b| T::from_f64(a.to_f64().atan2(b.to_f64()))),
            Maximum => map2::<T, T, T>(x, y, shape, <T as Num>::max),
            Minimum => map2::<T, T, T>(x, y, shape, <T as Num>::min),
            Eq => map2::<T, T, bool>(x, y, shape, |a, b| a == b),
            Ne => map2::<T, T, bool>(x, y, shape, |a, b| a != b),
            Lt => map2::<T, T, bool>(x, y, shape, |a, b| a < b),
            Le => map2::<T, T, bool>(x, y, shape, |a, b| a <= b),
            Gt => map2::<T, T, bool>(x, y, shape, |a, b| a > b),
            Ge => map2::<T, T, bool>(x, y, shape, |a, b| a >= b),
            BitAnd => map2::<T, T, T>(x, y, shape, <T as Num>::bitand),
            BitOr => map2::<T, T, T>(x, y, shape, <T as Num>::bitor),
            BitXor => map2::<T, T, T>(x, y, shape, <T as Num>::bitxor),
            Shl => map2::<T, T, T>(x, y, shape, <T as Num>::shl),
            Shr => map2::<T, T, T>(x, y, shape, <T as Num>::shr),
            LogicalAnd | LogicalOr | LogicalXor => unreachable!("logical ops compute in bool"),
        })
    }, unreachable!())
}

fn bool_binary(op: BinaryOp, x: &Tensor, y: &Tensor, shape: &[usize]) -> Result<Tensor> {
    use BinaryOp::*;
    let f: fn(bool, bool) -> bool = match op {
        Add | Maximum | LogicalOr | BitOr => |a, b| a | b,
        Mul | Minimum | LogicalAnd | BitAnd => |a, b| a & b,
        LogicalXor | BitXor | Ne => |a, b| a ^ b,
        Eq => |a, b| a == b,
        Lt => |a, b| !a & b,
        Le => |a, b| a <= b,
        Gt => |a, b| a & !b,
        Ge => |a, b| a >= b,
        Sub => bail!(
            runtime,
            "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."
        ),
        _ => {
            // arithmetic on bools computes in int64 (e.g. True ** True)
            let (a, b) = (x.to_dtype(DType::I64)?, y.to_dtype(DType::I64)?);
            return binary_same_dtype(op, &a, &b, shape)?.to_dtype(DType::Bool);
        }
    };
    Ok(map2::<bool, bool, bool>(x, y, shape, f))
}

fn contains_zero(t: &Tensor) -> Result<bool> {
    crate::ops::cpu_only("aten::div", &[t])?;
    let mut z = false;
    dispatch!(t.dtype(), T => crate::cpu::map::for_each::<T>(t, |v| z |= v.is_zero()));
    Ok(z)
}

fn has_negative(t: &Tensor) -> Result<bool> {
    crate::ops::cpu_only("aten::pow", &[t])?;
    let mut neg = false;
    dispatch!(t.dtype(), T => crate::cpu::map::for_each::<T>(t, |v| neg |= v.to_f64() < 0.0));
    Ok(neg)
}

/// In-place `self op= other`: the result must be castable to self's dtype.
pub fn binary_(op: BinaryOp, this: &Tensor, other: Arg) -> Result<()> {
    let others: Vec<&Tensor> = if let Arg::T(t) = other { vec![t] } else { vec![] };
    this.update_(&others, |src| binary(op, Arg::T(src), other))
}

impl Tensor {
    pub fn add(&self, other: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Add, Arg::T(self), Arg::T(other))
    }
    pub fn sub(&self, other: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Sub, Arg::T(self), Arg::T(other))
    }
    pub fn mul(&self, other: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Mul, Arg::T(self), Arg::T(other))
    }
    pub fn div(&self, other: &Tensor) -> Result<Tensor> {
        binary(BinaryOp::Div, Arg::T(self), Arg::T(other))
    }
}

/// `torch.where(cond, a, b)`.
pub fn where_(cond: &Tensor, a: Arg, b: Arg) -> Result<Tensor> {
    if (matches!(a, Arg::T(t) if t.requires_grad()) || matches!(b, Arg::T(t) if t.requires_grad()))
        && crate::autograd::is_grad_enabled()
    {
        return crate::autograd::derivatives::elementwise::where_(cond, a, b);
    }
    if let Arg::T(t) = a {
        crate::ops::check_same_device(&[cond, t])?;
    }
    if let Arg::T(t) = b {
        crate::ops::check_same_device(&[cond, t])?;
    }
    if cond.dtype() != DType::Bool {
        bail!(
            runtime,
            "where expected condition to be a boolean tensor, but got a tensor with dtype {}",
            cond.dtype().legacy_name()
        );
    }
    let dt = result_type(&[a.operand(), b.operand()]);
    let shape = broadcast_shapes(&broadcast_shapes(cond.shape(), a.shape())?, b.shape())?;
    if let d @ crate::Device::Cuda(_) = crate::ops::op_device(&[Some(cond), a.tensor(), b.tensor()]) {
        use crate::cuda::elementwise::{where_, Operand};
        // a 0-d CPU condition joins a CUDA where as a scalar does
        let cond = &cond.to_device(d)?;
        return where_(cond, &Operand::of(a, dt)?, &Operand::of(b, dt)?, dt, &shape);
    }
    for t in [a.tensor(), b.tensor()].into_iter().flatten() {
        crate::ops::cpu_only("aten::where", &[t])?;
    }
    let (x, y) = (a.to_tensor(dt)?, b.to_tensor(dt)?);
    Ok(
        dispatch!(dt, T => map3::<bool, T, T, T>(cond, &x, &y, &shape, |c, p, q| if c { p } else { q })),
    )
}

/// PyTorch's two-sided lerp from elementwise ops (the CUDA path): exact at
/// both ends, `start + w (end - start)` for |w| < 0.5, else `end - (end - start)(1 - w)`.
fn lerp_composed(start: &Tensor, end: &Tensor, weight: Arg) -> Result<Tensor> {
    use BinaryOp::*;
    let d = binary(Sub, Arg::T(end), Arg::T(start))?;
    let near_start = binary(Add, Arg::T(start), Arg::T(&binary(Mul, weight, Arg::T(&d))?))?;
    let one_minus_w = binary(Sub, Arg::S(Scalar::Int(1)), weight)?;
    let near_end = binary(Sub, Arg::T(end), Arg::T(&binary(Mul, Arg::T(&d), Arg::T(&one_minus_w))?))?;
    let small = match weight {
        Arg::S(w) => return Ok(if w.to_f64().abs() < 0.5 { near_start } else { near_end }),
        Arg::T(w) => binary(Lt, Arg::T(&w.abs()?), Arg::S(Scalar::Float(0.5)))?,
    };
    where_(&small, Arg::T(&near_start), Arg::T(&near_end))
}

/// `torch.lerp(start, end, weight)` for floating tensors.
pub fn lerp(start: &Tensor, end: &Tensor, weight: Arg) -> Result<Tensor> {
    if (start.requires_grad()
        || end.requires_grad()
        || matches!(weight, Arg::T(t) if t.requires_grad()))
        && crate::autograd::is_grad_enabled()
    {
        return crate::autograd::derivatives::elementwise::lerp(start, end, weight);
    }
    let dt = start.dtype();
    if !dt.is_floating_point() || end.dtype() != dt {
        bail!(
            runtime,
            "expected dtype {} for `end` but got dtype {}",
            dt.legacy_name(),
            end.dtype().legacy_name()
        );
    }
    if start.is_cuda() {
        return lerp_composed(start, end, weight);
    }
    let w = weight.to_tensor(DType::F64)?;
    let shape = broadcast_shapes(&broadcast_shapes(start.shape(), end.shape())?, w.shape())?;
    let (s, e) = (start.to_dtype(DType::F64)?, end.to_dtype(DType::F64)?);
    let f = |a: f64, b: f64, w: f64| {
        if w.abs() < 0.5 {
            a + w * (b - a)
        } else {
            b - (b - a) * (1.0 - w)
        }
    };
    if dt == DType::F64 {
        Ok(map3::<f64, f64, f64, f64>(&s, &e, &w, &shape, f))
    } else {
        let (s, e, w) = (
            start.to_dtype(DType::F32)?,
            end.to_dtype(DType::F32)?,
            w.to_dtype(DType::F32)?,
        );
        map3::<f32, f32, f32, f32>(&s, &e, &w, &shape, |a, b, w| {
            f(a as f64, b as f64, w as f64) as f32
        })
        .to_dtype(dt)
    }
}
