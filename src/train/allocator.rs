//! Keeping glibc's allocator from returning training buffers to the OS after every step.
//!
//! A training step allocates and frees the same large activation and gradient buffers (tens of
//! MiB at batch 256) again and again. glibc serves blocks above its mmap threshold with fresh
//! `mmap`s and trims the heap top eagerly, so every step pays for page faults and zeroing of
//! new pages — about a third of the step time on ai85net5. Raising the thresholds once at
//! start-up lets freed blocks be reused. Other platforms' allocators are left alone. Owns only
//! this process-wide setting; must not be called from library code paths other than the entry
//! points of long training or benchmarking work.

/// Tune the process allocator for training (idempotent; a no-op outside glibc).
pub fn tune_for_training() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        const M_TRIM_THRESHOLD: libc::c_int = -1;
        const M_TOP_PAD: libc::c_int = -2;
        const M_MMAP_THRESHOLD: libc::c_int = -3;
        // SAFETY: mallopt only changes allocator parameters; it is safe to call at any time.
        unsafe {
            libc::mallopt(M_MMAP_THRESHOLD, 256 << 20);
            libc::mallopt(M_TRIM_THRESHOLD, 1 << 30);
            libc::mallopt(M_TOP_PAD, 64 << 20);
        }
    }
}
