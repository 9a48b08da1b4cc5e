//! The core crate used on its own, as a Rust service would.

use ferrotorch_core::ops::binary::{binary, Arg, BinaryOp};
use ferrotorch_core::{DType, ErrorKind, Scalar, Tensor};

fn t(v: &[f64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

#[test]
fn broadcast_add_and_promotion() {
    let a = t(&[1.0, 2.0, 3.0], &[3, 1]);
    let b = Tensor::from_vec(vec![10i64, 20], &[2]).unwrap();
    let c = binary(BinaryOp::Add, Arg::T(&a), Arg::T(&b)).unwrap();
    assert_eq!(c.shape(), &[3, 2]);
    assert_eq!(c.dtype(), DType::F64);
    assert_eq!(
        c.to_vec::<f64>().unwrap(),
        vec![11.0, 21.0, 12.0, 22.0, 13.0, 23.0]
    );
    let i = binary(BinaryOp::Mul, Arg::T(&b), Arg::S(Scalar::Float(0.5))).unwrap();
    assert_eq!(i.dtype(), DType::F32);
}

#[test]
fn views_write_through() {
    let x = Tensor::zeros(&[2, 3], DType::F32);
    let col = x.select(1, 2).unwrap();
    col.copy_(&Tensor::scalar(Scalar::Float(5.0), DType::F32))
        .unwrap();
    assert_eq!(
        x.to_vec::<f32>().unwrap(),
        vec![0.0, 0.0, 5.0, 0.0, 0.0, 5.0]
    );
    let tt = x.t().unwrap();
    assert!(!tt.is_contiguous());
    assert_eq!(
        tt.contiguous().unwrap().to_vec::<f32>().unwrap(),
        vec![0.0, 0.0, 0.0, 0.0, 5.0, 5.0]
    );
}

#[test]
fn matmul_transposed_and_batched() {
    let a = t(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let p = a.matmul(&a.t().unwrap()).unwrap();
    assert_eq!(p.to_vec::<f64>().unwrap(), vec![14.0, 32.0, 32.0, 77.0]);
    let batch = a.unsqueeze(0).unwrap().expand(&[4, 2, 3]).unwrap();
    let q = batch.matmul(&a.t().unwrap()).unwrap();
    assert_eq!(q.shape(), &[4, 2, 2]);
    let ints = Tensor::from_vec(vec![1i64, 2, 3, 4], &[2, 2]).unwrap();
    assert_eq!(
        ints.mm(&ints).unwrap().to_vec::<i64>().unwrap(),
        vec![7, 10, 15, 22]
    );
    let err = a.mm(&a).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Runtime);
    assert!(err.msg.contains("cannot be multiplied"));
}

#[test]
fn reductions() {
    let a = t(&[1.0, 5.0, 3.0, 2.0, 8.0, 0.0], &[2, 3]);
    assert_eq!(
        a.sum(None, false, None).unwrap().item().unwrap(),
        Scalar::Float(19.0)
    );
    assert_eq!(
        a.sum(Some(&[0]), false, None)
            .unwrap()
            .to_vec::<f64>()
            .unwrap(),
        vec![3.0, 13.0, 3.0]
    );
    assert_eq!(
        a.arg_extreme(Some(1), false, true)
            .unwrap()
            .to_vec::<i64>()
            .unwrap(),
        vec![1, 1]
    );
    let (v, i) = a.extreme_dim(0, true, false).unwrap();
    assert_eq!(v.shape(), &[1, 3]);
    assert_eq!(i.to_vec::<i64>().unwrap(), vec![0, 0, 1]);
    assert_eq!(
        a.sum(Some(&[5]), false, None).unwrap_err().kind,
        ErrorKind::Index
    );
}
