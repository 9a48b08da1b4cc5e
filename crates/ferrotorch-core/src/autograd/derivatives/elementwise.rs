//! Elementwise ops: binary arithmetic, unary math, clamp, where, lerp, casts.

use super::{cmp, f, mask_of, mul, scale, zeros_like};
use crate::autograd::{no_grad, op, Save};
use crate::ops::unary::{FloatOp, Rounding};
use crate::{binary as bin, Arg, BinaryOp, Result, Scalar, Tensor};

/// A formula operand: a saved tensor (by index) or a Python number.
#[derive(Clone, Copy)]
enum V {
    T(usize),
    S(Scalar),
}
impl V {
    fn arg(self, saved: &[Tensor]) -> Arg<'_> {
        match self {
            V::T(i) => Arg::T(&saved[i]),
            V::S(s) => Arg::S(s),
        }
    }
}

/// The tensors among `args`: numbers take no part in the graph.
fn tensors_of<'a>(args: &[Arg<'a>]) -> Vec<&'a Tensor> {
    args.iter().filter_map(|x| if let Arg::T(t) = x { Some(*t) } else { None }).collect()
}

fn binary_name(op: BinaryOp, a: &Arg, b: &Arg) -> Option<&'static str> {
    use BinaryOp::*;
    Some(match op {
        Add => "AddBackward0",
        Sub => "SubBackward0",
        Mul => "MulBackward0",
        Div => "DivBackward0",
        FloorDiv | TruncDiv => "DivBackward1",
        Pow => match (a, b) {
            (Arg::T(_), Arg::S(_)) => "PowBackward0",
            (Arg::T(_), Arg::T(_)) => "PowBackward1",
            _ => "PowBackward2",
        },
        Atan2 => "Atan2Backward0",
        Maximum => "MaximumBackward0",
        Minimum => "MinimumBackward0",
        Remainder => "RemainderBackward0",
        Fmod => "FmodBackward0",
        _ => return None,
    })
}

/// `op(a, b)` with history (called only when an input needs grad).
pub(crate) fn binary(op_: BinaryOp, a: Arg, b: Arg) -> Result<Tensor> {
    use BinaryOp::*;
    let forward = || bin(op_, a, b);
    let Some(name) = binary_name(op_, &a, &b) else {
        return no_grad(forward);
    };
    let needs = |x: &Arg| matches!(x, Arg::T(t) if t.requires_grad());
    let (need_a, need_b) = (needs(&a), needs(&b));
    let want_a = match op_ {
        Mul | Div | Remainder | Fmod => need_b,
        Pow | Atan2 | Maximum | Minimum => true,
        _ => false,
    };
    let want_b = match op_ {
        Mul => need_a,
        Div | Pow | Atan2 | Maximum | Minimum => true,
        Remainder | Fmod => need_b,
        _ => false,
    };
    let want_out = op_ == Pow && need_b;
    let mut save = Vec::new();
    let mut operand = |x: &Arg, want: bool| match x {
        Arg::S(s) => V::S(*s),
        Arg::T(t) if want => {
            save.push(Save::T((*t).clone()));
            V::T(save.len() - 1)
        }
        Arg::T(_) => V::S(Scalar::Int(0)), // not read by the formula
    };
    let (va, vb) = (operand(&a, want_a), operand(&b, want_b));
    let out_idx = save.len();
    if want_out {
        save.push(Save::Out(0));
    }
    let ia = matches!(a, Arg::T(_));
    let ib = matches!(b, Arg::T(_));
    let inputs = tensors_of(&[a, b]);
    op(
        name,
        &inputs,
        forward,
        move || save,
        move |s, g, needs| {
            let (na, nb) = match (ia, ib) {
                (true, true) => (needs[0], needs[1]),
                (true, false) => (needs[0], false),
                _ => (false, needs[0]),
            };
            let (x, y) = (va.arg(s), vb.arg(s));
            let ga = if na {
                Some(grad_a(op_, g, x, y)?)
            } else {
                None
            };
            let gb = if nb {
                Some(grad_b(op_, g, x, y, s.get(out_idx))?)
            } else {
                None
            };
            Ok([(ia, ga), (ib, gb)]
                .into_iter()
                .filter(|(is_t, _)| *is_t)
                .map(|(_, g)| g)
                .collect())
        },
    )
}

/// `a^2 + b^2` (atan2's denominator).
fn sum_sq(a: Arg, b: Arg) -> Result<Tensor> {
    bin(BinaryOp::Add, Arg::T(&bin(BinaryOp::Mul, a, a)?), Arg::T(&bin(BinaryOp::Mul, b, b)?))
}

/// maximum/minimum: the grad goes to the operand that won (`x wins y`), and
/// is split evenly on ties, as PyTorch does.
fn winner_share(g: &Tensor, x: Arg, y: Arg, wins: BinaryOp) -> Result<Tensor> {
    let won = mask_of(cmp(wins, x, y), g)?;
    let tie = scale(&mask_of(cmp(BinaryOp::Eq, x, y), g)?, 0.5)?;
    mul(g, &super::add(&won, &tie)?)
}

fn grad_a(op_: BinaryOp, g: &Tensor, a: Arg, b: Arg) -> Result<Tensor> {
    use BinaryOp::*;
    let gt = Arg::T(g);
    Ok(match op_ {
        Add | Sub | Remainder | Fmod => g.clone(),
        Mul => bin(Mul, gt, b)?,
        Div => bin(Div, gt, b)?,
        FloorDiv | TruncDiv => zeros_like(g)?,
        Pow => {
            // g * b * a^(b-1), zero where b == 0
            let bm1 = bin(Sub, b, Arg::S(Scalar::Int(1)))?;
            let r = bin(
                Mul,
                gt,
                Arg::T(&bin(Mul, b, Arg::T(&bin(Pow, a, Arg::T(&bm1))?))?),
            )?;
            match b {
                Arg::S(s) if s.to_f64() == 0.0 => zeros_like(&r)?,
                Arg::S(_) => r,
                Arg::T(bt) => {
                    let z = cmp(Eq, Arg::T(bt), Arg::S(Scalar::Int(0)))?;
                    crate::ops::binary::where_(&z, Arg::S(Scalar::Int(0)), Arg::T(&r))?
                }
            }
        }
        Atan2 => {
            bin(Div, Arg::T(&bin(Mul, gt, b)?), Arg::T(&sum_sq(a, b)?))?
        }
        Maximum => winner_share(g, a, b, Gt)?,
        Minimum => winner_share(g, a, b, Lt)?,
        _ => unreachable!("binary_name filters non-differentiable ops"),
    })
}

fn grad_b(op_: BinaryOp, g: &Tensor, a: Arg, b: Arg, out: Option<&Tensor>) -> Result<Tensor> {
    use BinaryOp::*;
    let gt = Arg::T(g);
    Ok(match op_ {
        Add => g.clone(),
        Sub => g.neg()?,
        Mul => bin(Mul, gt, a)?,
        Div => bin(Div, Arg::T(&bin(Div, Arg::T(&bin(Mul, gt, a)?), b)?), b)?.neg()?,
        FloorDiv | TruncDiv => zeros_like(g)?,
        Pow => {
            // g * out * ln(a), zero where a == 0 and b >= 0
            let out = out.expect("pow saves its output when the exponent needs grad");
            let ln_a = match a {
                Arg::S(s) => Tensor::scalar(Scalar::Float(s.to_f64().ln()), out.dtype()),
                Arg::T(t) => f(t, FloatOp::Log)?,
            };
            let r = mul(&mul(g, out)?, &ln_a)?;
            let zero_base = bin(
                LogicalAnd,
                Arg::T(&cmp(Eq, a, Arg::S(Scalar::Int(0)))?),
                Arg::T(&cmp(Ge, b, Arg::S(Scalar::Int(0)))?),
            )?;
            crate::ops::binary::where_(&zero_base, Arg::S(Scalar::Int(0)), Arg::T(&r))?
        }
        Atan2 => {
            bin(Div, Arg::T(&bin(Mul, gt, a)?), Arg::T(&sum_sq(a, b)?))?.neg()?
        }
        Maximum => winner_share(g, a, b, Lt)?,
        Minimum => winner_share(g, a, b, Gt)?,
        Remainder | Fmod => {
            let q = no_grad(|| bin(Div, a, b))?;
            let q = q.rounding(if op_ == Remainder {
                Rounding::Floor
            } else {
                Rounding::Trunc
            })?;
            mul(g, &q)?.neg()?
        }
        _ => unreachable!("binary_name filters non-differentiable ops"),
    })
}

fn float_op_name(op_: FloatOp) -> &'static str {
    use FloatOp::*;
    match op_ {
        Exp => "ExpBackward0",
        Exp2 => "Exp2Backward0",
        Expm1 => "Expm1Backward0",
        Log => "LogBackward0",
        Log2 => "Log2Backward0",
        Log10 => "Log10Backward0",
        Log1p => "Log1pBackward0",
        Sqrt => "SqrtBackward0",
        Rsqrt => "RsqrtBackward0",
        Sin => "SinBackward0",
        Cos => "CosBackward0",
        Tan => "TanBackward0",
        Asin => "AsinBackward0",
        Acos => "AcosBackward0",
        Atan => "AtanBackward0",
        Sinh => "SinhBackward0",
        Cosh => "CoshBackward0",
        Tanh => "TanhBackward0",
        Asinh => "AsinhBackward0",
        Acosh => "AcoshBackward0",
        Atanh => "AtanhBackward0",
        Sigmoid => "SigmoidBackward0",
        Erf => "ErfBackward0",
        Erfc => "ErfcBackward0",
        Erfinv => "ErfinvBackward0",
        Reciprocal => "ReciprocalBackward0",
        Frac => "FracBackward0",
    }
}

/// Formulas that read the output rather than the input.
fn uses_output(op_: FloatOp) -> bool {
    use FloatOp::*;
    matches!(
        op_,
        Exp | Exp2 | Expm1 | Sqrt | Rsqrt | Tan | Tanh | Sigmoid | Erfinv | Reciprocal
    )
}

pub(crate) fn float_op(x: &Tensor, op_: FloatOp) -> Result<Tensor> {
    use FloatOp::*;
    let save = if uses_output(op_) {
        Save::Out(0)
    } else {
        Save::T(x.clone())
    };
    let save = if op_ == Frac { vec![] } else { vec![save] };
    op(
        float_op_name(op_),
        &[x],
        || x.float_op(op_),
        move || save,
        move |s, g, _| {
            let v = s.first();
            let v = || v.expect("saved");
            let sq = |t: &Tensor| mul(t, t);
            let r = match op_ {
                Exp => mul(g, v())?,
                Exp2 => scale(&mul(g, v())?, std::f64::consts::LN_2)?,
                Expm1 => mul(g, &super::add_s(v(), 1.0)?)?,
                Log => super::div(g, v())?,
                Log2 => super::div(g, &scale(v(), std::f64::consts::LN_2)?)?,
                Log10 => super::div(g, &scale(v(), std::f64::consts::LN_10)?)?,
                Log1p => super::div(g, &super::add_s(v(), 1.0)?)?,
                Sqrt => super::div(g, &scale(v(), 2.0)?)?,
                Rsqrt => scale(&mul(g, &mul(v(), &sq(v())?)?)?, -0.5)?,
                Sin => mul(g, &f(v(), Cos)?)?,
                Cos => mul(g, &f(v(), Sin)?)?.neg()?,
                Tan => mul(g, &super::add_s(&sq(v())?, 1.0)?)?,
                Asin => super::div(g, &f(&super::rsub_s(1.0, &sq(v())?)?, Sqrt)?)?,
                Acos => super::div(g, &f(&super::rsub_s(1.0, &sq(v())?)?, Sqrt)?)?.neg()?,
                Atan => super::div(g, &super::add_s(&sq(v())?, 1.0)?)?,
                Sinh => mul(g, &f(v(), Cosh)?)?,
                Cosh => mul(g, &f(v(), Sinh)?)?,
                Tanh => mul(g, &super::rsub_s(1.0, &sq(v())?)?)?,
                Asinh => super::div(g, &f(&super::add_s(&sq(v())?, 1.0)?, Sqrt)?)?,
                Acosh => super::div(g, &f(&super::add_s(&sq(v())?, -1.0)?, Sqrt)?)?,
                Atanh => super::div(g, &super::rsub_s(1.0, &sq(v())?)?)?,
                Sigmoid => mul(g, &mul(v(), &super::rsub_s(1.0, v())?)?)?,
                Erf | Erfc => {
                    let k =
                        2.0 / std::f64::consts::PI.sqrt() * if op_ == Erfc { -1.0 } else { 1.0 };
                    scale(&mul(g, &f(&sq(v())?.neg()?, Exp)?)?, k)?
                }
                Erfinv => scale(
                    &mul(g, &f(&sq(v())?, Exp)?)?,
                    std::f64::consts::PI.sqrt() / 2.0,
                )?,
                Reciprocal => mul(g, &sq(v())?)?.neg()?,
                Frac => g.clone(),
            };
            Ok(vec![Some(r)])
        },
    )
}

pub(crate) fn neg(x: &Tensor) -> Result<Tensor> {
    op(
        "NegBackward0",
        &[x],
        || x.neg(),
        Vec::new,
        |_, g, _| Ok(vec![Some(g.neg()?)]),
    )
}

pub(crate) fn abs(x: &Tensor) -> Result<Tensor> {
    op(
        "AbsBackward0",
        &[x],
        || x.abs(),
        || vec![Save::T(x.clone())],
        |s, g, _| Ok(vec![Some(mul(g, &no_grad(|| s[0].sign())?)?)]),
    )
}

pub(crate) fn relu(x: &Tensor) -> Result<Tensor> {
    op(
        "ReluBackward0",
        &[x],
        || x.relu(),
        || vec![Save::Out(0)],
        |s, g, _| Ok(vec![Some(g.threshold_backward(&s[0])?)]),
    )
}

/// threshold_backward is linear in the grad with a constant mask.
pub(crate) fn threshold_backward(g: &Tensor, out: &Tensor) -> Result<Tensor> {
    op(
        "ThresholdBackwardBackward0",
        &[g],
        || g.threshold_backward(out),
        || vec![Save::T(out.clone())],
        |s, gg, _| Ok(vec![Some(gg.threshold_backward(&s[0])?)]),
    )
}

/// Piecewise-constant ops (sign, floor, ceil, trunc, round): zero gradient.
pub(crate) fn zero_grad_op(
    name: &'static str,
    x: &Tensor,
    forward: impl FnOnce() -> Result<Tensor>,
) -> Result<Tensor> {
    op(name, &[x], forward, Vec::new, |_, g, _| {
        Ok(vec![Some(zeros_like(g)?)])
    })
}

pub(crate) fn nan_to_num(x: &Tensor, forward: impl FnOnce() -> Result<Tensor>) -> Result<Tensor> {
    op(
        "NanToNumBackward0",
        &[x],
        forward,
        || vec![Save::T(x.clone())],
        |s, g, _| Ok(vec![Some(mul(g, &mask_of(s[0].isfinite(), g)?)?)]),
    )
}

/// `clamp(x, min, max)`: the grad passes where `min <= x <= max`.
pub(crate) fn clamp(x: &Tensor, min: Option<Arg>, max: Option<Arg>) -> Result<Tensor> {
    let tensor_bound = |b: &Option<Arg>| matches!(b, Some(Arg::T(_)));
    let name = if tensor_bound(&min) || tensor_bound(&max) {
        "ClampBackward0"
    } else {
        "ClampBackward1"
    };
    let mut inputs = vec![x];
    let mut save = vec![Save::T(x.clone())];
    let mut bounds = [None, None];
    for (k, b) in [min, max].into_iter().enumerate() {
        bounds[k] = match b {
            None => None,
            Some(Arg::S(s)) => Some(V::S(s)),
            Some(Arg::T(t)) => {
                inputs.push(t);
                save.push(Save::T(t.clone()));
                Some(V::T(save.len() - 1))
            }
        };
    }
    let [lo, hi] = bounds;
    op(
        name,
        &inputs,
        || x.clamp(min, max),
        move || save,
        move |s, g, needs| {
            let xs = Arg::T(&s[0]);
            // the grad passes where every given bound holds (clamp has at least one)
            let mut keep: Option<Tensor> = None;
            for (b, op_) in [(lo, BinaryOp::Ge), (hi, BinaryOp::Le)] {
                if let Some(b) = b {
                    let m = mask_of(cmp(op_, xs, b.arg(s)), g)?;
                    keep = Some(match keep {
                        None => m,
                        Some(k) => mul(&k, &m)?,
                    });
                }
            }
            let keep = keep.ok_or_else(|| crate::Error::runtime("clamp: no bound recorded"))?;
            let mut out = vec![if needs[0] { Some(mul(g, &keep)?) } else { None }];
            for (b, op_) in [(lo, BinaryOp::Lt), (hi, BinaryOp::Gt)] {
                if let Some(V::T(i)) = b {
                    let k = out.len();
                    out.push(if needs[k] {
                        Some(mul(g, &mask_of(cmp(op_, xs, Arg::T(&s[i])), g)?)?)
                    } else {
                        None
                    });
                }
            }
            Ok(out)
        },
    )
}

/// `where(cond, a, b)`.
pub(crate) fn where_(cond: &Tensor, a: Arg, b: Arg) -> Result<Tensor> {
    let ia = matches!(a, Arg::T(_));
    let ib = matches!(b, Arg::T(_));
    let inputs = tensors_of(&[a, b]);
    let c = cond.clone();
    op(
        "WhereBackward0",
        &inputs,
        || crate::ops::binary::where_(cond, a, b),
        move || vec![Save::T(c)],
        move |s, g, needs| {
            let zero = Arg::S(Scalar::Int(0));
            let mut out = Vec::new();
            let mut k = 0;
            for (is_t, first) in [(ia, true), (ib, false)] {
                if is_t {
                    out.push(if needs[k] {
                        Some(if first {
                            crate::ops::binary::where_(&s[0], Arg::T(g), zero)?
                        } else {
                            crate::ops::binary::where_(&s[0], zero, Arg::T(g))?
                        })
                    } else {
                        None
                    });
                    k += 1;
                }
            }
            Ok(out)
        },
    )
}

/// `lerp(start, end, weight) = start + weight * (end - start)`.
pub(crate) fn lerp(start: &Tensor, end: &Tensor, weight: Arg) -> Result<Tensor> {
    let (name, wt) = match weight {
        Arg::S(_) => ("LerpBackward0", None),
        Arg::T(t) => ("LerpBackward1", Some(t)),
    };
    let mut inputs = vec![start, end];
    inputs.extend(wt);
    let mut save = vec![Save::T(start.clone()), Save::T(end.clone())];
    if let Some(w) = wt {
        save.push(Save::T(w.clone()));
    }
    let ws = if let Arg::S(s) = weight {
        Some(s)
    } else {
        None
    };
    op(
        name,
        &inputs.clone(),
        || crate::ops::binary::lerp(start, end, weight),
        move || save,
        move |s, g, needs| {
            let w = match ws {
                Some(sc) => Arg::S(sc),
                None => Arg::T(&s[2]),
            };
            let gw = bin(BinaryOp::Mul, Arg::T(g), w)?;
            let mut out = vec![
                if needs[0] {
                    Some(super::sub(g, &gw)?)
                } else {
                    None
                },
                if needs[1] { Some(gw) } else { None },
            ];
            if ws.is_none() {
                out.push(if needs[2] {
                    Some(mul(g, &super::sub(&s[1], &s[0])?)?)
                } else {
                    None
                });
            }
            Ok(out)
        },
    )
}

/// Casts and copies pass the grad through (the engine casts it back).
pub(crate) fn passthrough(
    name: &'static str,
    x: &Tensor,
    forward: impl FnOnce() -> Result<Tensor>,
) -> Result<Tensor> {
    op(name, &[x], forward, Vec::new, |_, g, _| {
        Ok(vec![Some(g.clone())])
    })
}
