//! Number formatting shared by the Markdown reports.

/// `v` with `decimals` digits, or `–` when there is no value (e.g. no validation split).
pub(crate) fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.decimals$}"))
}

/// A Markdown table: the header row, the separator, then one row per entry of `rows`.
pub(crate) fn markdown_table<R: IntoIterator<Item = String>>(
    header: &[&str],
    rows: impl IntoIterator<Item = R>,
) -> String {
    let line = |cells: Vec<String>| format!("| {} |\n", cells.join(" | "));
    let mut table = line(header.iter().map(|h| h.to_string()).collect());
    table.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in rows {
        table.push_str(&line(row.into_iter().collect()));
    }
    table
}
