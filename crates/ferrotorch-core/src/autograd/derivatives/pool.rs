//! Pooling. Max pooling routes grads to the saved argmax indices and the
//! adjoint of that routing gathers at them; average pooling and its adjoint
//! are each other's derivatives.

use crate::autograd::{op, Save};
use crate::ops::pool::{avg_pool as avg_k, avg_pool_adjoint as adjoint_k, max_pool_adjoint as max_adjoint_k, Plan};
use crate::{Result, Tensor};
use std::sync::Arc;

pub(crate) fn max_pool(x: &Tensor, vals: Tensor, idx: &Tensor, plan: &Arc<Plan>, name: &'static str) -> Result<Tensor> {
    let plan = plan.clone();
    op(name, &[x], move || Ok(vals), || vec![Save::T(idx.clone())], move |s, g, _| {
        Ok(vec![Some(max_adjoint_k(g, &s[0], &plan)?)])
    })
}

/// Routing grads to the argmax is linear; its adjoint gathers at the argmax.
pub(crate) fn max_pool_adjoint(g: &Tensor, idx: &Tensor, plan: &Arc<Plan>) -> Result<Tensor> {
    let (planes, out_shape) = (plan.lead.iter().product::<usize>() as i64, g.shape().iter().map(|&d| d as i64).collect::<Vec<_>>());
    op("MaxPool2DWithIndicesBackwardBackward0", &[g], || max_adjoint_k(g, idx, plan), || vec![Save::T(idx.clone())], move |s, gg, _| {
        let flat = [planes, -1];
        Ok(vec![Some(gg.reshape(&flat)?.gather(1, &s[0].reshape(&flat)?)?.reshape(&out_shape)?)])
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
