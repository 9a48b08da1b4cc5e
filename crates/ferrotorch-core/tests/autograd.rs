//! Engine-level autograd checks in pure Rust (the Python suite covers every op).

mod common;

use common::{leaf, randn};
use ferrotorch_core::autograd;
use ferrotorch_core::{Arg, BinaryOp, DType, Scalar, Tensor};

#[test]
fn square_and_product_rule() {
    let x = leaf(vec![2.0], &[]);
    let y = ferrotorch_core::binary(BinaryOp::Pow, Arg::T(&x), Arg::S(Scalar::Int(2))).unwrap();
    assert_eq!(y.grad_fn().unwrap().name(), "PowBackward0");
    autograd::backward(&[y], &[None], None, false, None).unwrap();
    assert_eq!(x.grad().unwrap().to_vec::<f64>().unwrap(), vec![4.0]);

    let a = leaf(vec![3.0], &[]);
    let b = leaf(vec![4.0], &[]);
    let y = a.mul(&b).unwrap();
    autograd::backward(&[y], &[None], None, false, None).unwrap();
    assert_eq!(a.grad().unwrap().to_vec::<f64>().unwrap(), vec![4.0]);
    assert_eq!(b.grad().unwrap().to_vec::<f64>().unwrap(), vec![3.0]);
}

#[test]
fn broadcast_grads_are_reduced() {
    let a = leaf(vec![1.0, 2.0, 3.0], &[3]);
    let b = leaf(vec![1.0, 2.0], &[2, 1]);
    let y = a.mul(&b).unwrap().sum(None, false, None).unwrap();
    autograd::backward(&[y], &[None], None, false, None).unwrap();
    assert_eq!(
        a.grad().unwrap().to_vec::<f64>().unwrap(),
        vec![3.0, 3.0, 3.0]
    );
    assert_eq!(b.grad().unwrap().to_vec::<f64>().unwrap(), vec![6.0, 6.0]);
}

#[test]
fn second_backward_without_retain_graph_fails() {
    let x = leaf(vec![2.0], &[]);
    let y = x.mul(&x).unwrap();
    autograd::backward(&[y.clone()], &[None], None, false, None).unwrap();
    let e = autograd::backward(&[y], &[None], None, false, None).unwrap_err();
    assert!(
        e.msg
            .starts_with("Trying to backward through the graph a second time"),
        "{}",
        e.msg
    );
}

#[test]
fn higher_order_grad() {
    // d2/dx2 x^3 = 6x
    let x = leaf(vec![2.0], &[]);
    let y = x.mul(&x).unwrap().mul(&x).unwrap();
    let g = autograd::grad(&[y], &[x.clone()], &[None], None, true, false).unwrap();
    let g = g[0].clone().unwrap();
    assert_eq!(g.to_vec::<f64>().unwrap(), vec![12.0]);
    let g2 = autograd::grad(&[g], &[x], &[None], None, false, false).unwrap();
    assert_eq!(g2[0].clone().unwrap().to_vec::<f64>().unwrap(), vec![12.0]);
}

#[test]
fn long_chain_neither_overflows_nor_leaks() {
    let x = leaf(vec![1.0], &[1]);
    let mut y = x.clone();
    for _ in 0..100_000 {
        y = ferrotorch_core::binary(BinaryOp::Mul, Arg::T(&y), Arg::S(Scalar::Float(1.0))).unwrap();
    }
    let s = y.sum(None, false, None).unwrap();
    autograd::backward(&[s.clone()], &[None], None, false, None).unwrap();
    assert_eq!(x.grad().unwrap().to_vec::<f64>().unwrap(), vec![1.0]);
    drop(s);
    drop(y); // dropping the 100k-node graph must not recurse
}

#[test]
fn no_grad_records_nothing() {
    let x = leaf(vec![1.0, 2.0], &[2]);
    let y = autograd::no_grad(|| x.mul(&x).unwrap());
    assert!(!y.requires_grad());
    assert!(y.grad_fn().is_none());
    let _ = Tensor::zeros(&[1], DType::F32);
}

#[test]
fn gradcheck_elementwise_reduction_matmul() {
    use autograd::{gradcheck, gradgradcheck, CheckOptions};
    let a = randn(&[3, 4]);
    let b = randn(&[4, 2]);
    let f = |x: &[Tensor]| -> ferrotorch_core::Result<Vec<Tensor>> {
        let y = x[0]
            .float_op(ferrotorch_core::ops::unary::FloatOp::Tanh)?
            .mm(&x[1])?;
        Ok(vec![y.mul(&y)?.sum(Some(&[1]), false, None)?])
    };
    gradcheck(&f, &[a.clone(), b.clone()], CheckOptions::default()).unwrap();
    gradgradcheck(&f, &[a, b], None, CheckOptions::default()).unwrap();
    // A wrong formula is caught: compare against a function whose grad we break.
    let x = randn(&[3]);
    let wrong = |x: &[Tensor]| -> ferrotorch_core::Result<Vec<Tensor>> {
        let d = x[0].detach();
        Ok(vec![x[0].mul(&d)?]) // true derivative is 2x; autograd sees only x
    };
    assert!(gradcheck(&wrong, &[x], CheckOptions::default()).is_err());
}
