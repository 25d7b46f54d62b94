//! The `patchwarden` command line: one subcommand per module under `cli/`.

/// mimalloc instead of the system allocator: the controllers and the control plane allocate
/// from many threads, and glibc's allocator spent a third of the operator's CPU at fleet scale
/// and kept freed memory fragmented across its arenas.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    patchwarden::cli::main()
}
