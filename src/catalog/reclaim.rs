//! Handing freed memory back to the operating system after the catalog lets go of much of it
//! at once: an old base after a rebuild, the temporaries of the start-up load. How to do that
//! is the global allocator's business, which the library does not choose, so the binary
//! installs a hook (for mimalloc, in `main.rs`); without one this does nothing.

use std::sync::OnceLock;

static HOOK: OnceLock<fn()> = OnceLock::new();

/// Installs `hook`, run on the catalog's thread after it released a large amount of memory.
/// The first hook installed stays.
pub fn install(hook: fn()) {
    let _ = HOOK.set(hook);
}

/// Runs the installed hook, if any.
pub(super) fn now() {
    if let Some(hook) = HOOK.get() {
        hook();
    }
}
