//! ferrotorch-core: tensors with strided views, PyTorch dtype semantics,
//! CPU kernels and a CUDA backend. Pure Rust (no Python); this is the crate Rust services embed.

pub mod autograd;
pub mod cpu;
pub mod cuda;
pub mod device;
pub mod dtype;
pub mod error;
pub mod iter;
pub mod layout;
pub mod ops;
pub mod optim;
pub mod random;
pub mod storage;
pub mod tensor;

pub use device::Device;
pub use dtype::{DType, Element, Scalar};
pub use error::{Error, ErrorKind, Result};
pub use layout::Layout;
pub use ops::binary::{binary, Arg, BinaryOp};
pub use storage::Storage;
pub use tensor::Tensor;
