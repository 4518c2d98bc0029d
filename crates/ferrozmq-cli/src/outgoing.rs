//! The messages a sending command sends: the `--send` values in turn, or the lines of
//! standard input.

use crate::error::CliError;
use std::io::{self, BufRead, StdinLock};

/// The messages still to send, in order.
pub enum Outgoing {
    /// The `--send` values, cycling; `remaining` counts what is left to send.
    Values {
        /// The values, at least one.
        values: Vec<Vec<u8>>,
        /// Index of the next value.
        next: usize,
        /// How many messages are still to be sent.
        remaining: u64,
    },
    /// Lines of standard input, up to `remaining` of them when a count was given.
    Lines {
        /// Standard input.
        input: StdinLock<'static>,
        /// How many more lines may be sent, if limited.
        remaining: Option<u64>,
    },
}

impl Outgoing {
    /// The messages for `--send` values `values` (standard input when there are none) and
    /// `--count` `count`: without a count, each value goes once, or every line.
    pub fn new(values: Vec<Vec<u8>>, count: Option<u64>) -> Outgoing {
        if values.is_empty() {
            Outgoing::Lines {
                input: io::stdin().lock(),
                remaining: count,
            }
        } else {
            let remaining = count.unwrap_or(values.len() as u64);
            Outgoing::Values {
                values,
                next: 0,
                remaining,
            }
        }
    }
}

impl Iterator for Outgoing {
    type Item = Result<Vec<u8>, CliError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Outgoing::Values {
                values,
                next,
                remaining,
            } => {
                *remaining = remaining.checked_sub(1)?;
                let value = values.get(*next)?.clone();
                *next = (*next + 1) % values.len();
                Some(Ok(value))
            }
            Outgoing::Lines { input, remaining } => {
                if let Some(remaining) = remaining {
                    *remaining = remaining.checked_sub(1)?;
                }
                read_line(input).transpose()
            }
        }
    }
}

/// The next line without its line ending, or `None` at the end of the input.
fn read_line(input: &mut impl BufRead) -> Result<Option<Vec<u8>>, CliError> {
    let mut line = Vec::new();
    let read = input
        .read_until(b'\n', &mut line)
        .map_err(|e| CliError::failed(format!("cannot read standard input: {e}")))?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    Ok(Some(line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(values: &[&str], count: Option<u64>) -> Vec<String> {
        let values = values.iter().map(|v| v.as_bytes().to_vec()).collect();
        Outgoing::new(values, count)
            .map(|m| match m {
                Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
                Err(e) => panic!("{e:?}"),
            })
            .collect()
    }

    #[test]
    fn values_go_once_each_without_a_count() {
        assert_eq!(sent(&["a", "b"], None), ["a", "b"]);
    }

    #[test]
    fn values_cycle_up_to_the_count() {
        assert_eq!(sent(&["a", "b"], Some(5)), ["a", "b", "a", "b", "a"]);
        assert_eq!(sent(&["a", "b"], Some(1)), ["a"]);
    }

    #[test]
    fn lines_lose_their_endings() {
        let mut input = &b"one\r\ntwo\n\nlast"[..];
        let mut lines = Vec::new();
        while let Ok(Some(line)) = read_line(&mut input) {
            lines.push(line);
        }
        let expected: [&[u8]; 4] = [b"one", b"two", b"", b"last"];
        assert_eq!(lines, expected);
    }
}
