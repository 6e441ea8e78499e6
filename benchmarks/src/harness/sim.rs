//! A simulator served in a process of its own (`benchmarks sim VENDOR ...`, the code of
//! `incident-sim`): the variables it prints, its counters, and its CPU time, which the
//! harness reads around each client's walk to show who set the pace.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde::Deserialize;

use super::Environment;
use crate::cpu::Threads;

/// A running simulator process; dropping it stops it.
pub(crate) struct SimProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// `NAME=value` lines printed before `READY`, e.g. `QRADAR_URL`.
    variables: Vec<(String, String)>,
}

/// The simulator's counters, asked on its standard input (which opens no connection).
#[derive(Debug, Clone, Copy, Deserialize)]
pub(crate) struct SimStats {
    /// TCP connections accepted so far.
    pub(crate) connections_accepted: u64,
    /// HTTP requests answered so far.
    pub(crate) requests_served: u64,
}

impl SimProcess {
    /// Starts `benchmarks sim ARGS...` and waits until it listens.
    pub(crate) fn start(env: &Environment, args: &[String]) -> Result<SimProcess, String> {
        let mut child = Command::new(&env.exe)
            .arg("sim")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start the simulator {args:?}: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err("the simulator's standard streams are missing".to_owned());
        };
        let mut sim = SimProcess {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            variables: Vec::new(),
        };
        loop {
            let line = sim.read_line()?;
            if line == "READY" {
                return Ok(sim);
            }
            if let Some((name, value)) = line.split_once('=') {
                sim.variables.push((name.to_owned(), value.to_owned()));
            }
        }
    }

    /// A variable the simulator printed, e.g. `QRADAR_URL`.
    pub(crate) fn var(&self, name: &str) -> Result<String, String> {
        self.variables
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("the simulator printed no {name}"))
    }

    fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the simulator exited".to_owned()),
            Ok(_) => Ok(line.trim_end().to_owned()),
            Err(e) => Err(format!("cannot read from the simulator: {e}")),
        }
    }

    /// The counters so far.
    pub(crate) fn stats(&mut self) -> Result<SimStats, String> {
        self.stdin
            .write_all(b"stats\n")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("cannot write to the simulator: {e}"))?;
        let line = self.read_line()?;
        serde_json::from_str(&line).map_err(|e| format!("unreadable simulator stats {line:?}: {e}"))
    }

    /// The CPU time of the simulator's threads so far.
    pub(crate) fn cpu(&self) -> Threads {
        Threads::read(self.child.id())
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.stdin.write_all(b"quit\n");
        let _ = self.stdin.flush();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
