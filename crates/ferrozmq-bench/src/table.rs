//! A table of results, printed as aligned text for the terminal or written as Markdown.

/// One cell: its text, and whether it marks a result to look at (ferrozmq behind libzmq).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cell {
    /// What the cell says.
    pub text: String,
    /// Drawn bold in Markdown and starred in text.
    pub flagged: bool,
}

impl Cell {
    /// A plain cell.
    pub fn plain(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            flagged: false,
        }
    }

    /// A cell that is flagged when `flagged` holds.
    pub fn flagged_if(text: impl Into<String>, flagged: bool) -> Cell {
        Cell {
            text: text.into(),
            flagged,
        }
    }
}

/// Columns with headers; the first `label_columns` are labels (left-aligned), the rest
/// numbers (right-aligned).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Table {
    /// Column titles.
    pub headers: Vec<String>,
    /// How many leading columns are labels.
    pub label_columns: usize,
    /// The rows, each as long as `headers`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these headers.
    pub fn new(headers: &[&str], label_columns: usize) -> Table {
        Table {
            headers: headers.iter().map(|h| h.to_string()).collect(),
            label_columns,
            rows: Vec::new(),
        }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<Cell>) {
        self.rows.push(row);
    }

    /// Aligned plain text; flagged cells end in `*`.
    pub fn to_text(&self) -> String {
        let texts: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .map(|cell| {
                        if cell.flagged {
                            format!("{}*", cell.text)
                        } else {
                            cell.text.clone()
                        }
                    })
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = (0..self.headers.len())
            .map(|column| {
                texts
                    .iter()
                    .filter_map(|row| row.get(column))
                    .chain(std::iter::once(&self.headers[column]))
                    .map(|text| text.chars().count())
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |cells: &[String]| -> String {
            let padded: Vec<String> = cells
                .iter()
                .zip(&widths)
                .enumerate()
                .map(|(column, (text, &width))| {
                    if column < self.label_columns {
                        format!("{text:<width$}")
                    } else {
                        format!("{text:>width$}")
                    }
                })
                .collect();
            padded.join("  ").trim_end().to_string()
        };
        let mut out = line(&self.headers);
        out.push('\n');
        for row in &texts {
            out.push_str(&line(row));
            out.push('\n');
        }
        out
    }

    /// A GitHub-flavoured Markdown table; flagged cells are bold.
    pub fn to_markdown(&self) -> String {
        let row = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
        let mut out = row(self.headers.clone());
        out.push_str(&row((0..self.headers.len())
            .map(|column| {
                if column < self.label_columns {
                    "---".to_string()
                } else {
                    "---:".to_string()
                }
            })
            .collect()));
        for cells in &self.rows {
            out.push_str(&row(cells
                .iter()
                .map(|cell| {
                    let text = cell.text.replace('|', "\\|");
                    if cell.flagged {
                        format!("**{text}**")
                    } else {
                        text
                    }
                })
                .collect()));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut table = Table::new(&["transport", "size", "msgs/s", "ratio"], 2);
        table.push(vec![
            Cell::plain("tcp"),
            Cell::plain("64 B"),
            Cell::plain("2.31 M"),
            Cell::flagged_if("0.85×", true),
        ]);
        table.push(vec![
            Cell::plain("inproc"),
            Cell::plain("1 MiB"),
            Cell::plain("512"),
            Cell::plain("1.20×"),
        ]);
        table
    }

    #[test]
    fn text_aligns_labels_left_and_numbers_right() {
        let expected = "\
transport  size   msgs/s   ratio
tcp        64 B   2.31 M  0.85×*
inproc     1 MiB     512   1.20×
";
        assert_eq!(sample().to_text(), expected);
    }

    #[test]
    fn markdown_marks_number_columns_and_bolds_flags() {
        let expected = "\
| transport | size | msgs/s | ratio |
| --- | --- | ---: | ---: |
| tcp | 64 B | 2.31 M | **0.85×** |
| inproc | 1 MiB | 512 | 1.20× |
";
        assert_eq!(sample().to_markdown(), expected);
    }

    #[test]
    fn markdown_escapes_pipes() {
        let mut table = Table::new(&["a"], 1);
        table.push(vec![Cell::plain("x|y")]);
        assert!(table.to_markdown().contains("x\\|y"));
    }
}
