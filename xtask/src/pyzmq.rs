//! `cargo xtask pyzmq --prefix DIR`: pyzmq built from its source distribution against
//! the libzmq in DIR (`ZMQ_PREFIX=DIR pip install --no-binary pyzmq pyzmq`, done as a
//! wheel build plus an install so the wheel can be kept), in a venv of its own, then
//! imported: which libzmq it loaded, which version it reports, and which `zmq_*`
//! functions it needs that DIR's library lacks.
//!
//! The wheel is cached under the cache directory, keyed by DIR's path, the Python
//! version and the pyzmq version asked for: it links to `DIR/lib/libzmq.so.5` by path,
//! not to its content, so restaging a new library into DIR needs no rebuild.

use crate::cc::{output, succeed};
use crate::paths::{cache_dir, create_dir, fingerprint, target_dir};
use crate::Result;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// What building and importing pyzmq showed.
#[derive(Debug)]
pub struct Report {
    /// The wheel installed.
    pub wheel: PathBuf,
    /// Time the wheel took to build (`None`: taken from the cache).
    pub build_time: Option<Duration>,
    /// The venv's Python.
    pub python: PathBuf,
    /// What the import printed, or why it failed.
    pub import: std::result::Result<String, String>,
    /// `zmq_*` functions pyzmq's extension modules need that the library does not export.
    pub missing: BTreeSet<String>,
}

/// Python to use: `PYTHON`, else `python3`.
fn python() -> Command {
    Command::new(std::env::var_os("PYTHON").unwrap_or_else(|| "python3".into()))
}

/// Builds (or reuses) the wheel, installs it into a venv and imports it.
pub fn build(prefix: &Path) -> Result<Report> {
    let prefix = crate::paths::absolute(prefix);
    let version = succeed(python().args(["-c", "import sys; print(sys.version.split()[0])"]))?;
    let requirement = match std::env::var("PYZMQ_VERSION") {
        Ok(v) if !v.is_empty() => format!("pyzmq=={v}"),
        _ => "pyzmq".to_string(),
    };
    let key = fingerprint([
        prefix.to_string_lossy().as_bytes(),
        version.trim().as_bytes(),
        requirement.as_bytes(),
    ]);
    let venv = target_dir().join("pyzmq").join(&key).join("venv");
    let venv_python = venv.join("bin/python");
    if !venv_python.exists() {
        succeed(python().args(["-m", "venv"]).arg(&venv))?;
    }
    let wheels = cache_dir().join("pyzmq").join(&key);
    create_dir(&wheels)?;
    let mut build_time = None;
    if find_wheel(&wheels).is_none() {
        let started = Instant::now();
        succeed(
            Command::new(&venv_python)
                .args([
                    "-m",
                    "pip",
                    "wheel",
                    "--no-deps",
                    "--no-cache-dir",
                    "--no-binary",
                    "pyzmq",
                    "-w",
                ])
                .arg(&wheels)
                .arg(&requirement)
                .env("ZMQ_PREFIX", &prefix),
        )?;
        build_time = Some(started.elapsed());
    }
    let wheel = find_wheel(&wheels).ok_or("pip built no pyzmq wheel")?;
    succeed(
        Command::new(&venv_python)
            .args([
                "-m",
                "pip",
                "install",
                "--no-index",
                "--no-deps",
                "--force-reinstall",
            ])
            .arg(&wheel),
    )?;

    let script = "import sys\n\
        try:\n    import zmq\n\
        except ImportError as e:\n    print(e); sys.exit(3)\n\
        maps = open('/proc/self/maps').read().splitlines()\n\
        loaded = sorted({l.split()[-1] for l in maps if 'libzmq' in l})\n\
        print('pyzmq', zmq.pyzmq_version(), 'reports libzmq', zmq.zmq_version(), 'loaded', ' '.join(loaded))\n";
    let ran = output(Command::new(&venv_python).args(["-c", script]))?;
    let printed = String::from_utf8_lossy(&ran.stdout).trim().to_string();
    let import = if ran.status.success() {
        Ok(printed)
    } else {
        Err(format!(
            "{printed}{}",
            String::from_utf8_lossy(&ran.stderr).trim()
        ))
    };
    let missing = missing_symbols(&venv, &prefix)?;
    Ok(Report {
        wheel,
        build_time,
        python: venv_python,
        import,
        missing,
    })
}

fn find_wheel(dir: &Path) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("pyzmq-") && n.ends_with(".whl"))
        })
}

/// The `zmq_*` symbols pyzmq's compiled modules import that the library does not define.
fn missing_symbols(venv: &Path, prefix: &Path) -> Result<BTreeSet<String>> {
    let defined: BTreeSet<String> = symbols(&prefix.join("lib/libzmq.so.5"), "--defined-only")?;
    let mut needed = BTreeSet::new();
    let mut stack = vec![venv.join("lib")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
            if path.is_dir() {
                stack.push(path);
            } else if path.to_string_lossy().contains("/zmq/")
                && path.extension().is_some_and(|e| e == "so")
            {
                needed.extend(symbols(&path, "--undefined-only")?);
            }
        }
    }
    Ok(needed.difference(&defined).cloned().collect())
}

/// The `zmq_*` dynamic symbols of a shared object, as `nm -D <which>` lists them.
fn symbols(file: &Path, which: &str) -> Result<BTreeSet<String>> {
    if !file.exists() {
        return Ok(BTreeSet::new());
    }
    Ok(succeed(Command::new("nm").args(["-D", which]).arg(file))?
        .lines()
        .filter_map(|line| line.split_whitespace().last())
        .filter(|name| name.starts_with("zmq_"))
        .map(str::to_string)
        .collect())
}
