//! `ferrotorch._C`: thin PyO3 bindings over ferrotorch-core. Argument parsing
//! and Python conversions only; the math lives in the core crate.
#![allow(non_snake_case)]

mod autograd;
mod convert;
mod cuda;
mod dtype;
mod errors;
mod functions;
mod index_ops;
mod nn_ops;
mod optim;
mod shape_ops;
mod tensor;
mod tensor_ops;

use pyo3::prelude::*;

#[pymodule]
fn _C(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<tensor::PyTensor>()?;
    m.add_class::<autograd::PyNode>()?;
    autograd::install_trace_provider();
    m.add_function(wrap_pyfunction!(autograd::_run_backward, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_run_grad, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::is_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_set_grad_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::is_inference_mode_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_set_inference_mode, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::is_anomaly_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::is_anomaly_check_nan_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_set_anomaly_enabled, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_record_function, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_gradcheck, m)?)?;
    m.add_function(wrap_pyfunction!(autograd::_gradgradcheck, m)?)?;
    m.add_class::<dtype::PyDType>()?;
    m.add_class::<dtype::PyDevice>()?;
    m.add("OutOfMemoryError", py.get_type::<errors::OutOfMemoryError>())?;
    cuda::register(m)?;
    m.add_class::<functions::PyGenerator>()?;
    for d in ferrotorch_core::DType::ALL {
        m.add(d.name(), dtype::dtype_obj(py, d))?;
    }
    m.add_function(wrap_pyfunction!(functions::tensor, m)?)?;
    m.add_function(wrap_pyfunction!(functions::as_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(functions::from_numpy, m)?)?;
    m.add_function(wrap_pyfunction!(functions::zeros, m)?)?;
    m.add_function(wrap_pyfunction!(functions::ones, m)?)?;
    m.add_function(wrap_pyfunction!(functions::empty, m)?)?;
    m.add_function(wrap_pyfunction!(functions::full, m)?)?;
    m.add_function(wrap_pyfunction!(functions::full_like, m)?)?;
    m.add_function(wrap_pyfunction!(functions::arange, m)?)?;
    m.add_function(wrap_pyfunction!(functions::linspace, m)?)?;
    m.add_function(wrap_pyfunction!(functions::logspace, m)?)?;
    m.add_function(wrap_pyfunction!(functions::eye, m)?)?;
    m.add_function(wrap_pyfunction!(functions::rand, m)?)?;
    m.add_function(wrap_pyfunction!(functions::randn, m)?)?;
    m.add_function(wrap_pyfunction!(functions::randint, m)?)?;
    m.add_function(wrap_pyfunction!(functions::randperm, m)?)?;
    m.add_function(wrap_pyfunction!(functions::normal, m)?)?;
    m.add_function(wrap_pyfunction!(functions::manual_seed, m)?)?;
    m.add_function(wrap_pyfunction!(functions::initial_seed, m)?)?;
    m.add_function(wrap_pyfunction!(functions::get_rng_state, m)?)?;
    m.add_function(wrap_pyfunction!(functions::set_rng_state, m)?)?;
    m.add_function(wrap_pyfunction!(functions::get_default_dtype, m)?)?;
    m.add_function(wrap_pyfunction!(dtype::set_default_device, m)?)?;
    m.add_function(wrap_pyfunction!(dtype::get_default_device, m)?)?;
    m.add_function(wrap_pyfunction!(functions::set_default_dtype, m)?)?;
    m.add_function(wrap_pyfunction!(functions::promote_types, m)?)?;
    m.add_function(wrap_pyfunction!(functions::can_cast, m)?)?;
    m.add_function(wrap_pyfunction!(functions::result_type, m)?)?;
    m.add_function(wrap_pyfunction!(functions::r#where, m)?)?;
    m.add_function(wrap_pyfunction!(functions::is_tensor, m)?)?;
    m.add_function(wrap_pyfunction!(shape_ops::cat, m)?)?;
    m.add_function(wrap_pyfunction!(shape_ops::stack, m)?)?;
    m.add_function(wrap_pyfunction!(shape_ops::hstack, m)?)?;
    m.add_function(wrap_pyfunction!(shape_ops::vstack, m)?)?;
    m.add_function(wrap_pyfunction!(shape_ops::broadcast_tensors, m)?)?;
    m.add_function(wrap_pyfunction!(shape_ops::broadcast_shapes, m)?)?;
    m.add_function(wrap_pyfunction!(shape_ops::meshgrid, m)?)?;
    m.add_function(wrap_pyfunction!(shape_ops::einsum, m)?)?;
    m.add_function(wrap_pyfunction!(nn_ops::convolution, m)?)?;
    m.add_function(wrap_pyfunction!(optim::_optimizer_step, m)?)?;
    m.add_function(wrap_pyfunction!(nn_ops::_max_pool, m)?)?;
    m.add_function(wrap_pyfunction!(nn_ops::_avg_pool, m)?)?;
    m.add_function(wrap_pyfunction!(nn_ops::_adaptive_avg_pool, m)?)?;
    m.add_function(wrap_pyfunction!(nn_ops::_adaptive_max_pool, m)?)?;
    m.add_function(wrap_pyfunction!(nn_ops::_unfold, m)?)?;
    m.add_function(wrap_pyfunction!(nn_ops::_fold, m)?)?;
    Ok(())
}
