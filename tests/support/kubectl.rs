//! The real kubectl: `$KUBECTL`, or `kubectl` on the PATH. Each [`Kubectl`] has its own HOME
//! and discovery cache (`KUBECACHEDIR`), so no test reads another's cache or the user's
//! configuration; the kubeconfig is passed in `KUBECONFIG`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::process::Process;

/// kubectl bound to one kubeconfig and one private HOME.
pub struct Kubectl {
    binary: PathBuf,
    kubeconfig: PathBuf,
    home: PathBuf,
}

/// What one kubectl invocation did.
pub struct KubectlOutput {
    pub success: bool,
    pub stdout: String,
    pub stderr: String,
}

impl Kubectl {
    /// kubectl for `kubeconfig`, with `home` (created here) as its HOME and cache.
    pub fn new(kubeconfig: &Path, home: &Path) -> Kubectl {
        std::fs::create_dir_all(home).expect("kubectl home");
        let binary = std::env::var_os("KUBECTL")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("kubectl"));
        Kubectl {
            binary,
            kubeconfig: kubeconfig.to_path_buf(),
            home: home.to_path_buf(),
        }
    }

    /// The command with this kubeconfig, HOME and cache; standard output and error piped.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", &self.home)
            .env("KUBECACHEDIR", self.home.join(".kube/cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Runs kubectl to its end, with `input` on standard input.
    pub fn run(&self, args: &[&str], input: Option<&str>) -> KubectlOutput {
        let mut command = self.command(args);
        if input.is_some() {
            command.stdin(Stdio::piped());
        }
        let mut process = Process::spawn(&mut command);
        if let Some(text) = input {
            process.write_stdin(text);
        }
        let output = process.output();
        KubectlOutput {
            success: output.status.success(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Standard output, or `Err` with the arguments and everything kubectl printed.
    pub fn try_ok(&self, args: &[&str]) -> Result<String, String> {
        let out = self.run(args, None);
        if out.success {
            Ok(out.stdout)
        } else {
            Err(format!(
                "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
                out.stdout, out.stderr
            ))
        }
    }

    /// Standard output; panics when kubectl fails.
    pub fn ok(&self, args: &[&str]) -> String {
        self.try_ok(args).unwrap_or_else(|e| panic!("{e}"))
    }

    /// Standard output of kubectl reading `input`; panics when it fails.
    pub fn ok_stdin(&self, args: &[&str], input: &str) -> String {
        let out = self.run(args, Some(input));
        assert!(
            out.success,
            "kubectl {args:?} failed:\nstdout: {}\nstderr: {}",
            out.stdout, out.stderr
        );
        out.stdout
    }

    /// Standard error; panics when kubectl succeeds.
    pub fn fails(&self, args: &[&str]) -> String {
        self.expect_failure(args, None)
    }

    /// Standard error of kubectl reading `input`; panics when it succeeds.
    pub fn fails_stdin(&self, args: &[&str], input: &str) -> String {
        self.expect_failure(args, Some(input))
    }

    fn expect_failure(&self, args: &[&str], input: Option<&str>) -> String {
        let out = self.run(args, input);
        assert!(
            !out.success,
            "kubectl {args:?} unexpectedly succeeded: {}",
            out.stdout
        );
        out.stderr
    }

    /// `kubectl apply -f -` of YAML text; panics when it fails.
    pub fn apply(&self, yaml: &str) -> String {
        self.ok_stdin(&["apply", "-f", "-"], yaml)
    }

    /// `kubectl get <what> -o json`, parsed; `None` when kubectl fails.
    pub fn get_json(&self, what: &[&str]) -> Option<Value> {
        let mut args = vec!["get"];
        args.extend_from_slice(what);
        args.extend_from_slice(&["-o", "json"]);
        let text = self.try_ok(&args).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Starts kubectl in the background (`wait`, `delete` of an object with finalizers,
    /// `get --watch`); killed when the returned process drops.
    pub fn spawn(&self, args: &[&str]) -> Process {
        Process::spawn(&mut self.command(args))
    }
}
