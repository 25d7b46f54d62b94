//! The `patchwarden` command line: one subcommand per module under `cli/`.

/// mimalloc instead of the system allocator: the controllers and the control plane allocate
/// from many threads, and glibc's allocator spent a third of the operator's CPU at fleet scale
/// and kept freed memory fragmented across its arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // No transparent huge pages: mimalloc asks for them, and a 2 MB page a few objects keep
    // alive stays resident whole. At 10,000 assets the operator and the control plane held
    // 420 MB in them and peaked 85 MB higher than without, for no gain in CPU time.
    // Kernels without the setting are left alone.
    let _ = rustix::thread::disable_transparent_huge_pages(true);
    patchwarden::cli::main()
}
