//! Pooling. Max pooling routes grads to the saved argmax indices with a
//! (differentiable) scatter_add; average pooling and its adjoint are each
//! other's derivatives.

use crate::autograd::{op, Save};
use crate::ops::pool::{avg_pool as avg_k, avg_pool_adjoint as adjoint_k, Plan};
use crate::{Result, Tensor};
use std::sync::Arc;

pub(crate) fn max_pool(x: &Tensor, vals: Tensor, idx: &Tensor, plan: &Plan, name: &'static str) -> Result<Tensor> {
    let in_shape: Vec<i64> = x.shape().iter().map(|&d| d as i64).collect();
    let planes: usize = plan.lead.iter().product();
    let plane = (plan.hw.0 * plan.hw.1) as i64;
    op(name, &[x], move || Ok(vals), || vec![Save::T(idx.clone())], move |s, g, _| {
        let flat = [planes as i64, -1];
        let idx = s[0].reshape(&flat)?;
        let gx = Tensor::zeros(&[planes, plane as usize], g.dtype()).scatter_add(1, &idx, &g.reshape(&flat)?)?;
        Ok(vec![Some(gx.reshape(&in_shape)?)])
    })
}

pub(crate) fn avg_pool(x: &Tensor, plan: &Arc<Plan>, name: &'static str) -> Result<Tensor> {
    let plan2 = plan.clone();
    op(name, &[x], || avg_k(x, plan, name), Vec::new, move |_, g, _| Ok(vec![Some(adjoint_k(g, &plan2)?)]))
}

pub(crate) fn avg_pool_adjoint(g: &Tensor, plan: &Arc<Plan>) -> Result<Tensor> {
    let plan2 = plan.clone();
    op("AvgPool2DBackwardBackward0", &[g], || adjoint_k(g, plan), Vec::new, move |_, gg, _| {
        Ok(vec![Some(avg_k(gg, &plan2, "AvgPool2DBackward0")?)])
    })
}
