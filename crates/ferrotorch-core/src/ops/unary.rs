//! Unary elementwise ops.

use crate::cpu::map::map1;
use crate::dtype::default_float_dtype;
use crate::cuda::elementwise::UnaryOp as Unary;
use crate::ops::binary::{binary, Arg, BinaryOp};
use crate::{bail, dispatch, dispatch_native, DType, Element, Result, Scalar, Tensor};

/// Ops that map floats to floats; integer inputs are computed in the default float dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// The order is the CUDA unary kernels' op codes (kernels/elementwise.cuh).
pub enum FloatOp {
    Exp,
    Exp2,
    Expm1,
    Log,
    Log2,
    Log10,
    Log1p,
    Sqrt,
    Rsqrt,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Sinh,
    Cosh,
    Tanh,
    Asinh,
    Acosh,
    Atanh,
    Sigmoid,
    Erf,
    Erfc,
    Erfinv,
    Reciprocal,
    Frac,
}

macro_rules! float_fn {
    ($t:ty, $op:expr) => {{
        use FloatOp::*;
        let f: fn($t) -> $t = match $op {
            Exp => |x| x.exp(),
            Exp2 => |x| x.exp2(),
            Expm1 => |x| x.exp_m1(),
            Log => |x| x.ln(),
            Log2 => |x| x.log2(),
            Log10 => |x| x.log10(),
            Log1p => |x| x.ln_1p(),
            Sqrt => |x| x.sqrt(),
            Rsqrt => |x| 1.0 / x.sqrt(),
            Sin => |x| x.sin(),
            Cos => |x| x.cos(),
            Tan => |x| x.tan(),
            Asin => |x| x.asin(),
            Acos => |x| x.acos(),
            Atan => |x| x.atan(),
            Sinh => |x| x.sinh(),
            Cosh => |x| x.cosh(),
            Tanh => |x| x.tanh(),
            Asinh => |x| x.asinh(),
            Acosh => |x| x.acosh(),
            Atanh => |x| x.atanh(),
            Sigmoid => |x| 1.0 / (1.0 + (-x).exp()),
            Erf => |x| libm::erf(x as f64) as $t,
            Erfc => |x| libm::erfc(x as f64) as $t,
            Erfinv => |x| erfinv(x as f64) as $t,
            Reciprocal => |x| 1.0 / x,
            Frac => |x| x - x.trunc(),
        };
        f
    }};
}

/// Inverse error function: Giles' approximation refined by two Newton steps.
fn erfinv(y: f64) -> f64 {
    if !(-1.0..=1.0).contains(&y) {
        return f64::NAN;
    }
    if y == 1.0 {
        return f64::INFINITY;
    }
    if y == -1.0 {
        return f64::NEG_INFINITY;
    }
    let w = -((1.0 - y) * (1.0 + y)).ln();
    let mut x = if w < 5.0 {
        let w = w - 2.5;
        let mut p = 2.810_226_36e-08;
        for c in [
            3.432_739_39e-07,
            -3.523_387_7e-06,
            -4.391_506_54e-06,
            0.000_218_580_87,
            -0.001_253_725_03,
            -0.004_177_681_64,
            0.246_640_727,
            1.501_409_41,
        ] {
            p = c + p * w;
        }
        p * y
    } else {
        let w = w.sqrt() - 3.0;
        let mut p = -0.000_200_214_257;
        for c in [
            0.000_100_950_558,
            0.001_349_343_22,
            -0.003_673_428_44,
            0.005_739_507_73,
            -0.007_622_461_3,
            0.009_438_870_47,
            1.001_674_06,
            2.832_976_82,
        ] {
            p = c + p * w;
        }
        p * y
    };
    let two_over_sqrt_pi = 2.0 / std::f64::consts::PI.sqrt();
    for _ in 0..2 {
        let err = libm::erf(x) - y;
        x -= err / (two_over_sqrt_pi * (-x * x).exp());
    }
    x
}

impl Tensor {
    pub fn float_op(&self, op: FloatOp) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::float_op(self, op)
        );
        let dt = self.dtype();
        if op == FloatOp::Frac && !dt.is_floating_point() {
            bail!(
                runtime,
                "\"frac_cpu\" not implemented for '{}'",
                dt.legacy_name()
            );
        }
        if self.is_cuda() && dt.is_floating_point() {
            return crate::cuda::elementwise::unary(Unary::Float(op), self);
        }
        match dt {
            DType::F32 => Ok(map1::<f32, f32>(self, float_fn!(f32, op))),
            DType::F64 => Ok(map1::<f64, f64>(self, float_fn!(f64, op))),
            DType::F16 | DType::BF16 => self.to_dtype(DType::F32)?.float_op(op)?.to_dtype(dt),
            _ => self.to_dtype(default_float_dtype())?.float_op(op),
        }
    }

    pub fn neg(&self) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::neg(self)
        );
        if self.dtype() == DType::Bool {
            bail!(
                runtime,
                "Negation, the `-` operator, on a bool tensor is not supported. If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
            );
        }
        self.same_dtype_map(Some(Unary::Neg), |x| -x, |x| x.wrapping_neg_i64())
    }
    pub fn abs(&self) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::abs(self)
        );
        if self.dtype() == DType::Bool {
            bail!(runtime, "\"abs_cpu\" not implemented for 'Bool'");
        }
        self.same_dtype_map(Some(Unary::Abs), |x| x.abs(), |x| x.wrapping_abs_i64())
    }
    pub fn sign(&self) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::zero_grad_op("SignBackward0", self, || self
                .sign())
        );
        if self.dtype() == DType::Bool {
            return Ok(self.deep_clone()?);
        }
        self.same_dtype_map(
            Some(Unary::Sign),
            |x| {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    x * 0.0
                }
            },
            |x| x.signum(),
        )
    }
    pub fn relu(&self) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::relu(self)
        );
        if self.dtype() == DType::Bool {
            bail!(runtime, "\"clamp_min_cpu\" not implemented for 'Bool'");
        }
        self.same_dtype_map(
            Some(Unary::Relu),
            |x| if x > 0.0 || x.is_nan() { x } else { 0.0 },
            |x| x.max(0),
        )
    }
    /// ReLU's gradient in one pass: `self` (the output grad) where `out > 0`,
    /// else 0 (PyTorch's threshold_backward). Differentiable in `self` only.
    pub fn threshold_backward(&self, out: &Tensor) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::threshold_backward(self, out)
        );
        let shape = crate::ops::shape::broadcast_shapes_n(&[self.shape().to_vec(), out.shape().to_vec()])?;
        match (self.dtype(), out.dtype()) {
            _ if self.is_cuda() || out.is_cuda() => {
                let mask = crate::binary(crate::BinaryOp::Gt, crate::Arg::T(out), crate::Arg::S(crate::Scalar::Int(0)))?;
                crate::binary(crate::BinaryOp::Mul, crate::Arg::T(self), crate::Arg::T(&mask.to_dtype(self.dtype())?))
            }
            (DType::F32, DType::F32) => Ok(crate::cpu::map::map2::<f32, f32, f32>(self, out, &shape, |g, y| if y > 0.0 { g } else { 0.0 })),
            (DType::F64, DType::F64) => Ok(crate::cpu::map::map2::<f64, f64, f64>(self, out, &shape, |g, y| if y > 0.0 { g } else { 0.0 })),
            _ => {
                let mask = crate::binary(crate::BinaryOp::Gt, crate::Arg::T(out), crate::Arg::S(crate::Scalar::Int(0)))?;
                crate::binary(crate::BinaryOp::Mul, crate::Arg::T(self), crate::Arg::T(&mask.to_dtype(self.dtype())?))
            }
        }
    }
    /// floor/ceil/round/trunc: identity on integers.
    pub fn rounding(&self, mode: Rounding) -> Result<Tensor> {
        let name = match mode {
            Rounding::Floor => "FloorBackward0",
            Rounding::Ceil => "CeilBackward0",
            Rounding::Trunc => "TruncBackward0",
            _ => "RoundBackward0",
        };
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::zero_grad_op(name, self, || self
                .rounding(mode))
        );
        if !self.dtype().is_floating_point() {
            return self.deep_clone();
        }
        let (f, cuda): (fn(f64) -> f64, _) = match mode {
            Rounding::Floor => (f64::floor, Unary::Floor),
            Rounding::Ceil => (f64::ceil, Unary::Ceil),
            Rounding::Trunc => (f64::trunc, Unary::Trunc),
            Rounding::Round => (f64::round_ties_even, Unary::Round),
        };
        self.same_dtype_map(Some(cuda), f, |x| x)
    }
    /// `round(decimals=n)`: PyTorch scales by 10^n, rounds half to even, scales back.
    pub fn round_decimals(&self, decimals: i64) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::zero_grad_op("RoundBackward1", self, || {
                self.round_decimals(decimals)
            })
        );
        if decimals == 0 || !self.dtype().is_floating_point() {
            return self.rounding(Rounding::Round);
        }
        crate::ops::cpu_only("aten::round.decimals", &[self])?;
        let ten = 10f64.powi(decimals.unsigned_abs() as i32);
        match self.dtype() {
            DType::F64 => Ok(map1::<f64, f64>(self, move |x| {
                if decimals > 0 {
                    (x * ten).round_ties_even() / ten
                } else {
                    (x / ten).round_ties_even() * ten
                }
            })),
            dt => {
                let ten = ten as f32;
                let r = map1::<f32, f32>(&self.to_dtype(DType::F32)?, move |x| {
                    if decimals > 0 {
                        (x * ten).round_ties_even() / ten
                    } else {
                        (x / ten).round_ties_even() * ten
                    }
                });
                r.to_dtype(dt)
            }
        }
    }

    /// Applies `ff` to floats (exact for these ops when computed in f64) and
    /// `fi` to integers and bools; on CUDA runs the kernel op `cuda` instead.
    fn same_dtype_map(
        &self,
        cuda: Option<Unary>,
        ff: impl Fn(f64) -> f64 + Sync + Copy,
        fi: impl Fn(i64) -> i64 + Sync + Copy,
    ) -> Result<Tensor> {
        if self.is_cuda() {
            return match cuda {
                Some(op) => crate::cuda::elementwise::unary(op, self),
                None => Err(crate::cuda::unsupported("this elementwise op")),
            };
        }
        let dt = self.dtype();
        Ok(match dt {
            DType::F32 => map1::<f32, f32>(self, move |x| ff(x as f64) as f32),
            DType::F64 => map1::<f64, f64>(self, ff),
            DType::F16 | DType::BF16 => {
                return self
                    .to_dtype(DType::F32)?
                    .same_dtype_map(cuda, ff, fi)?
                    .to_dtype(dt)
            }
            DType::Bool => {
                dispatch!(dt, T => map1::<T, T>(self, move |x| T::from_i64(fi(x.to_i64()))))
            }
            _ => {
                dispatch_native!(dt, T => map1::<T, T>(self, move |x| T::from_i64(fi(x.to_i64()))), unreachable!())
            }
        })
    }

    pub fn isnan(&self) -> Result<Tensor> {
        self.float_predicate(Unary::IsNan, |x| x.is_nan(), false)
    }
    pub fn isinf(&self) -> Result<Tensor> {
        self.float_predicate(Unary::IsInf, |x| x.is_infinite(), false)
    }
    pub fn isfinite(&self) -> Result<Tensor> {
        self.float_predicate(Unary::IsFinite, |x| x.is_finite(), true)
    }
    fn float_predicate(&self, cuda: Unary, f: fn(f64) -> bool, int_value: bool) -> Result<Tensor> {
        let dt = self.dtype();
        if !dt.is_floating_point() {
            return Tensor::full_on(self.shape(), Scalar::Bool(int_value), DType::Bool, self.device());
        }
        if self.is_cuda() {
            return crate::cuda::elementwise::unary(cuda, self);
        }
        Ok(dispatch!(dt, T => map1::<T, bool>(self, move |x| f(x.to_f64()))))
    }
    pub fn logical_not(&self) -> Result<Tensor> {
        if self.is_cuda() {
            return crate::cuda::elementwise::unary(Unary::LogicalNot, self);
        }
        Ok(dispatch!(self.dtype(), T => map1::<T, bool>(self, |x| x.is_zero())))
    }
    pub fn bitwise_not(&self) -> Result<Tensor> {
        let dt = self.dtype();
        if dt.is_floating_point() {
            bail!(
                runtime,
                "\"bitwise_not_cpu\" not implemented for '{}'",
                dt.legacy_name()
            );
        }
        if dt == DType::Bool {
            return self.logical_not();
        }
        if self.is_cuda() {
            return crate::cuda::elementwise::unary(Unary::BitNot, self);
        }
        dispatch_native!(dt, T => Ok(map1::<T, T>(self, |x| T::from_i64(!x.to_i64()))), unreachable!())
    }
    pub fn nan_to_num(&self, nan: f64, posinf: Option<f64>, neginf: Option<f64>) -> Result<Tensor> {
        crate::autograd::record_if_needed!(
            [self],
            crate::autograd::derivatives::elementwise::nan_to_num(self, || self
                .nan_to_num(nan, posinf, neginf))
        );
        let dt = self.dtype();
        if !dt.is_floating_point() {
            return self.deep_clone();
        }
        let (hi, lo) = match dt {
            DType::F32 => (f32::MAX as f64, f32::MIN as f64),
            DType::F16 => (half::f16::MAX.to_f64(), half::f16::MIN.to_f64()),
            DType::BF16 => (half::bf16::MAX.to_f64(), half::bf16::MIN.to_f64()),
            _ => (f64::MAX, f64::MIN),
        };
        let (p, n) = (posinf.unwrap_or(hi), neginf.unwrap_or(lo));
        if self.is_cuda() {
            // composed from kernels: NaN, then +inf, then -inf replaced
            use crate::ops::binary::where_;
            let f = |v: f64| Arg::S(Scalar::Float(v));
            let x = where_(&self.isnan()?, f(nan), Arg::T(self))?;
            let x = where_(&binary(BinaryOp::Eq, Arg::T(&x), f(f64::INFINITY))?, f(p), Arg::T(&x))?;
            return where_(&binary(BinaryOp::Eq, Arg::T(&x), f(f64::NEG_INFINITY))?, f(n), Arg::T(&x));
        }
        self.same_dtype_map(
            None,
            move |x| {
                if x.is_nan() {
                    nan
                } else if x == f64::INFINITY {
                    p
                } else if x == f64::NEG_INFINITY {
                    n
                } else {
                    x
                }
            },
            |x| x,
        )
    }
    /// `clamp(min, max)`, either bound optional; bounds may be tensors or numbers.
    pub fn clamp(&self, min: Option<Arg>, max: Option<Arg>) -> Result<Tensor> {
        if (self.requires_grad()
            || [min, max]
                .iter()
                .any(|b| matches!(b, Some(Arg::T(t)) if t.requires_grad())))
            && crate::autograd::is_grad_enabled()
        {
            return crate::autograd::derivatives::elementwise::clamp(self, min, max);
        }
        if min.is_none() && max.is_none() {
            bail!(
                runtime,
                "torch.clamp: At least one of 'min' or 'max' must not be None"
            );
        }
        if self.dtype() == DType::Bool {
            bail!(runtime, "\"clamp_cpu\" not implemented for 'Bool'");
        }
        let mut r = self.clone();
        if let Some(lo) = min {
            r = binary(BinaryOp::Maximum, Arg::T(&r), lo)?;
        }
        if let Some(hi) = max {
            r = binary(BinaryOp::Minimum, Arg::T(&r), hi)?;
        }
        Ok(r)
    }
}

/// Integer helpers for `same_dtype_map` closures.
trait IntExt {
    fn wrapping_neg_i64(self) -> i64;
    fn wrapping_abs_i64(self) -> i64;
}
impl IntExt for i64 {
    fn wrapping_neg_i64(self) -> i64 {
        self.wrapping_neg()
    }
    fn wrapping_abs_i64(self) -> i64 {
        self.wrapping_abs()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rounding {
    Floor,
    Ceil,
    Round,
    Trunc,
}
