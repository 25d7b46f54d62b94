//! The `patchwarden` command line, built again inside this package for its tests.
//!
//! Cargo hands a test the path of an executable (`CARGO_BIN_EXE_<name>`) only for binaries of
//! the test's own package, and `patchwarden` belongs to `operator/patchwarden`. This target runs
//! the same `patchwarden::cli::main` as that binary; its different name keeps the two output
//! files apart in `target/`. Tests reach it through `support::patchwarden!()`.

fn main() -> std::process::ExitCode {
    patchwarden::cli::main()
}
