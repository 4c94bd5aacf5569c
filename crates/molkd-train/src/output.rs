//! Writing a command's output file safely: never over one of its inputs, and atomically (a
//! temporary file in the same directory, renamed over the output only once complete), so a run
//! that fails leaves an existing output as it was.

use std::borrow::Cow;
use std::io::{BufWriter, Write};
use std::path::Path;

use crate::error::{Result, TrainError};

/// Whether `a` and `b` name the same existing file (also through links or `..`).
pub fn same_file(a: &Path, b: &Path) -> bool {
    let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        ma.dev() == mb.dev() && ma.ino() == mb.ino()
    }
    #[cfg(not(unix))]
    {
        let _ = (ma, mb);
        matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(x), Ok(y)) if x == y
        )
    }
}

/// Refuses an output path that is one of the command's inputs.
pub fn refuse_overwriting_inputs(output: &Path, inputs: &[&Path]) -> Result<()> {
    match inputs.iter().find(|input| same_file(output, input)) {
        Some(input) => Err(TrainError::Invalid(format!(
            "the output {} is the input {}: writing it would destroy the input; choose \
             another output path",
            output.display(),
            input.display()
        ))),
        None => Ok(()),
    }
}

/// Runs `write` on a temporary file beside `output` and, when it succeeds, renames that file
/// over `output`; on error `output` is left as it was. `inputs` are the command's input files:
/// an `output` that is one of them is refused before anything is written.
pub fn write_output<T>(
    output: &Path,
    inputs: &[&Path],
    write: impl FnOnce(&mut dyn Write) -> Result<T>,
) -> Result<T> {
    refuse_overwriting_inputs(output, inputs)?;
    let io = |source| TrainError::Io {
        path: output.to_path_buf(),
        source,
    };
    let dir = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".molkd-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    let mut writer = BufWriter::new(tmp);
    let value = write(&mut writer)?;
    let tmp = writer.into_inner().map_err(|e| io(e.into_error()))?;
    tmp.as_file().sync_all().map_err(io)?;
    tmp.persist(output).map_err(|e| io(e.error))?;
    Ok(value)
}

/// A CSV cell made safe to open in a spreadsheet (OWASP's advice on CSV injection): text that
/// starts with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so it is
/// shown as text rather than run as a formula. Numbers (`-0.25`) are left alone. molkd writes
/// input SMILES and error messages back into its CSV outputs, and a SMILES cell of an
/// untrusted file can be any text.
///
/// ```
/// use molkd_train::output::spreadsheet_safe;
/// assert_eq!(spreadsheet_safe("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(spreadsheet_safe("-0.25"), "-0.25");
/// assert_eq!(spreadsheet_safe("CCO"), "CCO");
/// ```
pub fn spreadsheet_safe(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}
