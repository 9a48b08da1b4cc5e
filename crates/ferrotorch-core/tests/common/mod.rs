//! Helpers shared by the autograd test files.
#![allow(dead_code)] // each test file uses its own subset

use ferrotorch_core::autograd::{gradcheck, gradgradcheck, CheckOptions};
use ferrotorch_core::{Result, Tensor};

pub type F<'a> = dyn Fn(&[Tensor]) -> Result<Vec<Tensor>> + 'a;

/// A float64 leaf that requires grad.
pub fn leaf(v: Vec<f64>, shape: &[usize]) -> Tensor {
    let t = Tensor::from_vec(v, shape).unwrap();
    t.set_requires_grad(true).unwrap();
    t
}

/// Distinct, well-separated values in (-1, 1), no zeros (so sort/topk orders
/// and max ties survive the finite-difference step).
pub fn randn(shape: &[usize]) -> Tensor {
    randn_seeded(shape, 0)
}

pub fn randn_seeded(shape: &[usize], seed: usize) -> Tensor {
    let n: usize = shape.iter().product();
    let v: Vec<f64> = (0..n)
        .map(|i| (((i + seed * 31) * 7919 % 113) as f64 / 113.0) * 2.0 - 1.0 + 0.05)
        .collect();
    leaf(v, shape)
}

pub fn check(f: &F, inputs: &[Tensor]) {
    gradcheck(f, inputs, CheckOptions::default()).unwrap();
}

/// gradcheck and gradgradcheck.
pub fn check2(f: &F, inputs: &[Tensor]) {
    check(f, inputs);
    gradgradcheck(f, inputs, None, CheckOptions::default()).unwrap();
}

pub fn node_name(t: &Tensor) -> String {
    t.grad_fn().expect("has history").name().to_string()
}
