//! Strided iteration shared by all CPU kernels: dims are coalesced, then the
//! caller gets one call per innermost row with per-operand offsets and strides.

/// Merges adjacent dims that are contiguous with each other in every operand
/// and drops size-1 dims. Returns the reduced shape and strides.
pub fn coalesce<const K: usize>(
    shape: &[usize],
    strides: [&[isize]; K],
) -> (Vec<usize>, [Vec<isize>; K]) {
    let mut s: Vec<usize> = Vec::with_capacity(shape.len());
    let mut st: [Vec<isize>; K] = std::array::from_fn(|_| Vec::with_capacity(shape.len()));
    for d in 0..shape.len() {
        if shape[d] == 1 {
            continue;
        }
        if let Some(&last) = s.last() {
            let n = s.len() - 1;
            if (0..K).all(|k| st[k][n] == strides[k][d] * shape[d] as isize) {
                s[n] = last * shape[d];
                for k in 0..K {
                    st[k][n] = strides[k][d];
                }
                continue;
            }
        }
        s.push(shape[d]);
        for k in 0..K {
            st[k].push(strides[k][d]);
        }
    }
    if s.is_empty() {
        s.push(1);
        for k in 0..K {
            st[k].push(1);
        }
    }
    (s, st)
}

/// Walks the linear index range `[start, end)` of `shape` in row-major order.
/// `f(offsets, len, inner_strides)` is called per run along the last dim.
pub fn for_each_row<const K: usize>(
    shape: &[usize],
    strides: &[Vec<isize>; K],
    start: usize,
    end: usize,
    mut f: impl FnMut([isize; K], usize, [isize; K]),
) {
    if start >= end {
        return;
    }
    let nd = shape.len();
    let inner = shape[nd - 1];
    let inner_st: [isize; K] = std::array::from_fn(|k| strides[k][nd - 1]);
    // multi-index of `start`
    let mut idx = vec![0usize; nd];
    let mut rem = start;
    for d in (0..nd).rev() {
        idx[d] = rem % shape[d];
        rem /= shape[d];
    }
    let mut off: [isize; K] =
        std::array::from_fn(|k| (0..nd).map(|d| idx[d] as isize * strides[k][d]).sum());
    let mut pos = start;
    while pos < end {
        let len = (inner - idx[nd - 1]).min(end - pos);
        f(off, len, inner_st);
        pos += len;
        if pos >= end {
            break;
        }
        // advance to the start of the next row
        for k in 0..K {
            off[k] += len as isize * inner_st[k];
        }
        idx[nd - 1] += len;
        let mut d = nd - 1;
        while idx[d] == shape[d] && d > 0 {
            for k in 0..K {
                off[k] -= shape[d] as isize * strides[k][d];
            }
            idx[d] = 0;
            d -= 1;
            idx[d] += 1;
            for k in 0..K {
                off[k] += strides[k][d];
            }
        }
    }
}

/// Work below this many elements runs on the calling thread.
pub const PARALLEL_THRESHOLD: usize = 1 << 15;

static FORKED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

extern "C" fn mark_forked() {
    FORKED.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// Threads kernels may use. A forked child (DataLoader workers) inherits
/// rayon's pool state but not its threads, so jobs sent there would never
/// run: after a fork every kernel runs on the calling thread, as PyTorch's
/// intra-op pool does.
pub fn threads() -> usize {
    static HANDLER: std::sync::Once = std::sync::Once::new();
    // SAFETY: registering a child handler that only stores to an atomic.
    HANDLER.call_once(|| unsafe {
        libc::pthread_atfork(None, None, Some(mark_forked));
    });
    if FORKED.load(std::sync::atomic::Ordering::Relaxed) {
        1
    } else {
        rayon::current_num_threads()
    }
}

/// True when kernels may split work across threads.
pub fn parallel() -> bool {
    threads() > 1
}

/// Splits `[0, n)` into chunks for rayon when `n` is large; calls `f(start, end)`.
pub fn parallel_ranges(n: usize, f: impl Fn(usize, usize) + Sync) {
    if n < PARALLEL_THRESHOLD || !parallel() {
        f(0, n);
        return;
    }
    let chunks = (threads() * 4).min(n.div_ceil(PARALLEL_THRESHOLD / 2));
    let size = n.div_ceil(chunks);
    rayon::scope(|s| {
        for c in 0..chunks {
            let (a, b) = (c * size, ((c + 1) * size).min(n));
            let f = &f;
            s.spawn(move |_| f(a, b));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_cover_range_in_order() {
        // 2x3 transposed view of a 3x2 contiguous buffer
        let shape = [2usize, 3];
        let st: [&[isize]; 1] = [&[1, 2]];
        let (s, strides) = coalesce(&shape, st);
        let mut seen = vec![];
        for_each_row(&s, &strides, 1, 5, |o, len, ist| {
            for j in 0..len {
                seen.push(o[0] + j as isize * ist[0]);
            }
        });
        assert_eq!(seen, vec![2, 4, 1, 3]);
    }

    #[test]
    fn coalesces_contiguous() {
        let (s, st) = coalesce(&[2, 3, 4], [&[12, 4, 1]]);
        assert_eq!(s, vec![24]);
        assert_eq!(st[0], vec![1]);
    }
}
