//! Gradient checks of the index family: gather/scatter, index_select/index_add,
//! advanced indexing/index_put, masked ops, take, sort/topk and max(dim).

mod common;

use common::{check, check2, leaf, node_name, randn};
use ferrotorch_core::autograd;
use ferrotorch_core::{DType, Scalar, Tensor};

/// A non-contiguous leaf of `shape` (the transpose of a contiguous one).
fn transposed(shape: &[usize]) -> Tensor {
    let t = randn(&[shape[1], shape[0]])
        .detach()
        .transpose(0, 1)
        .unwrap();
    assert!(!t.is_contiguous());
    t.set_requires_grad(true).unwrap();
    t
}

fn idx(v: &[i64], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

fn mask(v: &[bool], shape: &[usize]) -> Tensor {
    Tensor::from_vec(v.to_vec(), shape).unwrap()
}

#[test]
fn gather_grads() {
    let i = idx(&[0, 1, 1, 3, 2, 0, 1, 1, 1], &[3, 3]);
    let f = |x: &[Tensor]| Ok(vec![x[0].gather(1, &i)?]);
    check2(&f, &[randn(&[3, 4])]);
    check2(&f, &[transposed(&[3, 4])]);
    assert_eq!(
        node_name(&f(&[randn(&[3, 4])]).unwrap()[0]),
        "GatherBackward0"
    );
    // dim 0, an index smaller than self in the other dim
    let j = idx(&[2, 0, 2, 2], &[2, 2]);
    check2(
        &|x: &[Tensor]| Ok(vec![x[0].gather(0, &j)?]),
        &[randn(&[3, 4])],
    );
}

#[test]
fn scatter_grads() {
    // distinct targets per column: scatter (overwrite) is deterministic
    let i = idx(&[0, 1, 2, 0, 2, 0, 1, 1], &[2, 4]);
    let f = |x: &[Tensor]| Ok(vec![x[0].scatter(0, &i, &x[1])?]);
    // src larger than the index: only its leading corner is read
    check2(&f, &[randn(&[3, 5]), randn(&[3, 5])]);
    check2(&f, &[transposed(&[3, 5]), randn(&[2, 4])]);
    let out = f(&[randn(&[3, 5]), randn(&[2, 4])]).unwrap();
    assert_eq!(node_name(&out[0]), "ScatterBackward0");

    let g = |x: &[Tensor]| Ok(vec![x[0].scatter_value(0, &i, Scalar::Float(2.5))?]);
    check2(&g, &[randn(&[3, 5])]);
    assert_eq!(
        node_name(&g(&[randn(&[3, 5])]).unwrap()[0]),
        "ScatterBackward1"
    );
}

#[test]
fn scatter_add_grads_with_duplicates() {
    let i = idx(&[0, 0, 2, 0, 0, 2, 2, 1], &[2, 4]);
    let f = |x: &[Tensor]| Ok(vec![x[0].scatter_add(0, &i, &x[1])?]);
    check2(&f, &[randn(&[3, 4]), randn(&[2, 4])]);
    check2(&f, &[transposed(&[3, 4]), randn(&[3, 5])]);
    let out = f(&[randn(&[3, 4]), randn(&[2, 4])]).unwrap();
    assert_eq!(node_name(&out[0]), "ScatterAddBackward0");
}

#[test]
fn index_add_grads_with_duplicates() {
    let i = idx(&[0, 2, 0, 4], &[4]);
    let f = |x: &[Tensor]| Ok(vec![x[0].index_add(0, &i, &x[1], Scalar::Float(2.0))?]);
    check2(&f, &[randn(&[5, 3]), randn(&[4, 3])]);
    let out = f(&[randn(&[5, 3]), randn(&[4, 3])]).unwrap();
    assert_eq!(node_name(&out[0]), "IndexAddBackward0");
    let j = idx(&[1, 1], &[2]);
    let g = |x: &[Tensor]| Ok(vec![x[0].index_add(1, &j, &x[1], Scalar::Int(1))?]);
    check2(&g, &[transposed(&[3, 4]), transposed(&[3, 2])]);
}

#[test]
fn index_select_grads() {
    let i = idx(&[3, 0, 3], &[3]);
    let f = |x: &[Tensor]| Ok(vec![x[0].index_select(0, &i)?]);
    check2(&f, &[randn(&[4, 3])]);
    assert_eq!(
        node_name(&f(&[randn(&[4, 3])]).unwrap()[0]),
        "IndexSelectBackward0"
    );
    let g = |x: &[Tensor]| Ok(vec![x[0].index_select(1, &i)?]);
    check2(&g, &[transposed(&[3, 4])]);
}

#[test]
fn advanced_index_grads() {
    // duplicates (0, 1) read twice: their grads add
    let (a, b) = (idx(&[0, 2, 0], &[3]), idx(&[1, 1, 1], &[3]));
    let f = |x: &[Tensor]| Ok(vec![x[0].index(&[Some(a.clone()), Some(b.clone())])?]);
    check2(&f, &[randn(&[4, 5])]);
    check2(&f, &[transposed(&[4, 5])]);
    assert_eq!(
        node_name(&f(&[randn(&[4, 5])]).unwrap()[0]),
        "IndexBackward0"
    );
    // non-adjacent indexed dims (broadcast dims go first) and a slice in between
    let c = idx(&[4, 0], &[2, 1]);
    let g = |x: &[Tensor]| {
        Ok(vec![x[0].index(&[
            Some(a.clone()),
            None,
            Some(c.clone()),
        ])?])
    };
    check2(&g, &[randn(&[3, 2, 5])]);
    // a boolean mask
    let m = mask(&[true, false, true, true], &[4]);
    let h = |x: &[Tensor]| Ok(vec![x[0].index(&[None, Some(m.clone())])?]);
    check2(&h, &[randn(&[3, 4])]);
}

#[test]
fn index_put_grads() {
    let i = idx(&[0, 2], &[2]);
    let f = |x: &[Tensor]| Ok(vec![x[0].index_put(&[Some(i.clone())], &x[1], false)?]);
    check2(&f, &[randn(&[4, 3]), randn(&[2, 3])]);
    // values broadcast along the indexed dim: their grad is reduced
    check2(&f, &[transposed(&[4, 3]), randn(&[3])]);
    let out = f(&[randn(&[4, 3]), randn(&[2, 3])]).unwrap();
    assert_eq!(node_name(&out[0]), "IndexPutBackward0");
    // accumulate with duplicate indices
    let d = idx(&[0, 2, 0], &[3]);
    let g = |x: &[Tensor]| Ok(vec![x[0].index_put(&[Some(d.clone())], &x[1], true)?]);
    check2(&g, &[randn(&[4, 3]), randn(&[3, 3])]);
}

#[test]
fn masked_fill_grads() {
    let m = mask(&[true, false, false, true], &[4]);
    // mask broadcast over rows; a 0-d value tensor that needs grad
    let f = |x: &[Tensor]| Ok(vec![x[0].masked_fill(&m, &x[1])?]);
    check2(&f, &[randn(&[3, 4]), leaf(vec![0.7], &[])]);
    check(&f, &[transposed(&[3, 4]), leaf(vec![0.7], &[])]);
    let out = f(&[randn(&[3, 4]), leaf(vec![0.7], &[])]).unwrap();
    assert_eq!(node_name(&out[0]), "MaskedFillBackward1");
    let v = Tensor::scalar(Scalar::Float(-1.0), DType::F64);
    let g = |x: &[Tensor]| Ok(vec![x[0].masked_fill(&m, &v)?]);
    check2(&g, &[randn(&[3, 4])]);
    assert_eq!(
        node_name(&g(&[randn(&[3, 4])]).unwrap()[0]),
        "MaskedFillBackward0"
    );
}

#[test]
fn masked_select_grads() {
    let m = mask(
        &[
            true, false, true, true, false, false, true, false, true, true, true, false,
        ],
        &[3, 4],
    );
    let f = |x: &[Tensor]| Ok(vec![x[0].masked_select(&m)?]);
    check2(&f, &[randn(&[3, 4])]);
    check(&f, &[transposed(&[3, 4])]);
    // self broadcast to the mask's shape: its grad is summed back
    check2(&f, &[randn(&[1, 4])]);
    assert_eq!(
        node_name(&f(&[randn(&[3, 4])]).unwrap()[0]),
        "MaskedSelectBackward0"
    );
}

#[test]
fn take_and_take_along_dim_grads() {
    let i = idx(&[0, 5, 11, 5], &[2, 2]);
    let f = |x: &[Tensor]| Ok(vec![x[0].take(&i)?]);
    check2(&f, &[randn(&[3, 4])]);
    check(&f, &[transposed(&[3, 4])]);
    assert_eq!(
        node_name(&f(&[randn(&[3, 4])]).unwrap()[0]),
        "TakeBackward0"
    );

    let j = idx(&[3, 0, 1, 1, 2, 2], &[3, 2]);
    let g = |x: &[Tensor]| Ok(vec![x[0].take_along_dim(&j, Some(1))?]);
    check2(&g, &[randn(&[3, 4])]);
    // indices broadcast over self's rows
    let k = idx(&[2, 0], &[1, 2]);
    let h = |x: &[Tensor]| Ok(vec![x[0].take_along_dim(&k, Some(1))?]);
    check(&h, &[randn(&[3, 4])]);
    let n = |x: &[Tensor]| Ok(vec![x[0].take_along_dim(&i, None)?]);
    check(&n, &[randn(&[3, 4])]);
}

#[test]
fn sort_and_topk_value_grads() {
    for (dim, desc) in [(1, false), (0, true), (-1, true)] {
        let f = move |x: &[Tensor]| {
            let (v, i) = x[0].sort(dim, desc)?;
            Ok(vec![v, i])
        };
        check2(&f, &[randn(&[3, 4])]);
        check(&f, &[transposed(&[3, 4])]);
    }
    let (v, i) = randn(&[3, 4]).sort(1, false).unwrap();
    assert_eq!(node_name(&v), "SortBackward0");
    assert!(i.grad_fn().is_none() && !i.requires_grad());

    for largest in [true, false] {
        let f = move |x: &[Tensor]| {
            let (v, i) = x[0].topk(2, 1, largest)?;
            Ok(vec![v, i])
        };
        check2(&f, &[randn(&[3, 4])]);
        check(&f, &[transposed(&[3, 4])]);
    }
    assert_eq!(
        node_name(&randn(&[3, 4]).topk(2, 0, true).unwrap().0),
        "TopkBackward0"
    );
}

#[test]
fn max_min_dim_grads() {
    for (max, keepdim) in [(true, false), (false, true)] {
        let f = move |x: &[Tensor]| {
            let (v, i) = x[0].extreme_dim(1, keepdim, max)?;
            Ok(vec![v, i])
        };
        check2(&f, &[randn(&[3, 4])]);
        check(&f, &[transposed(&[3, 4])]);
        let z = move |x: &[Tensor]| Ok(vec![x[0].extreme_dim(-1, keepdim, max)?.0]);
        check2(&z, &[leaf(vec![0.4], &[])]);
    }
    let x = randn(&[3, 4]);
    assert_eq!(
        node_name(&x.extreme_dim(0, false, true).unwrap().0),
        "MaxBackward0"
    );
    assert_eq!(
        node_name(&x.extreme_dim(-1, true, false).unwrap().0),
        "MinBackward0"
    );
}

#[test]
fn inplace_index_ops_on_non_leaf() {
    let i = idx(&[0, 1, 2, 0, 2, 0, 1, 1], &[2, 4]);
    let m = mask(&[true, false, false, true], &[4]);
    let rows = idx(&[0, 2, 0], &[3]);
    // each writes in place into `y = x * 1`, a non-leaf
    let f = |x: &[Tensor]| {
        let y = x[0].mul(&Tensor::scalar(Scalar::Float(1.0), DType::F64))?;
        y.scatter_impl_(0, &i, Some(&x[1]), None, false, "scatter_")?;
        let scattered = y.deep_clone()?;
        y.masked_fill_(&m, &x[2])?;
        y.index_add_(0, &rows, &x[1].narrow(0, 0, 3)?, Scalar::Float(0.5))?;
        y.index_put_(&[Some(rows.narrow(0, 0, 2)?)], &x[2], false)?;
        Ok(vec![scattered, y])
    };
    let inputs = [randn(&[3, 4]), randn(&[3, 4]), leaf(vec![0.3], &[])];
    check2(&f, &inputs);

    // the rewritten tensor adopts the out-of-place op's node, like PyTorch
    let y = inputs[0].mul(&inputs[0]).unwrap();
    y.scatter_impl_(0, &i, Some(&inputs[1]), None, false, "scatter_")
        .unwrap();
    assert_eq!(node_name(&y), "ScatterBackward0");
    y.masked_fill_(&m, &inputs[2]).unwrap();
    assert_eq!(node_name(&y), "MaskedFillBackward1");

    // writing into a view of a non-leaf updates the base's history
    let g = |x: &[Tensor]| {
        let y = x[0].mul(&Tensor::scalar(Scalar::Float(2.0), DType::F64))?;
        y.select(0, 1)?.masked_fill_(&m, &x[1])?;
        Ok(vec![y])
    };
    check2(&g, &[randn(&[3, 4]), leaf(vec![0.3], &[])]);
}

#[test]
fn inplace_index_ops_on_leaf_error() {
    let i = idx(&[0, 1, 2, 0], &[1, 4]);
    let want = "a leaf Variable that requires grad is being used in an in-place operation.";
    let x = randn(&[3, 4]);
    let e = x
        .scatter_impl_(0, &i, None, Some(Scalar::Float(1.0)), false, "scatter_")
        .unwrap_err();
    assert!(e.msg.contains(want), "{}", e.msg);
    let m = mask(&[true, false, false, true], &[4]);
    let e = x
        .masked_fill_(&m, &Tensor::scalar(Scalar::Float(0.0), DType::F64))
        .unwrap_err();
    assert!(e.msg.contains(want), "{}", e.msg);
    // the leaf is untouched
    assert_eq!(
        x.to_vec::<f64>().unwrap(),
        randn(&[3, 4]).to_vec::<f64>().unwrap()
    );
    // without grad mode the write is allowed, as in PyTorch's no_grad
    autograd::no_grad(|| x.masked_fill_(&m, &Tensor::scalar(Scalar::Float(0.0), DType::F64)))
        .unwrap();
}

#[test]
fn index_tensors_never_get_grads() {
    let i = idx(&[0, 1], &[2]);
    assert!(i.set_requires_grad(true).is_err());
    let x = randn(&[3, 2]);
    let y = x
        .index_select(0, &i)
        .unwrap()
        .sum(None, false, None)
        .unwrap();
    autograd::backward(&[y], &[None], None, false, None).unwrap();
    assert_eq!(
        x.grad().unwrap().to_vec::<f64>().unwrap(),
        vec![1.0, 1.0, 1.0, 1.0, 0.0, 0.0]
    );
    assert!(i.grad().is_none());
}

#[test]
fn zero_dim_inputs() {
    let (i0, i2) = (idx(&[0], &[]), idx(&[0, 0], &[2]));
    let x = || leaf(vec![0.4], &[]);
    check2(&|x: &[Tensor]| Ok(vec![x[0].gather(0, &i0)?]), &[x()]);
    check2(&|x: &[Tensor]| Ok(vec![x[0].index_select(0, &i2)?]), &[x()]);
    check2(&|x: &[Tensor]| Ok(vec![x[0].take(&i2)?]), &[x()]);
    check2(&|x: &[Tensor]| Ok(vec![x[0].sort(0, false)?.0]), &[x()]);
    check2(
        &|x: &[Tensor]| Ok(vec![x[0].scatter_add(0, &i0, &x[1])?]),
        &[x(), x()],
    );
}
