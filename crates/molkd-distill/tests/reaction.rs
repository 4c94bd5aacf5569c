//! Reaction pre-training losses: MolR's margin loss, its yield-aware variants, InfoNCE and
//! the configuration that selects them, against hand-computed values.
//!
//! Reference values were derived by hand and cross-checked with torch (float64):
//!
//! ```python
//! import torch, torch.nn.functional as F
//! def molr(R, P, m=4.0):  # MolR src/train.py calculate_loss
//!     n = R.shape[0]; d = torch.cdist(R, P, p=2); pos = torch.diag(d); mask = torch.eye(n)
//!     neg = torch.relu(m - ((1 - mask) * d + mask * m))
//!     return torch.mean(pos) + torch.sum(neg) / n / (n - 1)
//! R = torch.tensor([[0., 0], [1, 0], [0, 2]]); P = torch.tensor([[0., 1], [1, 0], [3, 2]])
//! molr(R, P)  # 3.3192900
//! ```

mod common;

use burn::tensor::{Device, Tensor};
use common::{LossFn, assert_close, check_gradient, devices, flex, gradient, scalar, t1, t2};
use molkd_distill::{
    DEFAULT_MARGIN, DEFAULT_SLACK, DistillError, ReactionLoss, ReactionLossConfig, info_nce_loss,
    molr_margin_loss, yield_adaptive_margin_loss, yield_regression_loss,
    yield_weighted_margin_loss,
};

/// Three reactions in 2-D:
///
/// ```text
/// R = (0,0) (1,0) (0,2)      P = (0,1) (1,0) (3,2)
/// positives d_ii: 1, 0, 3                          → mean 4/3 = 1.333333
/// negatives d_ij: d12 = 1, d13 = √13 = 3.605551, d21 = √2 = 1.414214,
///                 d23 = √8 = 2.828427, d31 = 1, d32 = √5 = 2.236068
/// hinges 4 − d:   3, 0.394449, 2.585786, 1.171573, 3, 1.763932 → sum 11.915740 / 6 = 1.985957
/// loss = 1.333333 + 1.985957 = 3.319290
/// ```
const R: [f32; 6] = [0.0, 0.0, 1.0, 0.0, 0.0, 2.0];
const P: [f32; 6] = [0.0, 1.0, 1.0, 0.0, 3.0, 2.0];
const MOLR: f32 = 3.319_29;
const NEGATIVES: f32 = 1.985_957;

fn rp(device: &Device) -> (Tensor<2>, Tensor<2>) {
    (t2(&R, 3, 2, device), t2(&P, 3, 2, device))
}

#[test]
fn molr_margin_loss_matches_hand_computation() {
    for (name, device) in devices() {
        let (r, p) = rp(&device);
        let loss = scalar(molr_margin_loss(r, p, DEFAULT_MARGIN).unwrap());
        // Reaction 2's identical R and P are at the clamped distance 1e-6: 3.3e-7 in the mean.
        assert_close(loss, MOLR, 1e-5, name);
    }
}

#[test]
fn molr_margin_loss_with_far_negatives_is_the_mean_positive_distance() {
    // Positives |(3, 4)| = 5 and |(0, 4)| = 4; negatives ≈ 97 and 100 apart: loss = 4.5.
    let device = flex();
    let r = t2(&[0.0, 0.0, 100.0, 0.0], 2, 2, &device);
    let p = t2(&[3.0, 4.0, 100.0, 4.0], 2, 2, &device);
    assert_close(
        scalar(molr_margin_loss(r, p, 4.0).unwrap()),
        4.5,
        1e-5,
        "far",
    );
}

#[test]
fn margin_zero_leaves_only_the_positives() {
    let device = flex();
    let (r, p) = rp(&device);
    assert_close(
        scalar(molr_margin_loss(r, p, 0.0).unwrap()),
        4.0 / 3.0,
        1e-5,
        "margin 0",
    );
}

#[test]
fn yield_forms_equal_molr_when_every_yield_is_one() {
    for (name, device) in devices() {
        let (r, p) = rp(&device);
        let ones = || t1(&[1.0; 3], &device);
        let molr = scalar(molr_margin_loss(r.clone(), p.clone(), 4.0).unwrap());
        let weighted =
            scalar(yield_weighted_margin_loss(r.clone(), p.clone(), ones(), 4.0).unwrap());
        let adaptive =
            scalar(yield_adaptive_margin_loss(r.clone(), p.clone(), ones(), 4.0, 2.0).unwrap());
        assert_close(weighted, molr, 1e-6, &format!("{name} weighted"));
        assert_close(adaptive, molr, 1e-6, &format!("{name} adaptive"));
        // MolR + λ·MSE with a perfect yield head is MolR too.
        let config = ReactionLossConfig::new().with_form(ReactionLoss::YieldRegression);
        let regression = scalar(config.loss(r, p, Some(ones()), Some(ones())).unwrap());
        assert_close(regression, molr, 1e-6, &format!("{name} regression"));
    }
}

/// Yields 0.5, 1.0, 0.2 on the three reactions above (positives 1, 0, 3):
///
/// ```text
/// weighted: (0.5·1 + 1·0 + 0.2·3)/3 = 0.366667            + 1.985957 = 2.352623
/// adaptive: (max(0, 1 − 2·0.5) + max(0, 0 − 0) + max(0, 3 − 2·0.8))/3
///         = (0 + 0 + 1.4)/3 = 0.466667                     + 1.985957 = 2.452623
/// ```
#[test]
fn yield_forms_match_hand_computation_and_differ_from_molr() {
    for (name, device) in devices() {
        let (r, p) = rp(&device);
        let y = || t1(&[0.5, 1.0, 0.2], &device);
        let weighted = scalar(yield_weighted_margin_loss(r.clone(), p.clone(), y(), 4.0).unwrap());
        let adaptive = scalar(yield_adaptive_margin_loss(r, p, y(), 4.0, DEFAULT_SLACK).unwrap());
        assert_close(weighted, 2.352_623, 1e-5, &format!("{name} weighted"));
        assert_close(adaptive, 2.452_623, 1e-5, &format!("{name} adaptive"));
        assert!((weighted - MOLR).abs() > 0.5 && (adaptive - MOLR).abs() > 0.5);
    }
}

#[test]
fn zero_yields_leave_only_the_negatives_in_the_weighted_form() {
    let device = flex();
    let (r, p) = rp(&device);
    let loss = yield_weighted_margin_loss(r, p, t1(&[0.0; 3], &device), 4.0).unwrap();
    assert_close(scalar(loss), NEGATIVES, 1e-5, "zero yields");
}

#[test]
fn yield_regression_loss_matches_hand_computation() {
    // ((0.5 − 0.7)² + (0.9 − 0.9)²)/2 = 0.04/2 = 0.02
    for (name, device) in devices() {
        let loss = yield_regression_loss(t1(&[0.5, 0.9], &device), t1(&[0.7, 0.9], &device));
        assert_close(scalar(loss.unwrap()), 0.02, 1e-6, name);
    }
}

/// `R = (1,0) (0,1)`, `P = (1,0) (1,1)`, τ = 0.5: cosines `[[1, 1/√2], [0, 1/√2]]`, logits
/// `s = [[2, 1.414214], [0, 1.414214]]`.
///
/// ```text
/// rows:    log(1 + e^(1.414214−2)) = 0.442548,  log(1 + e^(0−1.414214)) = 0.217622 → 0.330085
/// columns: log(1 + e^(0−2)) = 0.126928,         log(1 + e^0) = 0.693147           → 0.410038
/// loss = (0.330085 + 0.410038)/2 = 0.370061
/// ```
#[test]
fn info_nce_matches_hand_computation() {
    for (name, device) in devices() {
        let r = t2(&[1.0, 0.0, 0.0, 1.0], 2, 2, &device);
        let p = t2(&[1.0, 0.0, 1.0, 1.0], 2, 2, &device);
        let loss = scalar(info_nce_loss(r.clone(), p.clone(), 0.5).unwrap());
        assert_close(loss, 0.370_061, 1e-5, name);
        // Symmetric: swapping reactants and products changes nothing.
        let swapped = scalar(info_nce_loss(p, r, 0.5).unwrap());
        assert_close(swapped, loss, 1e-6, name);
    }
}

#[test]
fn info_nce_is_invariant_to_row_scale() {
    let device = flex();
    let r = t2(&R, 3, 2, &device);
    let p = t2(&P, 3, 2, &device);
    let base = scalar(info_nce_loss(r.clone(), p.clone(), 0.1).unwrap());
    let scaled = scalar(info_nce_loss(r * 7.0, p, 0.1).unwrap());
    assert_close(scaled, base, 1e-5, "scale");
}

/// Generic points: no distance within a finite-difference step of the margin.
const GR: [f32; 9] = [0.3, -1.2, 0.8, 1.5, 0.2, -0.7, -0.9, 0.4, 1.1];
const GP: [f32; 9] = [0.1, -0.5, 1.3, 0.9, 0.6, -0.2, -1.4, 1.0, 0.3];

#[test]
fn molr_gradient_matches_finite_differences() {
    let p = |d: &Device| t2(&GP, 3, 3, d);
    let r = |d: &Device| t2(&GR, 3, 3, d);
    // Margin 2 puts some negatives inside the margin (active hinges) and some outside.
    check_gradient(
        "molr dR",
        &|x, d| molr_margin_loss(x, p(d), 2.0).unwrap(),
        &GR,
        3,
        3,
    );
    check_gradient(
        "molr dP",
        &|x, d| molr_margin_loss(r(d), x, 2.0).unwrap(),
        &GP,
        3,
        3,
    );
    let y = |d: &Device| t1(&[0.3, 0.9, 0.6], d);
    check_gradient(
        "weighted dR",
        &|x, d| yield_weighted_margin_loss(x, p(d), y(d), 2.0).unwrap(),
        &GR,
        3,
        3,
    );
    check_gradient(
        "adaptive dR",
        &|x, d| yield_adaptive_margin_loss(x, p(d), y(d), 2.0, 0.5).unwrap(),
        &GR,
        3,
        3,
    );
}

#[test]
fn info_nce_gradient_matches_finite_differences() {
    let p = |d: &Device| t2(&GP, 3, 3, d);
    check_gradient(
        "info_nce dR",
        &|x, d| info_nce_loss(x, p(d), 0.5).unwrap(),
        &GR,
        3,
        3,
    );
}

#[test]
fn identical_reactants_and_products_give_finite_gradients() {
    let device = flex();
    let y = |d: &Device| t1(&[0.3, 1.0, 0.0], d);
    let losses: [(&str, LossFn); 4] = [
        ("molr", &|x, _| molr_margin_loss(x.clone(), x, 4.0).unwrap()),
        ("weighted", &|x, d| {
            yield_weighted_margin_loss(x.clone(), x, y(d), 4.0).unwrap()
        }),
        ("adaptive", &|x, d| {
            yield_adaptive_margin_loss(x.clone(), x, y(d), 4.0, 2.0).unwrap()
        }),
        ("info_nce", &|x, _| {
            info_nce_loss(x.clone(), x, 0.1).unwrap()
        }),
    ];
    for (what, loss) in losses {
        // Distinct rows, and all-zero rows (norms 0 for InfoNCE, every distance 0 for MolR).
        for x in [GR.to_vec(), vec![0.0; 9]] {
            let g = gradient(loss, &x, 3, 3, &device);
            assert!(g.iter().all(|v| v.is_finite()), "{what}: {g:?}");
        }
    }
    // Also with R and P as separate leaves holding the same values.
    let autodiff = device.autodiff();
    let r = t2(&GR, 3, 3, &autodiff).require_grad();
    let p = t2(&GR, 3, 3, &autodiff).require_grad();
    let grads = molr_margin_loss(r.clone(), p.clone(), 4.0)
        .unwrap()
        .backward();
    for g in [r.grad(&grads).unwrap(), p.grad(&grads).unwrap()] {
        assert!(common::values(g).iter().all(|v| v.is_finite()));
    }
}

#[test]
fn bad_shapes_and_parameters_are_errors() {
    let device = flex();
    let (r, p) = rp(&device);
    let y = t1(&[0.5, 1.0, 0.2], &device);
    let wide = t2(&[0.0; 9], 3, 3, &device);
    let one = t2(&[0.0, 1.0], 1, 2, &device);
    let shape = |e| matches!(e, Err(DistillError::ShapeMismatch { .. }));
    let param = |e| matches!(e, Err(DistillError::InvalidParameter { .. }));
    let input = |e| matches!(e, Err(DistillError::InvalidInput { .. }));

    assert!(shape(molr_margin_loss(r.clone(), wide.clone(), 4.0)));
    assert!(shape(molr_margin_loss(
        r.clone(),
        p.clone().narrow(0, 0, 2),
        4.0
    )));
    assert!(shape(info_nce_loss(wide, p.clone(), 0.1)));
    assert!(matches!(
        molr_margin_loss(one.clone(), one.clone(), 4.0),
        Err(DistillError::BatchTooSmall { min: 2, got: 1, .. })
    ));
    assert!(matches!(
        info_nce_loss(one.clone(), one, 0.1),
        Err(DistillError::BatchTooSmall { .. })
    ));
    for margin in [-1.0, f32::NAN, f32::INFINITY] {
        assert!(param(molr_margin_loss(r.clone(), p.clone(), margin)));
    }
    for tau in [0.0, -0.1, f32::NAN] {
        assert!(param(info_nce_loss(r.clone(), p.clone(), tau)));
    }
    assert!(param(yield_adaptive_margin_loss(
        r.clone(),
        p.clone(),
        y.clone(),
        4.0,
        -1.0
    )));
    // Yields: wrong length, percentages, NaN.
    let two = t1(&[0.5, 1.0], &device);
    assert!(shape(yield_weighted_margin_loss(
        r.clone(),
        p.clone(),
        two.clone(),
        4.0
    )));
    assert!(shape(yield_adaptive_margin_loss(
        r.clone(),
        p.clone(),
        two.clone(),
        4.0,
        2.0
    )));
    assert!(shape(yield_regression_loss(
        t1(&[0.5, 0.5, 0.5], &device),
        two
    )));
    for bad in [[50.0, 100.0, 20.0], [0.5, f32::NAN, 0.2], [-0.1, 0.5, 0.5]] {
        assert!(input(yield_weighted_margin_loss(
            r.clone(),
            p.clone(),
            t1(&bad, &device),
            4.0
        )));
    }
    assert!(matches!(
        yield_regression_loss(t1(&[], &device), t1(&[], &device)),
        Err(DistillError::BatchTooSmall { .. })
    ));
}

#[test]
fn config_defaults_names_and_dispatch() {
    let config = ReactionLossConfig::new();
    assert_eq!(config.form, ReactionLoss::Molr);
    assert_eq!(config.margin, DEFAULT_MARGIN);
    assert_eq!(config.slack, DEFAULT_SLACK);
    assert_eq!(config.temperature, 0.1);
    assert_eq!(config.yield_weight, 1.0);

    for form in ReactionLoss::ALL {
        assert_eq!(form.to_string().parse::<ReactionLoss>().unwrap(), form);
        let json = serde_json::to_string(&form).unwrap();
        assert_eq!(json, format!("\"{form}\""));
        assert_eq!(serde_json::from_str::<ReactionLoss>(&json).unwrap(), form);
    }
    assert_eq!(
        "yield_adaptive_margin".parse::<ReactionLoss>().unwrap(),
        ReactionLoss::YieldAdaptiveMargin
    );
    assert_eq!(
        "info-nce".parse::<ReactionLoss>().unwrap(),
        ReactionLoss::InfoNce
    );
    assert!("margin".parse::<ReactionLoss>().is_err());
    let round_trip: ReactionLossConfig =
        serde_json::from_str(&serde_json::to_string(&config.clone().with_slack(1.5)).unwrap())
            .unwrap();
    assert_eq!(round_trip.slack, 1.5);

    let device = flex();
    let (r, p) = rp(&device);
    let y = || Some(t1(&[0.5, 1.0, 0.2], &device));
    let run = |form, yields, predicted| {
        ReactionLossConfig::new()
            .with_form(form)
            .loss(r.clone(), p.clone(), yields, predicted)
    };
    assert_close(
        scalar(run(ReactionLoss::Molr, None, None).unwrap()),
        MOLR,
        1e-5,
        "molr",
    );
    assert_close(
        scalar(run(ReactionLoss::YieldWeighted, y(), None).unwrap()),
        2.352_623,
        1e-5,
        "weighted",
    );
    assert_close(
        scalar(run(ReactionLoss::YieldAdaptiveMargin, y(), None).unwrap()),
        2.452_623,
        1e-5,
        "adaptive",
    );
    // MolR + 1·mean((0.5−0.5)², (0.7−1)², (0.2−0.2)²) = 3.319290 + 0.03
    let predicted = Some(t1(&[0.5, 0.7, 0.2], &device));
    assert_close(
        scalar(run(ReactionLoss::YieldRegression, y(), predicted).unwrap()),
        MOLR + 0.03,
        1e-5,
        "regression",
    );
    let direct = scalar(info_nce_loss(r.clone(), p.clone(), 0.1).unwrap());
    assert_close(
        scalar(run(ReactionLoss::InfoNce, None, None).unwrap()),
        direct,
        1e-6,
        "nce",
    );

    let missing = |e| matches!(e, Err(DistillError::MissingInput { .. }));
    assert!(missing(run(ReactionLoss::YieldWeighted, None, None)));
    assert!(missing(run(ReactionLoss::YieldAdaptiveMargin, None, None)));
    assert!(missing(run(ReactionLoss::YieldRegression, y(), None)));
    assert!(missing(run(ReactionLoss::YieldRegression, None, y())));
    let two = || Some(t1(&[0.5, 0.5], &device));
    assert!(matches!(
        run(ReactionLoss::YieldRegression, two(), two()),
        Err(DistillError::ShapeMismatch { .. })
    ));
    assert!(matches!(
        ReactionLossConfig::new()
            .with_form(ReactionLoss::YieldRegression)
            .with_yield_weight(-1.0)
            .loss(r.clone(), p.clone(), y(), y()),
        Err(DistillError::InvalidParameter { .. })
    ));
}
