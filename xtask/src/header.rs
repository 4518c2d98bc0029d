//! Compares two `zmq.h` headers the way a C compiler sees them: every macro (names and
//! values, with and without the draft API), every function prototype (names, and types
//! through the compiler's own conflicting-declaration check), and the layout of every
//! struct C code allocates.
//!
//! Values are compared, not spellings: `(ZMQ_HAUSNUMERO + 51)` and `156384763` are the
//! same constant. The compiler evaluates them.

use crate::cc::{c_compiler, cxx_compiler, output, succeed};
use crate::paths::{scratch_dir, write};
use crate::Result;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

/// The system headers `zmq.h` includes: their macros are not the header's own.
const SYSTEM_INCLUDES: &str =
    "#include <errno.h>\n#include <stddef.h>\n#include <stdio.h>\n#include <stdint.h>\n";

/// A macro as `cc -dM` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Macro {
    /// Parameter names of a function-like macro.
    params: Option<Vec<String>>,
    body: String,
}

/// Every difference between `candidate` and `reference`, in words; empty when the
/// candidate declares exactly what the reference does. Fails when a compiler cannot run.
/// (How cleanly the candidate compiles is [`compiler_complaints`]'s to say.)
pub fn compare(reference: &Path, candidate: &Path) -> Result<Vec<String>> {
    let mut differences = Vec::new();
    for draft in [false, true] {
        let mode = if draft { "with" } else { "without" };
        let reference_macros = own_macros(reference, draft)?;
        let candidate_macros = own_macros(candidate, draft)?;
        for name in reference_macros.keys() {
            if !candidate_macros.contains_key(name) {
                differences.push(format!("macro {name} missing ({mode} the draft API)"));
            }
        }
        for name in candidate_macros.keys() {
            if !reference_macros.contains_key(name) {
                differences.push(format!("macro {name} not in libzmq ({mode} the draft API)"));
            }
        }
        let common: Vec<&String> = reference_macros
            .keys()
            .filter(|name| candidate_macros.contains_key(*name))
            .collect();
        let reference_values = values(reference, draft, &common, &reference_macros)?;
        let candidate_values = values(candidate, draft, &common, &candidate_macros)?;
        for name in &common {
            let (want, got) = (&reference_values[*name], &candidate_values[*name]);
            if want != got {
                differences.push(format!(
                    "macro {name} is {got}, libzmq's is {want} ({mode} the draft API)"
                ));
            }
        }
    }

    let reference_prototypes = prototypes(reference)?;
    let candidate_prototypes = prototypes(candidate)?;
    for name in reference_prototypes.keys() {
        if !candidate_prototypes.contains_key(name) {
            differences.push(format!("function {name} not declared"));
        }
    }
    for name in candidate_prototypes.keys() {
        if !reference_prototypes.contains_key(name) {
            differences.push(format!("function {name} not in libzmq"));
        }
    }
    differences.extend(conflicting_prototypes(candidate, &reference_prototypes)?);

    let reference_layouts = layouts(reference)?;
    let candidate_layouts = layouts(candidate)?;
    for (item, want) in &reference_layouts {
        match candidate_layouts.get(item) {
            Some(got) if got == want => {}
            Some(got) => differences.push(format!("{item}: {got:?}, libzmq's is {want:?}")),
            None => differences.push(format!("{item}: missing")),
        }
    }
    Ok(differences)
}

/// Parses `cc -dM` output.
fn parse_macros(listing: &str) -> BTreeMap<String, Macro> {
    listing
        .lines()
        .filter_map(|line| line.strip_prefix("#define "))
        .map(|rest| {
            let name_end = rest.find(['(', ' ']).unwrap_or(rest.len());
            let name = rest[..name_end].to_string();
            let rest = &rest[name_end..];
            if let Some(params) = rest.strip_prefix('(') {
                let close = params.find(')').unwrap_or(params.len());
                let names = params[..close]
                    .split(',')
                    .map(|p| p.trim().to_string())
                    .collect();
                let body = params.get(close + 1..).unwrap_or("").trim().to_string();
                (
                    name,
                    Macro {
                        params: Some(names),
                        body,
                    },
                )
            } else {
                (
                    name,
                    Macro {
                        params: None,
                        body: rest.trim().to_string(),
                    },
                )
            }
        })
        .collect()
}

fn draft_flag(draft: bool) -> &'static [&'static str] {
    if draft {
        &["-DZMQ_BUILD_DRAFT_API"]
    } else {
        &[]
    }
}

/// The macros `header` defines beyond those of the system headers it includes.
fn own_macros(header: &Path, draft: bool) -> Result<BTreeMap<String, Macro>> {
    let scratch = scratch_dir("header-macros")?;
    let baseline = scratch.join("baseline.c");
    write(&baseline, SYSTEM_INCLUDES)?;
    let listing = |file: &Path| {
        succeed(
            c_compiler()
                .args(["-E", "-dM", "-x", "c"])
                .args(draft_flag(draft))
                .arg(file),
        )
    };
    let system = parse_macros(&listing(&baseline)?);
    let mut all = parse_macros(&listing(header)?);
    all.retain(|name, _| !system.contains_key(name));
    Ok(all)
}

/// The value of each macro in `names` as `header` defines it: the number an integer
/// constant evaluates to, the text of a string or empty macro, or the body of a
/// function-like macro with its parameters numbered.
fn values(
    header: &Path,
    draft: bool,
    names: &[&String],
    macros: &BTreeMap<String, Macro>,
) -> Result<BTreeMap<String, String>> {
    let scratch = scratch_dir("header-values")?;
    let header = crate::paths::absolute(header);
    let mut result = BTreeMap::new();

    // What each object-like macro expands to.
    let object_like: Vec<&String> = names
        .iter()
        .copied()
        .filter(|name| macros[*name].params.is_none())
        .collect();
    let mut probe = format!("#include \"{}\"\n", header.display());
    for (i, name) in object_like.iter().enumerate() {
        let _ = writeln!(probe, "@@@ {i} {name}");
    }
    let probe_file = scratch.join("expand.c");
    write(&probe_file, &probe)?;
    let expanded = succeed(
        c_compiler()
            .args(["-E", "-P", "-x", "c"])
            .args(draft_flag(draft))
            .arg(&probe_file),
    )?;
    let mut numbers = Vec::new();
    for line in expanded.lines() {
        let Some(rest) = line.strip_prefix("@@@ ") else {
            continue;
        };
        let (index, expansion) = rest.split_once(' ').unwrap_or((rest, ""));
        let Some(name) = index.parse::<usize>().ok().and_then(|i| object_like.get(i)) else {
            continue;
        };
        let expansion = expansion.trim();
        if expansion.is_empty() || expansion.starts_with('"') {
            result.insert(name.to_string(), format!("`{expansion}`"));
        } else {
            numbers.push(*name);
        }
    }

    // Integer constants, evaluated by the compiler.
    let mut program = format!(
        "#include <stdio.h>\n#include \"{}\"\nint main (void)\n{{\n",
        header.display()
    );
    for name in &numbers {
        let _ = writeln!(
            program,
            "    printf (\"{name} %lld\\n\", (long long) ({name}));"
        );
    }
    program.push_str("    return 0;\n}\n");
    let source = scratch.join("values.c");
    let binary = scratch.join("values");
    write(&source, &program)?;
    succeed(
        c_compiler()
            .args(["-x", "c"])
            .args(draft_flag(draft))
            .arg(&source)
            .arg("-o")
            .arg(&binary),
    )?;
    for line in succeed(&mut std::process::Command::new(&binary))?.lines() {
        if let Some((name, value)) = line.split_once(' ') {
            result.insert(name.to_string(), value.to_string());
        }
    }

    // Function-like macros: the body, parameters replaced by their position.
    for name in names {
        if let Some(params) = &macros[*name].params {
            result.insert(
                name.to_string(),
                positional_body(params, &macros[*name].body),
            );
        }
    }
    Ok(result)
}

/// A macro body with its parameters written `$0`, `$1`... and no whitespace.
fn positional_body(params: &[String], body: &str) -> String {
    let mut out = String::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        match params.iter().position(|p| p == word) {
            Some(i) => {
                let _ = write!(out, "${i}");
            }
            None => out.push_str(word),
        }
        word.clear();
    };
    for c in body.chars() {
        if c.is_alphanumeric() || c == '_' {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            if !c.is_whitespace() {
                out.push(c);
            }
        }
    }
    flush(&mut word, &mut out);
    format!("({}) {out}", params.len())
}

/// Every `zmq_*` function `header` declares (draft API included): name → declaration.
fn prototypes(header: &Path) -> Result<BTreeMap<String, String>> {
    let preprocessed = succeed(
        c_compiler()
            .args(["-E", "-P", "-x", "c", "-DZMQ_BUILD_DRAFT_API"])
            .arg(header),
    )?;
    let text = strip_attributes(&preprocessed);
    let mut declarations = BTreeMap::new();
    let mut depth = 0usize;
    let mut statement = String::new();
    for c in text.chars() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if c == ';' && depth == 0 {
            let declaration = statement.split_whitespace().collect::<Vec<_>>().join(" ");
            statement.clear();
            if declaration.starts_with("typedef") || declaration.contains('{') {
                continue;
            }
            if let Some(name) = function_name(&declaration) {
                if name.starts_with("zmq_") {
                    declarations.insert(name.to_string(), declaration);
                }
            }
        } else {
            statement.push(c);
        }
    }
    Ok(declarations)
}

/// `text` without `__attribute__ ((...))` specifiers.
fn strip_attributes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("__attribute__") {
        out.push_str(&rest[..at]);
        rest = &rest[at + "__attribute__".len()..];
        let mut depth = 0usize;
        let mut end = rest.len();
        for (i, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                c if depth == 0 && !c.is_whitespace() => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The identifier before a declaration's first parenthesis.
fn function_name(declaration: &str) -> Option<&str> {
    let before = declaration[..declaration.find('(')?].trim_end();
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_'))
        .map_or(0, |i| i + 1);
    let name = &before[start..];
    (!name.is_empty()).then_some(name)
}

/// Declares each of libzmq's prototypes after including `candidate`: the compiler
/// rejects any whose types differ ("conflicting types").
fn conflicting_prototypes(
    candidate: &Path,
    reference: &BTreeMap<String, String>,
) -> Result<Vec<String>> {
    let scratch = scratch_dir("header-prototypes")?;
    let mut check = format!(
        "#include \"{}\"\n",
        crate::paths::absolute(candidate).display()
    );
    for declaration in reference.values() {
        let _ = writeln!(check, "{declaration};");
    }
    let file = scratch.join("prototypes.c");
    write(&file, &check)?;
    let result = output(
        c_compiler()
            .args(["-fsyntax-only", "-x", "c", "-DZMQ_BUILD_DRAFT_API"])
            .arg(&file),
    )?;
    Ok(String::from_utf8_lossy(&result.stderr)
        .lines()
        .filter(|line| line.contains("error:"))
        .map(|line| {
            format!(
                "prototype: {}",
                line.split("error:").nth(1).unwrap_or(line).trim()
            )
        })
        .collect())
}

/// Size and alignment of the structs C allocates, offset and size of their fields, as
/// the C compiler lays them out from `header`: `"zmq_pollitem_t.fd" → (offset, size)`,
/// `"zmq_msg_t" → (size, alignment)`.
pub fn layouts(header: &Path) -> Result<BTreeMap<String, (usize, usize)>> {
    let scratch = scratch_dir("header-layouts")?;
    let program = format!(
        r#"#include <stddef.h>
#include <stdio.h>
#include "{}"
#define TYPE(t) printf (#t " %zu %zu\n", sizeof (t), _Alignof (t))
#define FIELD(t, f) printf (#t "." #f " %zu %zu\n", offsetof (t, f), sizeof (((t *) 0)->f))
int main (void)
{{
    TYPE (zmq_msg_t);
    TYPE (zmq_fd_t);
    TYPE (zmq_pollitem_t);
    FIELD (zmq_pollitem_t, socket);
    FIELD (zmq_pollitem_t, fd);
    FIELD (zmq_pollitem_t, events);
    FIELD (zmq_pollitem_t, revents);
    TYPE (zmq_poller_event_t);
    FIELD (zmq_poller_event_t, socket);
    FIELD (zmq_poller_event_t, fd);
    FIELD (zmq_poller_event_t, user_data);
    FIELD (zmq_poller_event_t, events);
    return 0;
}}
"#,
        crate::paths::absolute(header).display()
    );
    let source = scratch.join("layouts.c");
    let binary = scratch.join("layouts");
    write(&source, program)?;
    succeed(
        c_compiler()
            .args(["-std=c11", "-x", "c", "-DZMQ_BUILD_DRAFT_API"])
            .arg(&source)
            .arg("-o")
            .arg(&binary),
    )?;
    let listing = succeed(&mut std::process::Command::new(&binary))?;
    Ok(listing
        .lines()
        .filter_map(|line| {
            let mut words = line.split(' ');
            let item = words.next()?.to_string();
            let a = words.next()?.parse().ok()?;
            let b = words.next()?.parse().ok()?;
            Some((item, (a, b)))
        })
        .collect())
}

/// Warnings a strict C or C++ compiler gives on a program including the header (and
/// `zmq_utils.h` beside it, if there is one): C99 and C++11 with `-Wall -Wextra
/// -Wpedantic -Werror`. (libzmq's own `zmq_utils.h` does not pass: it disables a
/// warning option GCC does not know.)
pub fn compiler_complaints(candidate: &Path) -> Result<Vec<String>> {
    let scratch = scratch_dir("header-strict")?;
    let mut program = format!(
        "#include \"{}\"\n",
        crate::paths::absolute(candidate).display()
    );
    let utils = candidate.with_file_name("zmq_utils.h");
    if utils.is_file() {
        let _ = writeln!(
            program,
            "#include \"{}\"",
            crate::paths::absolute(&utils).display()
        );
    }
    program.push_str("int main (void) { return zmq_errno () == 0 ? 0 : 1; }\n");
    let file = scratch.join("strict.c");
    write(&file, &program)?;
    let strict = ["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-fsyntax-only"];
    let mut complaints = Vec::new();
    let runs: [(&str, std::process::Command, &[&str]); 3] = [
        ("C99", c_compiler(), &["-std=c99", "-x", "c"]),
        (
            "C99, draft API",
            c_compiler(),
            &["-std=c99", "-x", "c", "-DZMQ_BUILD_DRAFT_API"],
        ),
        (
            "C++11, draft API",
            cxx_compiler(),
            &["-std=c++11", "-x", "c++", "-DZMQ_BUILD_DRAFT_API"],
        ),
    ];
    for (language, mut compiler, flags) in runs {
        let result = output(compiler.args(flags).args(strict).arg(&file))?;
        if !result.status.success() {
            complaints.push(format!(
                "a strict {language} compile fails:\n{}",
                String::from_utf8_lossy(&result.stderr)
            ));
        }
    }
    Ok(complaints)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_like_macros_compare_by_shape_not_parameter_names() {
        let a = positional_body(
            &["major".into(), "minor".into()],
            "((major) *100 + (minor))",
        );
        let b = positional_body(&["x".into(), "y".into()], "((x)*100+(y))");
        assert_eq!(a, b);
    }

    #[test]
    fn attributes_are_stripped_and_names_found() {
        let text = "__attribute__ ((visibility (\"default\"))) int zmq_errno (void)";
        let stripped = strip_attributes(text);
        assert_eq!(stripped.trim(), "int zmq_errno (void)");
        assert_eq!(
            function_name("uint8_t *zmq_z85_decode (uint8_t *dest, const char *s)"),
            Some("zmq_z85_decode")
        );
    }

    /// The comparison must see a changed constant, a changed prototype and a missing
    /// declaration, or the header test could pass for a wrong header.
    #[test]
    fn a_header_that_differs_is_caught() {
        let reference = crate::vendor::libzmq_source()
            .unwrap()
            .join("include/zmq.h");
        let original = crate::paths::read(&reference).unwrap();
        let altered = original
            .replace("#define ZMQ_SNDHWM 23", "#define ZMQ_SNDHWM 24")
            .replace(
                "ZMQ_EXPORT int zmq_msg_more (const zmq_msg_t *msg_);",
                "ZMQ_EXPORT long zmq_msg_more (const zmq_msg_t *msg_);",
            )
            .replace("ZMQ_EXPORT void zmq_sleep (int seconds_);", "")
            .replace(
                "#define ZMQ_STREAM 11\n",
                "#define ZMQ_STREAM 11\n#define ZMQ_EXTRA 1\n",
            );
        assert_ne!(original, altered);
        let scratch = scratch_dir("altered-header").unwrap();
        let candidate = scratch.join("zmq.h");
        write(&candidate, altered).unwrap();
        let differences = compare(&reference, &candidate).unwrap();
        let all = differences.join("\n");
        assert!(
            all.contains("macro ZMQ_SNDHWM is 24, libzmq's is 23"),
            "{all}"
        );
        assert!(all.contains("macro ZMQ_EXTRA not in libzmq"), "{all}");
        assert!(all.contains("function zmq_sleep not declared"), "{all}");
        assert!(all.contains("zmq_msg_more"), "{all}");
        assert!(compare(&reference, &reference).unwrap().is_empty());
        // libzmq's zmq_utils.h breaks -Werror builds (an unknown pragma option): the
        // strictness check sees it.
        assert!(!compiler_complaints(&reference).unwrap().is_empty());
    }
}
