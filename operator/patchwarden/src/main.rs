//! The `patchwarden` command line: one subcommand per module under `cli/`.

fn main() -> std::process::ExitCode {
    patchwarden::cli::main()
}
