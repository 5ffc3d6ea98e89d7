use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;

mod cli;

/// The system allocator, except that an allocation that fails ends the
/// process with a message and exit code 1 instead of an abort (exit 134):
/// the memory check before each command covers what it can estimate, and
/// this covers the rest (an address-space limit met by thread stacks or
/// allocator arenas).
struct ExitOnOutOfMemory;

// SAFETY: every call is passed on to `System` unchanged; only a null
// result, which callers would otherwise hand to the abort handler, ends the
// process instead.
unsafe impl GlobalAlloc for ExitOnOutOfMemory {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` is passed on.
        checked(unsafe { System.alloc(layout) }, layout.size())
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc_zeroed` is passed on.
        checked(unsafe { System.alloc_zeroed(layout) }, layout.size())
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract for `realloc` is passed on.
        checked(unsafe { System.realloc(ptr, layout, new_size) }, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract for `dealloc` is passed on.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: ExitOnOutOfMemory = ExitOnOutOfMemory;

/// `ptr`, unless it is null: then a message and exit 1, allocating nothing.
fn checked(ptr: *mut u8, size: usize) -> *mut u8 {
    if ptr.is_null() {
        out_of_memory(size);
    }
    ptr
}

fn out_of_memory(size: usize) -> ! {
    // The size in decimal, written into a buffer on the stack.
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut n = size;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let parts: [&[u8]; 3] = [
        b"error: out of memory: an allocation of ",
        &digits[at..],
        b" bytes failed (free memory, or a cgroup or `ulimit -v` limit); ask for fewer runs \
          or threads, or raise the limit\n",
    ];
    #[cfg(unix)]
    for part in parts {
        // SAFETY: writes a buffer we own to stderr, then ends the process
        // at once, without running destructors that might allocate. A
        // staging directory left behind is removed by the next command
        // on the same --out (its lock is released with the process).
        unsafe {
            libc::write(2, part.as_ptr().cast(), part.len());
        }
    }
    #[cfg(unix)]
    // SAFETY: see above; `_exit` has no preconditions.
    unsafe {
        libc::_exit(1)
    }
    #[cfg(not(unix))]
    {
        let _ = parts;
        std::process::exit(1)
    }
}

use clap::Parser;
use cli::Cli;

fn main() -> ExitCode {
    restore_sigpipe();
    one_arena_under_an_address_space_limit();
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Under an address-space limit (`ulimit -v`, as batch schedulers set it),
/// has glibc's malloc serve every thread from one arena. By default each
/// thread that allocates gets an arena of its own, and each reserves 64 MiB
/// of address space however little it holds: three of them took most of a
/// 250 MB limit, and commands whose estimate fitted ran out of memory. The
/// hot loops do not allocate, so one arena costs them nothing.
fn one_arena_under_an_address_space_limit() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if nexus_mc::limits::address_space_limit().is_some() {
        // SAFETY: called in main before any other thread exists; mallopt
        // only sets a tuning parameter of the allocator.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

/// Lets a closed pipe (`nexus-mc run | head -1`) end the process quietly, as
/// for other Unix tools, instead of a panic when printing fails. Outputs are
/// written atomically, so nothing is left half-written.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; setting a
    // signal's disposition to the default has no other precondition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
