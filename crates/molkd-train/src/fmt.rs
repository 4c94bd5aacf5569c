//! Number formatting shared by the Markdown reports.

/// `v` with `decimals` digits, or `–` when there is no value (e.g. no validation split).
pub(crate) fn fmt_opt(v: Option<f64>, decimals: usize) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.decimals$}"))
}
