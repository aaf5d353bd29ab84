//! The few host calls the kernel makes for time accounting.

/// Reads host clock `id` into `ts`; false if the host refused.
pub fn host_clock_gettime(id: i32, ts: &mut libc::timespec) -> bool {
    // SAFETY: ts is a valid, writable timespec.
    unsafe { libc::clock_gettime(id, ts) == 0 }
}

/// Fills `ru` with the calling host thread's resource usage.
pub fn host_thread_rusage(ru: &mut std::mem::MaybeUninit<libc::rusage>) {
    // SAFETY: ru points to writable storage for one rusage.
    unsafe { libc::getrusage(libc::RUSAGE_THREAD, ru.as_mut_ptr()) };
}

/// The value of a zero-initialised (and possibly filled) rusage.
pub fn rusage_value(ru: std::mem::MaybeUninit<libc::rusage>) -> libc::rusage {
    // SAFETY: the storage was zero-initialised (MaybeUninit::zeroed), and
    // all-zero is a valid rusage; getrusage only writes valid values.
    unsafe { ru.assume_init() }
}
