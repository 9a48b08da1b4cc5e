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
    "random",
);
