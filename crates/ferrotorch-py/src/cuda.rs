//! `_C._cuda_*`: device queries, synchronization, allocator statistics,
//! generators and events behind `ferrotorch.cuda`.

use crate::errors::IntoPy;
use ferrotorch_core::cuda::{self, alloc, blas, random};
use pyo3::prelude::*;
use pyo3::types::PyDict;

#[pyfunction]
fn _cuda_is_available() -> bool {
    cuda::is_available()
}

#[pyfunction]
fn _cuda_device_count() -> usize {
    cuda::device_count()
}

/// Initialises CUDA (PyTorch's no-driver error when it cannot).
#[pyfunction]
fn _cuda_current_device() -> PyResult<usize> {
    let d = cuda::current_device();
    cuda::gpu(d).py()?;
    Ok(d)
}

#[pyfunction]
fn _cuda_set_device(i: usize) -> PyResult<()> {
    cuda::set_device(i).py()
}

#[pyfunction]
fn _cuda_get_device_name(i: usize) -> PyResult<String> {
    cuda::gpu(i).and_then(|g| g.name()).py()
}

#[pyfunction]
fn _cuda_get_device_properties(py: Python<'_>, i: usize) -> PyResult<Bound<'_, PyDict>> {
    use cudarc::driver::sys::CUdevice_attribute::CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT;
    let g = cuda::gpu(i).py()?;
    let (major, minor) = g.capability().py()?;
    let d = PyDict::new(py);
    d.set_item("name", g.name().py()?)?;
    d.set_item("major", major)?;
    d.set_item("minor", minor)?;
    d.set_item("total_memory", g.total_memory().py()?)?;
    d.set_item("multi_processor_count", g.attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT).py()?)?;
    d.set_item("uuid", g.uuid().py()?)?;
    Ok(d)
}

#[pyfunction]
fn _cuda_synchronize(py: Python<'_>, i: usize) -> PyResult<()> {
    let g = cuda::gpu(i).py()?;
    py.detach(|| g.synchronize()).py()
}

#[pyfunction]
fn _cuda_memory_stats(py: Python<'_>, i: usize) -> PyResult<Bound<'_, PyDict>> {
    cuda::gpu(i).py()?;
    let s = alloc::memory_stats(i);
    let d = PyDict::new(py);
    d.set_item("allocated_bytes", s.allocated)?;
    d.set_item("max_allocated_bytes", s.max_allocated)?;
    d.set_item("reserved_bytes", s.reserved)?;
    d.set_item("max_reserved_bytes", s.max_reserved)?;
    d.set_item("num_alloc_retries", s.num_alloc_retries)?;
    d.set_item("num_ooms", s.num_ooms)?;
    Ok(d)
}

#[pyfunction]
fn _cuda_reset_peak_memory_stats(i: usize) -> PyResult<()> {
    cuda::gpu(i).py()?;
    alloc::reset_peak_memory_stats(i);
    Ok(())
}

#[pyfunction]
fn _cuda_empty_cache() -> PyResult<()> {
    if !cuda::is_available() {
        return Ok(()); // nothing was ever cached
    }
    alloc::empty_cache().py()
}

// Generators keep their state without a GPU, so seeding never fails.
#[pyfunction]
fn _cuda_manual_seed(i: usize, seed: u64) {
    random::with_generator(i, |g| *g = ferrotorch_core::random::Generator::new(seed));
}

#[pyfunction]
fn _cuda_manual_seed_all(seed: u64) {
    random::manual_seed_all(seed);
}

#[pyfunction]
fn _cuda_initial_seed(i: usize) -> u64 {
    random::with_generator(i, |g| g.seed)
}

#[pyfunction]
fn _cuda_get_rng_state(i: usize) -> (u64, u64) {
    random::with_generator(i, |g| (g.seed, g.offset))
}

#[pyfunction]
fn _cuda_set_rng_state(i: usize, seed: u64, offset: u64) {
    random::with_generator(i, |g| {
        g.seed = seed;
        g.offset = offset;
    });
}

/// Device-to-host copies made so far (tests of hot loops count them).
#[pyfunction]
fn _cuda_device_to_host_copies() -> usize {
    cuda::device_to_host_copies()
}

#[pyfunction]
fn _cuda_set_allow_tf32(on: bool) {
    blas::set_allow_tf32(on);
}

#[pyfunction]
fn _cuda_get_allow_tf32() -> bool {
    blas::allow_tf32()
}

/// A CUDA event on one device (`torch.cuda.Event` wraps it).
#[pyclass(name = "_CudaEvent", module = "ferrotorch._C", frozen)]
struct PyCudaEvent(cuda::Event);

#[pymethods]
impl PyCudaEvent {
    #[new]
    fn new(enable_timing: bool, device: usize) -> PyResult<Self> {
        cuda::Event::new(device, enable_timing).map(PyCudaEvent).py()
    }
    fn record(&self) -> PyResult<()> {
        self.0.record().py()
    }
    fn synchronize(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.0.synchronize()).py()
    }
    fn query(&self) -> PyResult<bool> {
        self.0.query().py()
    }
    fn elapsed_time(&self, end: PyRef<'_, PyCudaEvent>) -> PyResult<f32> {
        self.0.elapsed_time(&end.0).py()
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyCudaEvent>()?;
    m.add_function(wrap_pyfunction!(_cuda_is_available, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_device_count, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_current_device, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_set_device, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_get_device_name, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_get_device_properties, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_synchronize, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_memory_stats, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_reset_peak_memory_stats, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_empty_cache, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_manual_seed, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_manual_seed_all, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_initial_seed, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_get_rng_state, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_set_rng_state, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_set_allow_tf32, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_device_to_host_copies, m)?)?;
    m.add_function(wrap_pyfunction!(_cuda_get_allow_tf32, m)?)?;
    Ok(())
}
