//! Standalone entry point of the embedded control plane, used where it must run as its own
//! process (crash tests, benchmarks). `patchwarden apiserver` is the user-facing command.
//!
//! Usage: `patchwarden-apiserver --data DIR [--listen ADDR] [--tls] [--sync full|normal]`

use std::process::ExitCode;

use patchwarden_apiserver::{Config, SyncMode};

fn parse(args: &[String]) -> Result<Config, String> {
    let mut data = None;
    let mut listen = None;
    let mut tls = false;
    let mut sync = SyncMode::Full;
    let mut i = 0;
    while i < args.len() {
        let value = |i: usize| {
            args.get(i + 1)
                .cloned()
                .ok_or_else(|| format!("{} needs a value", args[i]))
        };
        match args[i].as_str() {
            "--data" => {
                data = Some(value(i)?);
                i += 1;
            }
            "--listen" => {
                let v = value(i)?;
                listen = Some(v.parse().map_err(|e| format!("--listen {v:?}: {e}"))?);
                i += 1;
            }
            "--sync" => {
                sync = match value(i)?.as_str() {
                    "full" => SyncMode::Full,
                    "normal" => SyncMode::Normal,
                    other => return Err(format!("--sync {other:?}: expected full or normal")),
                };
                i += 1;
            }
            "--tls" => tls = true,
            other => return Err(format!("unknown argument {other:?}")),
        }
        i += 1;
    }
    let mut config = Config::new(data.ok_or("--data DIR is required")?);
    if let Some(l) = listen {
        config.listen = l;
    }
    config.tls = tls;
    config.sync = sync;
    Ok(config)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(patchwarden_apiserver::run_until_signal(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
