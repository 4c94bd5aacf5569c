//! A per-epoch progress bar (items/s and running loss) on stderr; hidden when stderr is not a
//! terminal, so logs and CI output stay clean. Drawn with the `progress` feature (on by
//! default); without it the bar is never shown.

#[cfg(feature = "progress")]
use indicatif::{ProgressBar, ProgressStyle};

/// Progress of one epoch.
pub struct EpochProgress {
    #[cfg(feature = "progress")]
    bar: ProgressBar,
    loss_sum: std::cell::Cell<f64>,
    steps: std::cell::Cell<usize>,
}

impl EpochProgress {
    /// A bar for `items` items of epoch `epoch` of `epochs`.
    pub fn new(epoch: usize, epochs: usize, items: usize) -> Self {
        #[cfg(not(feature = "progress"))]
        let _ = (epoch, epochs, items);
        Self {
            #[cfg(feature = "progress")]
            bar: {
                let bar = ProgressBar::new(items as u64);
                let style = ProgressStyle::with_template(
                    "epoch {prefix} [{bar:30}] {pos}/{len} {per_sec} eta {eta} {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
                bar.set_style(style);
                bar.set_prefix(format!("{epoch}/{epochs}"));
                bar
            },
            loss_sum: 0.0.into(),
            steps: 0.into(),
        }
    }

    /// Records a step over `items` items with loss `loss`.
    pub fn advance(&self, items: usize, loss: f64) {
        self.loss_sum.set(self.loss_sum.get() + loss);
        self.steps.set(self.steps.get() + 1);
        #[cfg(feature = "progress")]
        {
            self.bar.inc(items as u64);
            self.bar.set_message(format!(
                "loss {:.4}",
                self.loss_sum.get() / self.steps.get() as f64
            ));
        }
        #[cfg(not(feature = "progress"))]
        let _ = items;
    }

    /// Records `items` items passed over without a step.
    pub fn skip(&self, items: usize) {
        #[cfg(feature = "progress")]
        self.bar.inc(items as u64);
        #[cfg(not(feature = "progress"))]
        let _ = items;
    }

    /// Removes the bar.
    pub fn finish(&self) {
        #[cfg(feature = "progress")]
        self.bar.finish_and_clear();
    }
}
