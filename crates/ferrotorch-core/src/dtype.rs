//! Element types, the `Element` trait that kernels are generic over, and
//! PyTorch's type-promotion rules.

use half::{bf16, f16};
use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    Bool,
    U8,
    I8,
    I16,
    I32,
    I64,
    F16,
    BF16,
    F32,
    F64,
}

/// Promotion category: bool < integral < floating (PyTorch's ordering).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Bool,
    Int,
    Float,
}

impl DType {
    pub const ALL: [DType; 10] = [
        DType::F32,
        DType::F64,
        DType::F16,
        DType::BF16,
        DType::I64,
        DType::I32,
        DType::I16,
        DType::I8,
        DType::U8,
        DType::Bool,
    ];

    pub fn size(self) -> usize {
        match self {
            DType::Bool | DType::U8 | DType::I8 => 1,
            DType::I16 | DType::F16 | DType::BF16 => 2,
            DType::I32 | DType::F32 => 4,
            DType::I64 | DType::F64 => 8,
        }
    }
    pub fn category(self) -> Category {
        match self {
            DType::Bool => Category::Bool,
            DType::U8 | DType::I8 | DType::I16 | DType::I32 | DType::I64 => Category::Int,
            _ => Category::Float,
        }
    }
    pub fn is_floating_point(self) -> bool {
        self.category() == Category::Float
    }
    pub fn is_signed(self) -> bool {
        !matches!(self, DType::Bool | DType::U8)
    }
    /// The C++ scalar-type name PyTorch uses in error messages ("Float", "Long", ...).
    pub fn legacy_name(self) -> &'static str {
        match self {
            DType::Bool => "Bool",
            DType::U8 => "Byte",
            DType::I8 => "Char",
            DType::I16 => "Short",
            DType::I32 => "Int",
            DType::I64 => "Long",
            DType::F16 => "Half",
            DType::BF16 => "BFloat16",
            DType::F32 => "Float",
            DType::F64 => "Double",
        }
    }
    /// `torch.can_cast`: no cast from a higher category to a lower one.
    pub fn can_cast_to(self, to: DType) -> bool {
        self.category() <= to.category()
    }
    /// PyTorch's name without the module prefix ("float32", "int64", ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::Bool => "bool",
            DType::U8 => "uint8",
            DType::I8 => "int8",
            DType::I16 => "int16",
            DType::I32 => "int32",
            DType::I64 => "int64",
            DType::F16 => "float16",
            DType::BF16 => "bfloat16",
            DType::F32 => "float32",
            DType::F64 => "float64",
        }
    }
}

/// `torch.promote_types`: the smallest dtype both operands convert to safely.
pub fn promote_types(a: DType, b: DType) -> DType {
    use DType::*;
    if a == b {
        return a;
    }
    let (ca, cb) = (a.category(), b.category());
    if ca != cb {
        return if ca > cb { a } else { b };
    }
    match (a, b) {
        // f16 and bf16 have no common 16-bit supertype.
        (F16, BF16) | (BF16, F16) => F32,
        (U8, I8) | (I8, U8) => I16,
        (U8, x) | (x, U8) => x, // x is a wider signed int here
        _ => {
            if a.size() >= b.size() {
                a
            } else {
                b
            }
        }
    }
}

static DEFAULT_FLOAT: AtomicU8 = AtomicU8::new(0); // 0: f32, 1: f64, 2: f16, 3: bf16

pub fn default_float_dtype() -> DType {
    match DEFAULT_FLOAT.load(Ordering::Relaxed) {
        1 => DType::F64,
        2 => DType::F16,
        3 => DType::BF16,
        _ => DType::F32,
    }
}

pub fn set_default_float_dtype(d: DType) -> crate::Result<()> {
    let code = match d {
        DType::F32 => 0,
        DType::F64 => 1,
        DType::F16 => 2,
        DType::BF16 => 3,
        _ => {
            return Err(crate::Error::type_error(
                "only floating-point types are supported as the default type",
            ))
        }
    };
    DEFAULT_FLOAT.store(code, Ordering::Relaxed);
    Ok(())
}

/// A Python number (or 0-d value) used as an operand.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Scalar {
    pub fn category(self) -> Category {
        match self {
            Scalar::Bool(_) => Category::Bool,
            Scalar::Int(_) => Category::Int,
            Scalar::Float(_) => Category::Float,
        }
    }
    /// The dtype a lone scalar of this kind becomes (`torch.tensor(3.0)`).
    pub fn default_dtype(self) -> DType {
        match self {
            Scalar::Bool(_) => DType::Bool,
            Scalar::Int(_) => DType::I64,
            Scalar::Float(_) => default_float_dtype(),
        }
    }
    pub fn to_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => b as i64 as f64,
            Scalar::Int(i) => i as f64,
            Scalar::Float(f) => f,
        }
    }
    pub fn to_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => b as i64,
            Scalar::Int(i) => i,
            Scalar::Float(f) => f as i64,
        }
    }
    pub fn to_bool(self) -> bool {
        match self {
            Scalar::Bool(b) => b,
            Scalar::Int(i) => i != 0,
            Scalar::Float(f) => f != 0.0,
        }
    }
}

/// Operand of a promotion: PyTorch ranks dimensioned tensors above 0-d tensors
/// above wrapped Python numbers; a lower rank only matters when its category is higher.
#[derive(Clone, Copy, Debug)]
pub enum Operand {
    Tensor { dtype: DType, zero_dim: bool },
    Scalar(Category),
}

/// `torch.result_type` over any number of operands.
pub fn result_type(ops: &[Operand]) -> DType {
    let mut dim: Option<DType> = None;
    let mut zero: Option<DType> = None;
    let mut wrapped: Option<Category> = None;
    for op in ops {
        match *op {
            Operand::Tensor {
                dtype,
                zero_dim: false,
            } => dim = Some(dim.map_or(dtype, |d| promote_types(d, dtype))),
            Operand::Tensor {
                dtype,
                zero_dim: true,
            } => zero = Some(zero.map_or(dtype, |d| promote_types(d, dtype))),
            Operand::Scalar(c) => wrapped = Some(wrapped.map_or(c, |w| w.max(c))),
        }
    }
    let mut out = dim;
    if let Some(z) = zero {
        out = Some(match out {
            None => z,
            Some(d) if z.category() > d.category() => promote_types(d, z),
            Some(d) => d,
        });
    }
    if let Some(c) = wrapped {
        let scalar_dtype = match c {
            Category::Bool => DType::Bool,
            Category::Int => DType::I64,
            Category::Float => default_float_dtype(),
        };
        out = Some(match out {
            None => scalar_dtype,
            Some(d) if c > d.category() => scalar_dtype,
            Some(d) => d,
        });
    }
    out.unwrap_or_else(default_float_dtype)
}

/// A storable element type. Conversions follow C/PyTorch cast semantics
/// (float -> int truncates, anything -> bool is `!= 0`).
pub trait Element: Copy + Send + Sync + PartialOrd + Default + std::fmt::Debug + 'static {
    const DTYPE: DType;
    fn to_f64(self) -> f64;
    fn from_f64(v: f64) -> Self;
    fn to_i64(self) -> i64;
    fn from_i64(v: i64) -> Self;
    fn from_bool(v: bool) -> Self;
    fn is_zero(self) -> bool;
    /// Cast from another element type.
    #[inline(always)]
    fn cast_from<S: Element>(v: S) -> Self {
        match (S::DTYPE.category(), Self::DTYPE.category()) {
            (_, Category::Bool) => Self::from_bool(!v.is_zero()),
            (Category::Float, Category::Int) => {
                let f = v.to_f64();
                // Out-of-range and NaN are undefined in C; keep them defined here.
                Self::from_i64(if f.is_nan() { 0 } else { f as i64 })
            }
            (Category::Float, Category::Float) => Self::from_f64(v.to_f64()),
            (_, Category::Float) => Self::from_f64(v.to_f64()),
            _ => Self::from_i64(v.to_i64()),
        }
    }
    fn from_scalar(s: Scalar) -> Self {
        match s {
            Scalar::Bool(b) => Self::from_bool(b),
            Scalar::Int(i) => Self::cast_from(i),
            Scalar::Float(f) => Self::cast_from(f),
        }
    }
    fn to_scalar(self) -> Scalar {
        match Self::DTYPE.category() {
            Category::Bool => Scalar::Bool(!self.is_zero()),
            Category::Int => Scalar::Int(self.to_i64()),
            Category::Float => Scalar::Float(self.to_f64()),
        }
    }
}

macro_rules! int_element {
    ($t:ty, $d:ident) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                v as i64 as $t
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                self as i64
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                v as $t
            }
            #[inline(always)]
            fn from_bool(v: bool) -> Self {
                v as $t
            }
            #[inline(always)]
            fn is_zero(self) -> bool {
                self == 0
            }
        }
    };
}
int_element!(u8, U8);
int_element!(i8, I8);
int_element!(i16, I16);
int_element!(i32, I32);
int_element!(i64, I64);

macro_rules! float_element {
    ($t:ty, $d:ident, $to:expr, $from:expr) => {
        impl Element for $t {
            const DTYPE: DType = DType::$d;
            #[inline(always)]
            fn to_f64(self) -> f64 {
                $to(self)
            }
            #[inline(always)]
            fn from_f64(v: f64) -> Self {
                $from(v)
            }
            #[inline(always)]
            fn to_i64(self) -> i64 {
                $to(self) as i64
            }
            #[inline(always)]
            fn from_i64(v: i64) -> Self {
                $from(v as f64)
            }
            #[inline(always)]
            fn from_bool(v: bool) -> Self {
                $from(v as i64 as f64)
            }
            #[inline(always)]
            fn is_zero(self) -> bool {
                $to(self) == 0.0
            }
        }
    };
}
float_element!(f32, F32, |x: f32| x as f64, |v: f64| v as f32);
float_element!(f64, F64, |x: f64| x, |v: f64| v);
float_element!(f16, F16, |x: f16| x.to_f64(), f16::from_f64);
float_element!(bf16, BF16, |x: bf16| x.to_f64(), bf16::from_f64);

impl Element for bool {
    const DTYPE: DType = DType::Bool;
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as i64 as f64
    }
    #[inline(always)]
    fn from_f64(v: f64) -> Self {
        v != 0.0
    }
    #[inline(always)]
    fn to_i64(self) -> i64 {
        self as i64
    }
    #[inline(always)]
    fn from_i64(v: i64) -> Self {
        v != 0
    }
    #[inline(always)]
    fn from_bool(v: bool) -> Self {
        v
    }
    #[inline(always)]
    fn is_zero(self) -> bool {
        !self
    }
}

/// Runs `$body` with `$T` bound to the Rust type of the dtype `$dt`.
#[macro_export]
macro_rules! dispatch {
    ($dt:expr, $T:ident => $body:expr) => {{
        use $crate::DType as __D;
        match $dt {
            __D::F32 => {
                type $T = f32;
                $body
            }
            __D::F64 => {
                type $T = f64;
                $body
            }
            __D::F16 => {
                type $T = half::f16;
                $body
            }
            __D::BF16 => {
                type $T = half::bf16;
                $body
            }
            __D::I64 => {
                type $T = i64;
                $body
            }
            __D::I32 => {
                type $T = i32;
                $body
            }
            __D::I16 => {
                type $T = i16;
                $body
            }
            __D::I8 => {
                type $T = i8;
                $body
            }
            __D::U8 => {
                type $T = u8;
                $body
            }
            __D::Bool => {
                type $T = bool;
                $body
            }
        }
    }};
}

/// Like `dispatch!` but only for dtypes with native Rust arithmetic
/// (f16/bf16 are computed by the callers in f32).
#[macro_export]
macro_rules! dispatch_native {
    ($dt:expr, $T:ident => $body:expr, $other:expr) => {{
        use $crate::DType as __D;
        match $dt {
            __D::F32 => {
                type $T = f32;
                $body
            }
            __D::F64 => {
                type $T = f64;
                $body
            }
            __D::I64 => {
                type $T = i64;
                $body
            }
            __D::I32 => {
                type $T = i32;
                $body
            }
            __D::I16 => {
                type $T = i16;
                $body
            }
            __D::I8 => {
                type $T = i8;
                $body
            }
            __D::U8 => {
                type $T = u8;
                $body
            }
            _ => $other,
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use DType::*;

    #[test]
    fn promotion_table() {
        assert_eq!(promote_types(U8, I8), I16);
        assert_eq!(promote_types(F16, BF16), F32);
        assert_eq!(promote_types(I64, F16), F16);
        assert_eq!(promote_types(Bool, I32), I32);
        assert_eq!(promote_types(I32, I64), I64);
        assert_eq!(promote_types(U8, I32), I32);
    }

    #[test]
    fn scalars_do_not_upcast() {
        let t = |d| Operand::Tensor {
            dtype: d,
            zero_dim: false,
        };
        let z = |d| Operand::Tensor {
            dtype: d,
            zero_dim: true,
        };
        assert_eq!(result_type(&[t(I32), Operand::Scalar(Category::Int)]), I32);
        assert_eq!(
            result_type(&[t(I32), Operand::Scalar(Category::Float)]),
            F32
        );
        assert_eq!(
            result_type(&[t(F16), Operand::Scalar(Category::Float)]),
            F16
        );
        assert_eq!(result_type(&[t(I32), z(I64)]), I32);
        assert_eq!(result_type(&[t(I32), z(F64)]), F64);
        assert_eq!(result_type(&[t(U8), z(I8)]), U8);
        assert_eq!(result_type(&[z(I32), z(F16)]), F16);
    }
}
