//! The allocator's side of the operating system.

/// Hands memory the allocator holds free back to the operating system (glibc keeps what a
/// thread freed in that thread's arena, so a burst of allocation stays resident). Elsewhere
/// the allocator decides alone.
pub(crate) fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks the allocator's own free lists, under its locks.
    unsafe {
        libc::malloc_trim(0);
    }
}
