//! C programs built against the libraries cargo built (`libzmq.so`, `libzmq.a`), staged
//! into a prefix as `cargo xtask stage` lays them out, and run as C would run them: under
//! valgrind's memcheck when it is installed (CI installs it), so that a leak, a double free
//! or a read of freed memory at the boundary fails the test.

use std::path::{Path, PathBuf};
use std::process::Command;
use xtask::paths::Scratch;

/// Where cargo put the libraries this test run built: `deps/`, beside the test program.
/// `cargo test` builds the library there as this test's dependency and copies it up to
/// the profile directory only when the library itself is what was asked for (`cargo
/// build`), so the copy up there is missing on a fresh clone and may be stale.
fn library_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().to_path_buf()
}

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A prefix holding what cargo built, staged as `cargo xtask stage` stages it.
fn staged() -> Scratch {
    let prefix = xtask::paths::scratch_dir("prefix").unwrap();
    xtask::stage::install(&library_dir(), &prefix).unwrap();
    prefix
}

/// Compiles a C program from `tests/c/` with extra compile and link arguments.
fn compile(name: &str, link: &[&str]) -> (Scratch, PathBuf) {
    let dir = xtask::paths::scratch_dir(name).unwrap();
    let out = dir.join(name);
    let status = Command::new(std::env::var_os("CC").unwrap_or_else(|| "cc".into()))
        .args([
            "-std=c99",
            "-D_POSIX_C_SOURCE=200809L",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-pthread",
            "-DZMQ_BUILD_DRAFT_API",
        ])
        .arg(crate_dir().join("tests/c").join(format!("{name}.c")))
        .args(link)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "{name} does not build");
    (dir, out)
}

fn valgrind_available() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Runs a program, under memcheck when possible; its standard output.
fn run(program: &Path) -> String {
    let mut command = if valgrind_available() {
        let mut valgrind = Command::new("valgrind");
        valgrind.args([
            "--quiet",
            "--error-exitcode=99",
            "--leak-check=full",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite",
        ]);
        valgrind.arg(program);
        valgrind
    } else {
        Command::new(program)
    };
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{} failed ({}):\n{stdout}\n{}",
        program.display(),
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

#[test]
fn message_lifetimes_and_misuse_against_the_shared_library() {
    let output = build_and_run("msg_lifetime");
    assert!(output.starts_with("ok: "), "{output}");
}

#[test]
fn the_static_library_links_with_what_libzmq_pc_lists() {
    let prefix = staged();
    let pc = std::fs::read_to_string(prefix.join("lib/pkgconfig/libzmq.pc")).unwrap();
    let private = pc
        .lines()
        .find_map(|l| l.strip_prefix("Libs.private: "))
        .unwrap();
    let include = format!("-I{}/include", prefix.display());
    let archive = prefix.join("lib/libzmq.a");
    let mut link = vec![include.as_str(), archive.to_str().unwrap()];
    link.extend(private.split_whitespace());
    let (_dir, program) = compile("msg_lifetime", &link);
    let output = Command::new(&program).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_shared_library_is_libzmq_so_5_and_pkg_config_finds_it() {
    let prefix = staged();
    let output = Command::new("readelf")
        .arg("-d")
        .arg(prefix.join("lib/libzmq.so.5"))
        .output()
        .expect("readelf (binutils) is needed");
    let dynamic = String::from_utf8_lossy(&output.stdout);
    assert!(
        dynamic.contains("Library soname: [libzmq.so.5]"),
        "{dynamic}"
    );
    assert_eq!(
        std::fs::read_link(prefix.join("lib/libzmq.so")).unwrap(),
        Path::new("libzmq.so.5")
    );
    if Command::new("pkg-config")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let (version, flags) = xtask::stage::check_pkg_config(&prefix).unwrap();
        assert_eq!(version, "4.3.4");
        assert!(
            flags.contains(&format!("-I{}/include", prefix.display())),
            "{flags}"
        );
        assert!(flags.contains("-lzmq"), "{flags}");
    }
}

/// Builds a program from `tests/c/` against the staged prefix as a C programmer does
/// (`cc prog.c -I... -L... -lzmq`) and runs it.
fn build_and_run(name: &str) -> String {
    let prefix = staged();
    let include = format!("-I{}/include", prefix.display());
    let lib = format!("-L{}/lib", prefix.display());
    let rpath = format!("-Wl,-rpath,{}/lib", prefix.display());
    let (_dir, program) = compile(name, &[&include, &lib, "-lzmq", &rpath]);
    run(&program)
}

#[test]
fn a_req_rep_pair_written_in_c() {
    let output = build_and_run("reqrep");
    assert_eq!(output.trim(), "ok: 200 round trips");
}

#[test]
fn a_pub_sub_pair_written_in_c() {
    let output = build_and_run("pubsub");
    assert!(output.starts_with("ok: 10 weather reports"), "{output}");
}
