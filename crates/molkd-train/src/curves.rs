//! Learning curves as SVG (plotters' SVG back-end; text is left to the viewer's fonts). Built
//! with the `plots` feature (on by default); without it no SVG is written.

use std::path::Path;

#[cfg(feature = "plots")]
use plotters::prelude::*;

use crate::error::{Result, TrainError};

/// One line of a plot.
#[derive(Debug, Clone)]
pub struct Curve {
    /// Legend text.
    pub label: String,
    /// `(epoch, value)` points.
    pub points: Vec<(f64, f64)>,
    /// Colour index (curves sharing one share a colour).
    pub colour: usize,
    /// Drawn thick (e.g. test) rather than thin (e.g. validation).
    pub emphasis: bool,
}

/// Writes `curves` as an SVG line chart to `path` (atomically), titled `title`, y axis
/// `y_label`. Curves without points are left out; no drawable point at all is an error.
/// Without the `plots` feature it checks the points and writes nothing.
pub fn write_learning_curves(
    path: &Path,
    title: &str,
    y_label: &str,
    curves: &[Curve],
) -> Result<()> {
    let points = || {
        curves
            .iter()
            .flat_map(|c| c.points.iter())
            .filter(|(x, y)| x.is_finite() && y.is_finite())
    };
    let (mut x_max, mut y_min, mut y_max) = (1.0f64, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in points() {
        x_max = x_max.max(x);
        y_min = y_min.min(y);
        y_max = y_max.max(y);
    }
    if !y_min.is_finite() {
        return Err(TrainError::Invalid(format!(
            "{}: no points to plot",
            path.display()
        )));
    }
    #[cfg(not(feature = "plots"))]
    {
        let _ = (title, y_label, x_max);
        Ok(())
    }
    #[cfg(feature = "plots")]
    draw_svg(path, title, y_label, curves, x_max, (y_min, y_max))
}

#[cfg(feature = "plots")]
fn draw_svg(
    path: &Path,
    title: &str,
    y_label: &str,
    curves: &[Curve],
    x_max: f64,
    (y_min, y_max): (f64, f64),
) -> Result<()> {
    let pad = ((y_max - y_min) * 0.05).max(1e-3);
    let plot_error = |e: String| TrainError::Checkpoint {
        path: path.to_path_buf(),
        message: format!("plotting failed: {e}"),
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 500)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(e.to_string()))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 20))
            .margin(15)
            .x_label_area_size(35)
            .y_label_area_size(55)
            .build_cartesian_2d(0f64..x_max, (y_min - pad)..(y_max + pad))
            .map_err(|e| plot_error(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("epoch")
            .y_desc(y_label)
            .draw()
            .map_err(|e| plot_error(e.to_string()))?;
        for curve in curves.iter().filter(|c| !c.points.is_empty()) {
            let colour = Palette99::pick(curve.colour).to_rgba();
            let style = colour.stroke_width(if curve.emphasis { 2 } else { 1 });
            let line = curve
                .points
                .iter()
                .copied()
                .filter(|(x, y)| x.is_finite() && y.is_finite());
            chart
                .draw_series(LineSeries::new(line, style))
                .map_err(|e| plot_error(e.to_string()))?
                .label(curve.label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(|e| plot_error(e.to_string()))?;
        root.present().map_err(|e| plot_error(e.to_string()))?;
    }
    Ok(molkd_models::checkpoint::write_atomic(
        path,
        svg.as_bytes(),
    )?)
}
