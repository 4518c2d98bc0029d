//! `cargo xtask <task>`: see the library documentation (`xtask/src/lib.rs`) for the tasks.

use std::path::PathBuf;
use std::process::ExitCode;
use xtask::Result;

const USAGE: &str = "\
usage: cargo xtask <task> [options]

  stage --prefix DIR [--profile P]   build libzmq.so.5/libzmq.a (cargo profile P, default
                                     release) and install include/, lib/, lib/pkgconfig/
  libzmq-ref                         build the real libzmq 4.3.4 (draft API) from the vendored
                                     source into the cache; print its prefix
  libzmq-tests --prefix DIR|--ref    run libzmq's test suite against the libzmq in DIR (or the
         [--jobs N] [--run-jobs N]   reference); exit status 1 if a test failed that
         [--verbose] [NAME...]       libzmq-test-suite.txt does not list as known (a
                                     failure is run a second time before it counts);
                                     NAME: only tests whose name contains it
  perf --prefix DIR|--ref            build libzmq's perf tools against the libzmq in DIR
  pyzmq --prefix DIR|--ref           build pyzmq from source against DIR, import it
  check-header                       compare include/zmq.h with libzmq 4.3.4's
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}

/// The command line after the task name.
struct Args {
    prefix: Option<PathBuf>,
    reference: bool,
    profile: String,
    jobs: usize,
    run_jobs: usize,
    verbose: bool,
    names: Vec<String>,
}

fn parse(args: &[String]) -> Result<Args> {
    let mut parsed = Args {
        prefix: None,
        reference: false,
        profile: "release".into(),
        jobs: std::thread::available_parallelism().map_or(2, |n| n.get()),
        run_jobs: 1,
        verbose: false,
        names: Vec::new(),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().cloned().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--prefix" => parsed.prefix = Some(PathBuf::from(value("--prefix")?)),
            "--ref" => parsed.reference = true,
            "--profile" => parsed.profile = value("--profile")?,
            "--jobs" => {
                parsed.jobs = value("--jobs")?
                    .parse()
                    .map_err(|_| "--jobs needs a number")?
            }
            "--run-jobs" => {
                parsed.run_jobs = value("--run-jobs")?
                    .parse()
                    .map_err(|_| "--run-jobs needs a number")?
            }
            "--verbose" => parsed.verbose = true,
            other if other.starts_with('-') => {
                return Err(format!("unknown option {other}\n{USAGE}"))
            }
            name => parsed.names.push(name.to_string()),
        }
    }
    Ok(parsed)
}

impl Args {
    /// The libzmq to work with: `--prefix DIR`, or the reference with `--ref`.
    fn library(&self) -> Result<PathBuf> {
        match (&self.prefix, self.reference) {
            (Some(prefix), false) => Ok(prefix.clone()),
            (None, true) => xtask::reference::build(),
            _ => Err(format!("give --prefix DIR or --ref\n{USAGE}")),
        }
    }
}

fn run(args: &[String]) -> Result<ExitCode> {
    let Some((task, rest)) = args.split_first() else {
        print!("{USAGE}");
        return Ok(ExitCode::from(2));
    };
    let args = parse(rest)?;
    match task.as_str() {
        "stage" => {
            let prefix = args.prefix.as_ref().ok_or("stage needs --prefix DIR")?;
            xtask::stage::stage(prefix, &args.profile)?;
        }
        "libzmq-ref" => println!("{}", xtask::reference::build()?.display()),
        "libzmq-tests" => {
            let options = xtask::suite::Options {
                prefix: args.library()?,
                jobs: args.jobs,
                run_jobs: args.run_jobs,
                filters: args.names.clone(),
                verbose: args.verbose,
            };
            let summary = xtask::suite::run(&options)?;
            print!("{}", xtask::suite::report(&summary));
            // Known failures (the configuration's `known` lines, each with its cause) do not
            // make the run fail; any other failure does.
            if summary.results.iter().any(|r| r.unexpected_failure()) {
                return Ok(ExitCode::from(1));
            }
        }
        "perf" => {
            let prefix = xtask::paths::absolute(&args.library()?);
            let (bin, tools) = xtask::perf::build(&prefix)?;
            println!(
                "perf tools against {} in {}",
                prefix.display(),
                bin.display()
            );
            let mut failed = false;
            for (tool, built) in &tools {
                match built {
                    Ok(_) => println!("  {tool:12} built"),
                    Err(why) => {
                        failed = true;
                        println!("  {tool:12} {why}");
                    }
                }
            }
            println!(
                "run e.g.: LD_LIBRARY_PATH={}/lib {}/inproc_thr 64 1000000",
                prefix.display(),
                bin.display()
            );
            if failed {
                return Ok(ExitCode::from(1));
            }
        }
        "pyzmq" => {
            let report = xtask::pyzmq::build(&args.library()?)?;
            match report.build_time {
                Some(time) => println!(
                    "built {} in {:.1} s",
                    report.wheel.display(),
                    time.as_secs_f64()
                ),
                None => println!("reused {}", report.wheel.display()),
            }
            println!("python: {}", report.python.display());
            match &report.import {
                Ok(text) => println!("import zmq: {text}"),
                Err(error) => println!("import zmq FAILED: {error}"),
            }
            if !report.missing.is_empty() {
                let names: Vec<&str> = report.missing.iter().map(String::as_str).collect();
                println!(
                    "the library lacks {} functions pyzmq uses: {}",
                    names.len(),
                    names.join(" ")
                );
            }
            if report.import.is_err() {
                return Ok(ExitCode::from(1));
            }
        }
        "check-header" => {
            let reference = xtask::vendor::libzmq_source()?.join("include/zmq.h");
            let ours = xtask::paths::workspace_root().join("crates/ferrozmq-ffi/include/zmq.h");
            let mut differences = xtask::header::compare(&reference, &ours)?;
            differences.extend(xtask::header::compiler_complaints(&ours)?);
            if differences.is_empty() {
                println!(
                    "{} declares what libzmq 4.3.4's zmq.h declares",
                    ours.display()
                );
            } else {
                for difference in &differences {
                    println!("{difference}");
                }
                return Ok(ExitCode::from(1));
            }
        }
        other => return Err(format!("unknown task {other}\n{USAGE}")),
    }
    Ok(ExitCode::SUCCESS)
}
