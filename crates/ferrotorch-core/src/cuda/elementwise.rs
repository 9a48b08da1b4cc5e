//! Launchers for the elementwise kernels (`kernels/elementwise.cuh`):
//! unary, binary, where, conversion / strided copy and fill, over strided,
//! broadcast operands of any dtype. Shapes and strides travel by value in a
//! `Geo` parameter block; op codes follow the kernels' enums.

use super::device::{arg, gpu, Gpu};
use super::kernels::{dtype_index, per_dtype};
use crate::layout::contiguous_strides;
use crate::ops::binary::BinaryOp;
use crate::ops::unary::FloatOp;
use crate::{DType, Device, Element, Result, Scalar, Tensor};

const MAX_DIMS: usize = 8;
const MAX_OPERANDS: usize = 4;
const BLOCK: u32 = 256;
/// Elements per thread per grid-stride step on dense operands (kernels' UNROLL).
const UNROLL: usize = 4;

/// The kernels' `struct Geo`: collapsed shape and per-operand element strides
/// (operand 0 is the output).
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct Geo {
    n: i64,
    ndim: i32,
    contiguous: i32,
    shape: [i64; MAX_DIMS],
    st: [[i64; MAX_DIMS]; MAX_OPERANDS],
}

impl Geo {
    /// `strides[k]` are operand k's strides broadcast to `shape`.
    pub(crate) fn new<const K: usize>(shape: &[usize], strides: [&[isize]; K]) -> Result<Geo> {
        let n: usize = shape.iter().product();
        let (cs, st) = crate::iter::coalesce(shape, strides);
        if cs.len() > MAX_DIMS {
            return Err(crate::Error::not_implemented(format!(
                "CUDA elementwise kernels support at most {MAX_DIMS} dimensions after merging contiguous ones; got {}",
                cs.len()
            )));
        }
        let mut g = Geo {
            n: n as i64,
            ndim: cs.len() as i32,
            contiguous: (cs.len() == 1 && st.iter().all(|s| s[0] == 1)) as i32,
            shape: [0; MAX_DIMS],
            st: [[0; MAX_DIMS]; MAX_OPERANDS],
        };
        for (d, &s) in cs.iter().enumerate() {
            g.shape[d] = s as i64;
            for k in 0..K {
                g.st[k][d] = st[k][d] as i64;
            }
        }
        Ok(g)
    }
}

fn grid(n: usize) -> u32 {
    n.div_ceil(BLOCK as usize * UNROLL).clamp(1, i32::MAX as usize) as u32
}

/// Module and kernel-name index of a storage dtype.
fn module_of(dt: DType) -> (&'static str, usize) {
    const MODULES: [&str; 9] = per_dtype!("elementwise");
    let i = dtype_index(dt);
    (MODULES[i], i)
}

/// Kernel families of the elementwise modules, named `<family>_<dtype>`.
#[derive(Clone, Copy)]
enum Family {
    Binary,
    Unary,
    Where,
    Cast,
    Fill,
}

fn kernel(g: &Gpu, family: Family, dt: DType) -> Result<cudarc::driver::sys::CUfunction> {
    const BINARY: [&str; 9] = per_dtype!("binary");
    const UNARY: [&str; 9] = per_dtype!("unary");
    const WHERE: [&str; 9] = per_dtype!("where");
    const CAST: [&str; 9] = per_dtype!("cast");
    const FILL: [&str; 9] = per_dtype!("fill");
    let (module, i) = module_of(dt);
    let name = match family {
        Family::Binary => BINARY[i],
        Family::Unary => UNARY[i],
        Family::Where => WHERE[i],
        Family::Cast => CAST[i],
        Family::Fill => FILL[i],
    };
    g.function(module, name)
}

/// Device address of element 0 of `t`'s view.
pub(crate) fn dptr(t: &Tensor) -> Result<u64> {
    Ok(t.storage().cuda_ptr()? + (t.offset() * t.dtype().size()) as u64)
}

fn ordinal(d: Device) -> usize {
    d.index().unwrap_or(0)
}

/// Uninitialised contiguous tensor on a CUDA device.
pub fn empty(shape: &[usize], dtype: DType, device: Device) -> Result<Tensor> {
    let n: usize = shape.iter().product();
    let st = crate::Storage::cuda(ordinal(device), n * dtype.size())?;
    crate::Tensor::from_storage(st, crate::Layout::contiguous(shape), dtype)
}

/// Writes `value` into every element of the (possibly strided) CUDA tensor `t`.
pub fn fill(t: &Tensor, value: Scalar) -> Result<()> {
    if t.numel() == 0 {
        return Ok(());
    }
    let g = gpu(ordinal(t.device()))?;
    let geo = Geo::new(t.shape(), [t.strides()])?;
    let bits = storage_bits(value, t.dtype());
    let out = dptr(t)?;
    let f = kernel(g, Family::Fill, t.dtype())?;
    g.launch(f, grid(t.numel()), BLOCK, &mut [arg(&geo), arg(&out), arg(&bits)])
}

/// A new contiguous CUDA tensor full of `value`.
pub fn full(shape: &[usize], value: Scalar, dtype: DType, device: Device) -> Result<Tensor> {
    let t = empty(shape, dtype, device)?;
    fill(&t, value)?;
    Ok(t)
}

/// `dst` (any strides, any dtype) = `src` broadcast to `dst`'s shape and
/// converted; both on the same CUDA device, not partially overlapping.
pub fn copy_into(dst: &Tensor, src: &Tensor) -> Result<()> {
    if dst.numel() == 0 {
        return Ok(());
    }
    let g = gpu(ordinal(dst.device()))?;
    let ss = crate::cpu::map::broadcast_strides(src, dst.shape());
    let geo = Geo::new(dst.shape(), [dst.strides(), &ss])?;
    let code = dst.dtype() as i32;
    let (o, s) = (dptr(dst)?, dptr(src)?);
    let f = kernel(g, Family::Cast, src.dtype())?;
    g.launch(f, grid(dst.numel()), BLOCK, &mut [arg(&geo), arg(&code), arg(&o), arg(&s)])
}

/// A contiguous copy of `src` converted to `dtype`.
pub fn cast(src: &Tensor, dtype: DType) -> Result<Tensor> {
    let out = empty(src.shape(), dtype, src.device())?;
    copy_into(&out, src)?;
    Ok(out)
}

/// An elementwise operand: a CUDA tensor, or a value passed by value (a
/// Python number or a 0-d CPU tensor, which PyTorch lets join CUDA ops).
#[derive(Clone)]
pub enum Operand {
    T(Tensor),
    S(Scalar),
}

impl Operand {
    /// The operand converted to `dt`, as a CUDA tensor or a scalar.
    pub fn of(arg: crate::Arg, dt: DType) -> Result<Operand> {
        Ok(match arg {
            crate::Arg::S(s) => Operand::S(Tensor::scalar(s, dt).item()?),
            crate::Arg::T(t) if t.device() == Device::Cpu => {
                Operand::S(t.to_dtype(dt)?.item()?)
            }
            crate::Arg::T(t) => Operand::T(t.to_dtype(dt)?),
        })
    }
}

/// The bits of `s` as a `dt` element (the low bytes of a u64).
pub(crate) fn storage_bits(s: Scalar, dt: DType) -> u64 {
    crate::dispatch!(dt, T => {
        let v = T::from_scalar(s);
        let mut b = [0u8; 8];
        // SAFETY: T is a plain value of at most 8 bytes.
        unsafe { std::ptr::copy_nonoverlapping(&v as *const T as *const u8, b.as_mut_ptr(), std::mem::size_of::<T>()) };
        u64::from_le_bytes(b)
    })
}

/// The bits of `s` in `dt`'s compute type (float for the half types).
fn compute_bits(s: Scalar, dt: DType) -> u64 {
    match dt {
        DType::F16 | DType::BF16 => {
            let v = crate::dispatch!(dt, T => T::from_scalar(s).to_f64()) as f32;
            v.to_bits() as u64
        }
        _ => storage_bits(s, dt),
    }
}

/// Pointer and scalar-bits arguments of two operands, plus the scalar flags.
fn operand_args(ops: [&Operand; 2], dt: DType, compute: bool) -> Result<([u64; 2], [u64; 2], i32)> {
    let mut ptrs = [0u64; 2];
    let mut bits = [0u64; 2];
    let mut flags = 0;
    for (k, op) in ops.iter().enumerate() {
        match op {
            Operand::T(t) => ptrs[k] = dptr(t)?,
            Operand::S(s) => {
                bits[k] = if compute { compute_bits(*s, dt) } else { storage_bits(*s, dt) };
                flags |= 1 << k;
            }
        }
    }
    Ok((ptrs, bits, flags))
}

/// Broadcast strides of a tensor operand. A scalar reads no memory: it gets
/// the output's strides, so it never forces the strided kernel path.
fn operand_strides(op: &Operand, shape: &[usize]) -> Vec<isize> {
    match op {
        Operand::T(t) => crate::cpu::map::broadcast_strides(t, shape),
        Operand::S(_) => contiguous_strides(shape),
    }
}

/// `a op b` with both operands already in the compute dtype `dt`; bool
/// results for comparisons.
pub fn binary(op: BinaryOp, a: &Operand, b: &Operand, dt: DType, shape: &[usize], device: Device) -> Result<Tensor> {
    use BinaryOp::*;
    if dt == DType::Bool {
        let mapped = match op {
            Add | Maximum | LogicalOr | BitOr => BitOr,
            Mul | Minimum | LogicalAnd | BitAnd => BitAnd,
            LogicalXor | BitXor => BitXor,
            Eq | Ne | Lt | Le | Gt | Ge => op,
            Sub => crate::bail!(
                runtime,
                "Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or `logical_xor()` operator instead."
            ),
            _ => {
                // arithmetic on bools computes in int64 (e.g. True ** True)
                let widen = |o: &Operand| -> Result<Operand> {
                    Ok(match o {
                        Operand::T(t) => Operand::T(t.to_dtype(DType::I64)?),
                        Operand::S(s) => Operand::S(*s),
                    })
                };
                return binary(op, &widen(a)?, &widen(b)?, DType::I64, shape, device)?.to_dtype(DType::Bool);
            }
        };
        return launch_binary(mapped, a, b, dt, shape, device);
    }
    launch_binary(op, a, b, dt, shape, device)
}

fn launch_binary(op: BinaryOp, a: &Operand, b: &Operand, dt: DType, shape: &[usize], device: Device) -> Result<Tensor> {
    let out_dt = if matches!(op, BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge) {
        DType::Bool
    } else {
        dt
    };
    let out = empty(shape, out_dt, device)?;
    let n = out.numel();
    if n == 0 {
        return Ok(out);
    }
    let g = gpu(ordinal(device))?;
    let (sa, sb) = (operand_strides(a, shape), operand_strides(b, shape));
    let geo = Geo::new(shape, [&contiguous_strides(shape), &sa, &sb])?;
    let ([pa, pb], [ba, bb], flags) = operand_args([a, b], dt, true)?;
    let code = op as i32;
    let po = dptr(&out)?;
    let f = kernel(g, Family::Binary, dt)?;
    g.launch(
        f,
        grid(n),
        BLOCK,
        &mut [arg(&geo), arg(&code), arg(&po), arg(&pa), arg(&pb), arg(&ba), arg(&bb), arg(&flags)],
    )?;
    Ok(out)
}

/// Unary op codes of the kernels beyond the `FloatOp`s (which keep their order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Float(FloatOp),
    Neg,
    Abs,
    Sign,
    Relu,
    Floor,
    Ceil,
    Round,
    Trunc,
    IsNan,
    IsInf,
    IsFinite,
    LogicalNot,
    BitNot,
}

impl UnaryOp {
    fn code(self) -> i32 {
        use UnaryOp::*;
        match self {
            Float(f) => f as i32,
            Neg => 100,
            Abs => 101,
            Sign => 102,
            Relu => 103,
            Floor => 104,
            Ceil => 105,
            Round => 106,
            Trunc => 107,
            IsNan => 108,
            IsInf => 109,
            IsFinite => 110,
            LogicalNot => 111,
            BitNot => 112,
        }
    }
    fn bool_result(self) -> bool {
        matches!(self, UnaryOp::IsNan | UnaryOp::IsInf | UnaryOp::IsFinite | UnaryOp::LogicalNot)
    }
}

/// `op(a)` in `a`'s dtype (bool for the predicates).
pub fn unary(op: UnaryOp, a: &Tensor) -> Result<Tensor> {
    let out = empty(a.shape(), if op.bool_result() { DType::Bool } else { a.dtype() }, a.device())?;
    let n = out.numel();
    if n == 0 {
        return Ok(out);
    }
    let g = gpu(ordinal(a.device()))?;
    let geo = Geo::new(a.shape(), [out.strides(), a.strides()])?;
    let code = op.code();
    let (po, pa) = (dptr(&out)?, dptr(a)?);
    let f = kernel(g, Family::Unary, a.dtype())?;
    g.launch(f, grid(n), BLOCK, &mut [arg(&geo), arg(&code), arg(&po), arg(&pa)])?;
    Ok(out)
}

/// `where(cond, a, b)` with `a`, `b` in dtype `dt`.
pub fn where_(cond: &Tensor, a: &Operand, b: &Operand, dt: DType, shape: &[usize]) -> Result<Tensor> {
    let device = cond.device();
    let out = empty(shape, dt, device)?;
    let n = out.numel();
    if n == 0 {
        return Ok(out);
    }
    let g = gpu(ordinal(device))?;
    let sc = crate::cpu::map::broadcast_strides(cond, shape);
    let (sa, sb) = (operand_strides(a, shape), operand_strides(b, shape));
    let geo = Geo::new(shape, [&contiguous_strides(shape), &sc, &sa, &sb])?;
    let ([pa, pb], [ba, bb], flags) = operand_args([a, b], dt, false)?;
    let (po, pc) = (dptr(&out)?, dptr(cond)?);
    let f = kernel(g, Family::Where, dt)?;
    g.launch(
        f,
        grid(n),
        BLOCK,
        &mut [arg(&geo), arg(&po), arg(&pc), arg(&pa), arg(&pb), arg(&ba), arg(&bb), arg(&flags)],
    )?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geo_matches_the_kernels_layout() {
        // struct Geo { i64 n; int ndim; int contiguous; i64 shape[8]; i64 st[4][8]; }
        assert_eq!(std::mem::size_of::<Geo>(), 8 + 4 + 4 + 8 * 8 + 4 * 8 * 8);
        assert_eq!(std::mem::align_of::<Geo>(), 8);
    }

    #[test]
    fn geo_collapses_dense_operands() {
        let g = Geo::new(&[4, 5, 6], [&[30, 6, 1], &[30, 6, 1]]).unwrap();
        assert_eq!((g.ndim, g.contiguous, g.n), (1, 1, 120));
        let g = Geo::new(&[4, 5], [&[5, 1], &[1, 4]]).unwrap();
        assert_eq!((g.ndim, g.contiguous), (2, 0));
        assert_eq!(g.st[1][..2], [1, 4]);
    }

    #[test]
    fn scalar_bits() {
        assert_eq!(storage_bits(Scalar::Float(1.5), DType::F32), 1.5f32.to_bits() as u64);
        assert_eq!(storage_bits(Scalar::Int(-1), DType::I8), 0xff);
        assert_eq!(storage_bits(Scalar::Float(1.0), DType::F16), 0x3c00);
        assert_eq!(compute_bits(Scalar::Float(1.0), DType::BF16), 1.0f32.to_bits() as u64);
        assert_eq!(storage_bits(Scalar::Bool(true), DType::Bool), 1);
    }

    #[test]
    fn binary_codes_match_the_kernels() {
        // enum BinOp in kernels/elementwise.cuh
        assert_eq!(BinaryOp::Add as i32, 0);
        assert_eq!(BinaryOp::Eq as i32, 12);
        assert_eq!(BinaryOp::Ge as i32, 17);
        assert_eq!(BinaryOp::Shr as i32, 25);
        assert_eq!(UnaryOp::Float(FloatOp::Frac).code(), 26);
    }
}
