//! The PTX compiled from `kernels/*.cu` (by `scripts/build_kernels.py`,
//! committed), embedded so the binary needs no compiler at run time.

macro_rules! modules {
    ($($name:literal),* $(,)?) => {
        /// PTX text of kernel module `name` (the `.cu` file's stem).
        pub(crate) fn ptx(name: &str) -> Option<&'static str> {
            match name {
                $($name => Some(include_str!(concat!("../../../../kernels/ptx/", $name, ".ptx"))),)*
                _ => None,
            }
        }
    };
}

modules!(
    "elementwise_u8",
    "elementwise_i8",
    "elementwise_i16",
    "elementwise_i32",
    "elementwise_i64",
    "elementwise_f16",
    "elementwise_bf16",
    "elementwise_f32",
    "elementwise_f64",
    "compact",
    "conv",
    "index",
    "optim",
    "pool",
    "random",
    "reduce",
    "softmax",
    "sort",
);

/// `<prefix>_<dtype>` for the nine storage dtypes, indexed by `dtype_index`
/// (the kernels' instantiation suffixes).
macro_rules! per_dtype {
    ($f:literal) => {
        [
            concat!($f, "_u8"),
            concat!($f, "_i8"),
            concat!($f, "_i16"),
            concat!($f, "_i32"),
            concat!($f, "_i64"),
            concat!($f, "_f16"),
            concat!($f, "_bf16"),
            concat!($f, "_f32"),
            concat!($f, "_f64"),
        ]
    };
}
pub(crate) use per_dtype;

/// Position of a storage dtype in `per_dtype!` (bool runs as u8).
pub(crate) fn dtype_index(dt: crate::DType) -> usize {
    use crate::DType::*;
    match dt {
        Bool | U8 => 0,
        I8 => 1,
        I16 => 2,
        I32 => 3,
        I64 => 4,
        F16 => 5,
        BF16 => 6,
        F32 => 7,
        F64 => 8,
    }
}
