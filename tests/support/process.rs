//! Processes started by tests. A [`Process`] owns its child and kills it by PID when dropped,
//! so a failing assertion never leaves a server, operator or kubectl running.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// A running child process; SIGKILLed by PID and reaped when dropped (also while a test
/// panics), unless it already exited.
pub struct Process {
    name: String,
    child: Child,
    /// Standard output line by line, once [`Process::line_after`] started reading it.
    lines: Option<Receiver<String>>,
}

impl Process {
    /// Starts `command` (configure its standard streams first); panics naming the program when
    /// it cannot start.
    pub fn spawn(command: &mut Command) -> Process {
        let name = program_name(command.get_program());
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Process {
            name,
            child,
            lines: None,
        }
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Writes `text` to the piped standard input and closes it.
    pub fn write_stdin(&mut self, text: &str) {
        let mut stdin = self.child.stdin.take().expect("stdin is piped");
        // A process may exit before it read everything; its output then says why.
        let _ = stdin.write_all(text.as_bytes());
    }

    /// The rest of the first standard output line that starts with `prefix`, waiting at most
    /// `timeout`; earlier lines are passed over. Standard output (which must be piped) is read
    /// on a thread from the first call on, to its end, so the process never blocks writing it.
    pub fn line_after(&mut self, prefix: &str, timeout: Duration) -> Option<String> {
        if self.lines.is_none() {
            let stdout = self.child.stdout.take().expect("stdout is piped");
            let (tx, rx) = mpsc::channel();
            std::thread::spawn(move || {
                for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                    // The test may have stopped listening; keep draining regardless.
                    let _ = tx.send(line);
                }
            });
            self.lines = Some(rx);
        }
        let lines = self.lines.as_ref()?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return Some(rest.to_string());
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// The exit status if the process has exited.
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.child.try_wait().expect("poll the process")
    }

    /// Waits for the process to exit and collects what is left of its standard output and
    /// error (each empty unless piped).
    pub fn output(&mut self) -> Output {
        let stderr = self.child.stderr.take().map(|mut pipe| {
            std::thread::spawn(move || {
                let mut buffer = Vec::new();
                let _ = pipe.read_to_end(&mut buffer);
                buffer
            })
        });
        let mut stdout = Vec::new();
        if let Some(lines) = self.lines.take() {
            for line in lines {
                stdout.extend_from_slice(line.as_bytes());
                stdout.push(b'\n');
            }
        } else if let Some(mut pipe) = self.child.stdout.take() {
            let _ = pipe.read_to_end(&mut stdout);
        }
        let status = self
            .child
            .wait()
            .unwrap_or_else(|e| panic!("wait for {}: {e}", self.name));
        let stderr = stderr
            .map(|reader| reader.join().unwrap_or_default())
            .unwrap_or_default();
        Output {
            status,
            stdout,
            stderr,
        }
    }

    /// SIGKILL by PID, then reap; nothing when the process already exited.
    pub fn kill(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }

    /// SIGTERM by PID, like Ctrl-C; waits up to `grace` for the exit, then kills. The exit
    /// status when the process stopped on its own.
    pub fn terminate(&mut self, grace: Duration) -> Option<ExitStatus> {
        if let Some(status) = self.try_wait() {
            return Some(status);
        }
        // The kill(1) utility, with the PID as its argument: the workspace forbids unsafe code.
        let sent = Command::new("kill")
            .args(["-TERM", &self.id().to_string()])
            .status()
            .is_ok_and(|status| status.success());
        let deadline = Instant::now() + grace;
        while sent && Instant::now() < deadline {
            if let Some(status) = self.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
        None
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The file name of a program, for messages.
fn program_name(program: &OsStr) -> String {
    Path::new(program)
        .file_name()
        .unwrap_or(program)
        .to_string_lossy()
        .into_owned()
}

/// Standard output piped, standard error to `log` (a file that keeps what the process said).
pub fn stdout_piped_stderr_to<'a>(command: &'a mut Command, log: &Path) -> &'a mut Command {
    let file = std::fs::File::create(log)
        .unwrap_or_else(|e| panic!("create log file {}: {e}", log.display()));
    command.stdout(Stdio::piped()).stderr(Stdio::from(file))
}
