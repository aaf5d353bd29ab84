//! Random bytes for guests (`getrandom`, `/dev/urandom`, `AT_RANDOM`).

/// Fills `buf` from the host's random source.
pub fn fill(buf: &mut [u8]) {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: the pointer and length describe the unfilled tail of `buf`.
        let r = unsafe { libc::getrandom(buf[done..].as_mut_ptr().cast(), buf.len() - done, 0) };
        if r <= 0 {
            continue;
        }
        done += r as usize;
    }
}
