//! Gradients of the shape family (cat, stack, flip, roll, repeat, tril/triu,
//! norms, logsumexp, einsum, scans) checked against finite differences.

mod common;

use common::{check, check2, leaf, node_name, randn, randn_seeded};
use ferrotorch_core::autograd::{self, gradcheck, CheckOptions};
use ferrotorch_core::ops::shape::{
    broadcast_tensors, cat, einsum, hstack, meshgrid, stack, vstack,
};
use ferrotorch_core::{DType, Result, Scalar, Tensor};

/// A non-contiguous view with the values of a `shape` leaf: its transpose's transpose.
fn transposed(x: &Tensor) -> Result<Tensor> {
    x.transpose(0, 1)?.contiguous()?.transpose(0, 1)
}

#[test]
fn cat_grads_and_node() {
    let a = randn_seeded(&[2, 3], 1);
    let b = randn_seeded(&[4, 3], 2);
    let c = randn_seeded(&[2, 2], 3);
    let y = cat(&[a.clone(), b.clone()], 0).unwrap();
    assert_eq!(node_name(&y), "CatBackward0");
    // One node straight onto the leaves: no CopySlices from the narrow+copy_ kernel.
    let next = y.grad_fn().unwrap().next_edges().to_vec();
    assert_eq!(next.len(), 2);
    assert!(next
        .iter()
        .all(|e| e.as_ref().unwrap().node.name() == "AccumulateGrad"));
    check2(
        &|x| Ok(vec![cat(&[x[0].clone(), x[1].clone()], 0)?]),
        &[a.clone(), b.clone()],
    );
    // Along dim 1 (negative), with a non-contiguous and a stepped-slice input.
    check2(
        &|x| {
            let s = x[1].slice(0, Some(0), None, 2)?; // [2, 3] of every other row
            Ok(vec![cat(&[transposed(&x[0])?, s, x[2].clone()], -1)?])
        },
        &[a.clone(), b.clone(), c.clone()],
    );
    // 1-D empty inputs are skipped by cat but still get an (empty) grad.
    let e = leaf(vec![], &[0]);
    check(
        &|x| Ok(vec![cat(&[x[0].clone(), x[1].clone()], 0)?]),
        &[e.clone(), a.clone()],
    );
    // An input without grad, and one of another dtype: grads are cast back.
    let k = Tensor::from_vec(vec![1.0f32; 3], &[1, 3]).unwrap();
    k.set_requires_grad(true).unwrap();
    let y = cat(&[a.clone(), k.clone(), b.detach()], 0).unwrap();
    assert_eq!(y.dtype(), DType::F64);
    autograd::backward(
        &[y.sum(None, false, None).unwrap()],
        &[None],
        None,
        false,
        None,
    )
    .unwrap();
    assert_eq!(k.grad().unwrap().dtype(), DType::F32);
    assert_eq!(k.grad().unwrap().to_vec::<f32>().unwrap(), vec![1.0; 3]);
    assert_eq!(a.grad().unwrap().to_vec::<f64>().unwrap(), vec![1.0; 6]);
}

#[test]
fn stack_hstack_vstack() {
    let a = randn_seeded(&[2, 3], 1);
    let b = randn_seeded(&[2, 3], 2);
    let y = stack(&[a.clone(), b.clone()], 1).unwrap();
    assert_eq!(node_name(&y), "StackBackward0");
    for d in [0, 1, 2, -1] {
        check2(
            &|x| Ok(vec![stack(&[x[0].clone(), transposed(&x[1])?], d)?]),
            &[a.clone(), b.clone()],
        );
    }
    let v = randn_seeded(&[3], 3);
    let s = leaf(vec![0.5], &[]);
    check(
        &|x| Ok(vec![hstack(&[x[0].clone(), x[1].clone()])?]),
        &[v.clone(), s.clone()],
    );
    check(
        &|x| Ok(vec![hstack(&[x[0].clone(), x[1].clone()])?]),
        &[a.clone(), b.clone()],
    );
    check(
        &|x| Ok(vec![vstack(&[x[0].clone(), x[1].clone()])?]),
        &[v.clone(), a.clone()],
    );
    assert_eq!(node_name(&vstack(&[v, a]).unwrap()), "CatBackward0");
}

#[test]
fn meshgrid_broadcast_atleast() {
    let a = randn_seeded(&[3], 1);
    let b = randn_seeded(&[2], 2);
    for xy in [false, true] {
        check(
            &|x| meshgrid(&[x[0].clone(), x[1].clone()], xy),
            &[a.clone(), b.clone()],
        );
    }
    let c = randn_seeded(&[2, 1], 3);
    check(
        &|x| broadcast_tensors(&[x[0].clone(), x[1].clone()]),
        &[a.clone(), c],
    );
    let s = leaf(vec![0.3], &[]);
    check(
        &|x| {
            Ok(vec![
                x[0].atleast_1d()?,
                x[0].atleast_2d()?,
                x[1].atleast_2d()?,
            ])
        },
        &[s, a],
    );
}

#[test]
fn flip_and_roll() {
    let a = randn(&[3, 4]);
    let y = a.flip(&[0]).unwrap();
    assert_eq!(node_name(&y), "FlipBackward0");
    for dims in [vec![0], vec![1], vec![0, -1]] {
        check2(&|x| Ok(vec![transposed(&x[0])?.flip(&dims)?]), &[a.clone()]);
    }
    assert_eq!(node_name(&a.roll(&[1], &[0]).unwrap()), "RollBackward0");
    for (s, d) in [
        (vec![1], vec![0]),
        (vec![-5, 2], vec![1, 0]),
        (vec![3], vec![]),
    ] {
        check2(&|x| Ok(vec![x[0].roll(&s, &d)?]), &[a.clone()]);
    }
    let b = randn(&[4, 6]);
    check(
        &|x| {
            Ok(vec![x[0]
                .slice(1, Some(1), None, 2)?
                .roll(&[1, 2], &[1, 0])?])
        },
        &[b],
    );
}

#[test]
fn repeat_and_tile() {
    let a = randn(&[2, 3]);
    let y = a.repeat(&[2, 1, 3]).unwrap();
    assert_eq!(node_name(&y), "RepeatBackward0");
    for sizes in [vec![1, 1], vec![2, 3], vec![2, 1, 3], vec![3, 0]] {
        check2(&|x| Ok(vec![x[0].repeat(&sizes)?]), &[a.clone()]);
    }
    check(
        &|x| Ok(vec![transposed(&x[0])?.repeat(&[2, 2])?]),
        &[a.clone()],
    );
    let s = leaf(vec![0.7], &[]);
    check(&|x| Ok(vec![x[0].repeat(&[3])?]), &[s]);
    for dims in [vec![2], vec![2, 2], vec![2, 1, 2]] {
        check(&|x| Ok(vec![x[0].tile(&dims)?]), &[a.clone()]);
    }
    assert_eq!(node_name(&a.tile(&[2]).unwrap()), "RepeatBackward0");
}

#[test]
fn repeat_interleave_both_forms() {
    let a = randn(&[2, 3]);
    for dim in [None, Some(0), Some(-1)] {
        check(&|x| Ok(vec![x[0].repeat_interleave(2, dim)?]), &[a.clone()]);
    }
    let reps = Tensor::from_vec(vec![2i64, 0, 3], &[3]).unwrap();
    check(
        &|x| Ok(vec![x[0].repeat_interleave_tensor(&reps, Some(1))?]),
        &[a.clone()],
    );
    let flat = Tensor::from_vec(vec![1i64, 2, 0, 1, 3, 1], &[6]).unwrap();
    check(
        &|x| {
            Ok(vec![
                transposed(&x[0])?.repeat_interleave_tensor(&flat, None)?
            ])
        },
        &[a],
    );
}

#[test]
fn tril_triu_and_in_place() {
    let a = randn(&[2, 3, 4]);
    assert_eq!(node_name(&a.tri(0, true).unwrap()), "TrilBackward0");
    assert_eq!(node_name(&a.tri(0, false).unwrap()), "TriuBackward0");
    for (diag, lower) in [(0, true), (1, true), (-1, false), (2, false)] {
        check2(&|x| Ok(vec![x[0].tri(diag, lower)?]), &[a.clone()]);
    }
    let m = randn(&[4, 3]);
    check(
        &|x| Ok(vec![transposed(&x[0])?.tri(0, true)?]),
        &[m.clone()],
    );
    // In place on a non-leaf, and on a view of one: the grad is masked the same way.
    check(
        &|x| {
            let y = x[0].mul(&x[0])?;
            y.tri_(0, false)?;
            Ok(vec![y])
        },
        &[m.clone()],
    );
    check(
        &|x| {
            let y = x[0].mul(&x[0])?;
            y.narrow(0, 1, 3)?.tri_(0, true)?;
            Ok(vec![y])
        },
        &[m.clone()],
    );
    let y = m.deep_clone().unwrap();
    y.tri_(0, true).unwrap();
    assert_eq!(node_name(&y), "TrilBackward0");
    assert!(
        m.tri_(0, true).is_err(),
        "a leaf that requires grad cannot be written"
    );
}

#[test]
fn outer_and_addmm() {
    let u = randn_seeded(&[3], 1);
    let v = randn_seeded(&[4], 2);
    check2(&|x| Ok(vec![x[0].outer(&x[1])?]), &[u.clone(), v.clone()]);
    let m1 = randn_seeded(&[3, 2], 3);
    let m2 = randn_seeded(&[2, 4], 4);
    let (b, a) = (Scalar::Float(0.5), Scalar::Float(-2.0));
    check2(
        &|x| Ok(vec![x[0].addmm(&x[1], &x[2], b, a)?]),
        &[v.clone(), m1.clone(), m2.clone()],
    );
    check(
        &|x| {
            Ok(vec![x[0].addmm(
                &transposed(&x[1])?,
                &x[2],
                Scalar::Int(1),
                Scalar::Int(1),
            )?])
        },
        &[
            leaf(u.to_vec::<f64>().unwrap(), &[3, 1]),
            m1.clone(),
            m2.clone(),
        ],
    );
    let c = randn(&[3, 4]);
    check(
        &|x| Ok(vec![x[0].addmm(&x[1], &x[2], Scalar::Int(0), a)?]),
        &[c, m1, m2],
    );
}

#[test]
fn vector_norm_orders() {
    let a = randn(&[3, 4]);
    let y = a.vector_norm(2.0, None, false, None).unwrap();
    assert_eq!(node_name(&y), "LinalgVectorNormBackward0");
    let ords = [
        2.0,
        1.0,
        3.0,
        1.5,
        0.5,
        -1.0,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ];
    let dimss: [Option<&[i64]>; 3] = [None, Some(&[1]), Some(&[0, 1])];
    for ord in ords {
        for dims in dimss {
            for keepdim in [false, true] {
                check(
                    &|x| {
                        Ok(vec![
                            transposed(&x[0])?.vector_norm(ord, dims, keepdim, None)?
                        ])
                    },
                    &[a.clone()],
                );
            }
        }
    }
    for ord in [2.0, 3.0, 1.5] {
        check2(
            &|x| Ok(vec![x[0].vector_norm(ord, Some(&[0]), false, None)?]),
            &[a.clone()],
        );
    }
    // ord 0 counts nonzeros: zero grad.
    let g = grad_of(&a, |x| x.vector_norm(0.0, None, false, None));
    assert_eq!(g, vec![0.0; 12]);
}

fn grad_of(x: &Tensor, f: impl Fn(&Tensor) -> Result<Tensor>) -> Vec<f64> {
    let y = f(x).unwrap().sum(None, false, None).unwrap();
    let g = autograd::grad(&[y], &[x.clone()], &[None], None, false, false).unwrap();
    g[0].clone().unwrap().to_vec::<f64>().unwrap()
}

#[test]
fn vector_norm_subgradients() {
    // A zero vector: the 2-norm's grad is 0 (not NaN), as in PyTorch.
    let z = leaf(vec![0.0; 3], &[3]);
    assert_eq!(
        grad_of(&z, |x| x.vector_norm(2.0, None, false, None)),
        vec![0.0; 3]
    );
    assert_eq!(
        grad_of(&z, |x| x.vector_norm(3.0, None, false, None)),
        vec![0.0; 3]
    );
    // One zero row among nonzero ones.
    let m = leaf(vec![0.0, 0.0, 3.0, 4.0], &[2, 2]);
    assert_eq!(
        grad_of(&m, |x| x.vector_norm(2.0, Some(&[1]), false, None)),
        vec![0.0, 0.0, 0.6, 0.8]
    );
    // inf-norm ties share the grad evenly; the sign follows x.
    let t = leaf(vec![-2.0, 1.0, 2.0], &[3]);
    assert_eq!(
        grad_of(&t, |x| x.vector_norm(f64::INFINITY, None, false, None)),
        vec![-0.5, 0.0, 0.5]
    );
    // p < 1: zero entries get 0.
    let p = leaf(vec![0.0, 1.0, 4.0], &[3]);
    let g = grad_of(&p, |x| x.vector_norm(0.5, None, false, None));
    assert_eq!(g[0], 0.0);
    assert!(g.iter().all(|v| v.is_finite()));
    // A dtype argument casts first; the grad comes back in the input's dtype.
    let f = Tensor::from_vec(vec![3.0f32, 4.0], &[2]).unwrap();
    f.set_requires_grad(true).unwrap();
    let y = f.vector_norm(2.0, None, false, Some(DType::F64)).unwrap();
    let g = autograd::grad(&[y], &[f], &[None], None, false, false).unwrap();
    assert_eq!(
        g[0].clone().unwrap().to_vec::<f32>().unwrap(),
        vec![0.6, 0.8]
    );
}

#[test]
fn logsumexp_grads() {
    let a = randn(&[3, 4]);
    assert_eq!(
        node_name(&a.logsumexp(&[1], false).unwrap()),
        "LogsumexpBackward0"
    );
    let dimss: [&[i64]; 4] = [&[], &[0], &[-1], &[0, 1]];
    for dims in dimss {
        for keepdim in [false, true] {
            check2(
                &|x| Ok(vec![transposed(&x[0])?.logsumexp(dims, keepdim)?]),
                &[a.clone()],
            );
        }
    }
    let s = leaf(vec![0.3], &[]);
    check2(&|x| Ok(vec![x[0].logsumexp(&[0], false)?]), &[s]);
    // Large values: the formula must not overflow.
    let big = leaf(vec![1000.0, 1000.0], &[2]);
    let g = grad_of(&big, |x| x.logsumexp(&[0], false));
    assert!(g.iter().all(|v| (v - 0.5).abs() < 1e-12), "{g:?}");
}

#[test]
fn einsum_composes() {
    let a = randn_seeded(&[3, 4], 1);
    let b = randn_seeded(&[4, 2], 2);
    check2(
        &|x| Ok(vec![einsum("ij,jk->ik", &[x[0].clone(), x[1].clone()])?]),
        &[a.clone(), b.clone()],
    );
    let p = randn_seeded(&[2, 3, 4], 3);
    let q = randn_seeded(&[2, 4, 2], 4);
    check2(
        &|x| Ok(vec![einsum("bij,bjk->bik", &[x[0].clone(), x[1].clone()])?]),
        &[p.clone(), q.clone()],
    );
    let sq = randn_seeded(&[3, 3], 5);
    let v = randn_seeded(&[3], 6);
    let cases: Vec<(&str, Vec<Tensor>)> = vec![
        ("ii->i", vec![sq.clone()]),
        ("ii", vec![sq.clone()]),
        ("ij->ji", vec![a.clone()]),
        ("ij->", vec![a.clone()]),
        ("i,i->", vec![v.clone(), randn_seeded(&[3], 8)]),
        ("i,j->ij", vec![v.clone(), b.select(1, 0).unwrap()]),
        ("...ij,...jk->...ik", vec![p.clone(), q.clone()]),
        (
            "bij,jk,bkl->bil",
            vec![p.clone(), b.clone(), q.transpose(1, 2).unwrap()],
        ),
        (
            "ij,ij->i",
            vec![a.clone(), transposed(&randn_seeded(&[3, 4], 7)).unwrap()],
        ),
    ];
    // Fresh leaves keep each operand's layout; no two may share storage, since
    // gradcheck perturbs an input's memory in place.
    for (eq, ops) in cases {
        let ops: Vec<Tensor> = ops.iter().map(|t| t.detach()).collect();
        for t in &ops {
            t.set_requires_grad(true).unwrap();
        }
        gradcheck(&|x| Ok(vec![einsum(eq, x)?]), &ops, CheckOptions::default())
            .unwrap_or_else(|e| panic!("{eq}: {}", e.msg));
    }
}

#[test]
fn cumsum_cumprod() {
    let a = randn(&[3, 4]);
    for d in [0, 1, -1] {
        check2(
            &|x| Ok(vec![transposed(&x[0])?.cumsum(d, None)?]),
            &[a.clone()],
        );
        check2(&|x| Ok(vec![x[0].cumprod(d, None)?]), &[a.clone()]);
    }
    // Zeros (one, and two in the same scan) take the exact product-of-others path.
    let z = leaf(vec![0.5, 0.0, -1.5, 2.0, 0.0, 1.2, 0.0, 0.7], &[2, 4]);
    for d in [0, 1] {
        check2(&|x| Ok(vec![x[0].cumprod(d, None)?]), &[z.clone()]);
    }
}
