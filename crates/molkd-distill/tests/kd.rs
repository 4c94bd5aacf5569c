//! Distillation losses against hand-computed values, with finite-difference gradients.
//!
//! torch (float64) cross-check of the relational and logit values:
//!
//! ```python
//! import torch, torch.nn.functional as F
//! def rel(S, T, t):
//!     def sim(x):
//!         x = F.normalize(x, dim=1); c = x @ x.T / t; n = c.shape[0]
//!         return c[~torch.eye(n, dtype=bool)].view(n, n - 1)
//!     lp = F.log_softmax(sim(T), 1); lq = F.log_softmax(sim(S), 1)
//!     return F.kl_div(lq, lp, log_target=True, reduction='batchmean') * t * t
//! rel(torch.tensor([[1., 0], [1, 1], [0, 1]]),
//!     torch.tensor([[1., 0, 0], [0, 1, 0], [1, 1, 1]]), 0.5)       # 0.0930303
//! def logit(s, t, tau):
//!     q = torch.sigmoid(t / tau)
//!     return F.binary_cross_entropy_with_logits(s / tau, q) * tau * tau
//! logit(torch.tensor([[0., 2]]), torch.tensor([[2., -2]]), 2.0)     # 3.4749349
//! ```

mod common;

use burn::tensor::Device;
use common::{LossFn, assert_close, check_gradient, devices, flex, gradient, scalar, t2};
use molkd_distill::{
    AlignKind, DistillError, KdConfig, KdForm, KdInputs, contrastive_kd_loss,
    feature_alignment_loss, logit_kd_loss, relational_kd_loss,
};

/// `S = (1,0) (0,2)`, `T = (0,1) (0,1)`:
///
/// ```text
/// Mse:              ((1−0)² + (0−1)² + (0−0)² + (2−1)²)/4 = 3/4 = 0.75
/// Mse, normalized:  S → (1,0) (0,1):  (1 + 1 + 0 + 0)/4 = 0.5
/// Cosine:           cos = 0, 1 → mean(1 − 0, 1 − 1) = 0.5
/// ```
#[test]
fn feature_alignment_matches_hand_computation() {
    for (name, device) in devices() {
        let s = || t2(&[1.0, 0.0, 0.0, 2.0], 2, 2, &device);
        let t = || t2(&[0.0, 1.0, 0.0, 1.0], 2, 2, &device);
        let run =
            |kind, normalize| scalar(feature_alignment_loss(s(), t(), kind, normalize).unwrap());
        assert_close(run(AlignKind::Mse, false), 0.75, 1e-6, name);
        assert_close(run(AlignKind::Mse, true), 0.5, 1e-6, name);
        assert_close(run(AlignKind::Cosine, false), 0.5, 1e-6, name);
        assert_close(run(AlignKind::Cosine, true), 0.5, 1e-6, name);
    }
}

#[test]
fn feature_alignment_requires_equal_widths() {
    let device = flex();
    let s = t2(&[0.0; 4], 2, 2, &device);
    let t = t2(&[0.0; 6], 2, 3, &device);
    for kind in [AlignKind::Mse, AlignKind::Cosine] {
        assert!(matches!(
            feature_alignment_loss(s.clone(), t.clone(), kind, false),
            Err(DistillError::ShapeMismatch { .. })
        ));
    }
}

/// `S = (1,0) (0,1)`, `T = (1,0) (1,1)`, τ = 0.5: logits `[[2, 1.414214], [0, 1.414214]]`,
/// student → teacher only: `(log(1 + e^−0.585786) + log(1 + e^−1.414214))/2
/// = (0.442548 + 0.217622)/2 = 0.330085`.
#[test]
fn contrastive_kd_matches_hand_computation() {
    for (name, device) in devices() {
        let s = t2(&[1.0, 0.0, 0.0, 1.0], 2, 2, &device);
        let t = t2(&[1.0, 0.0, 1.0, 1.0], 2, 2, &device);
        let loss = scalar(contrastive_kd_loss(s, t, 0.5).unwrap());
        assert_close(loss, 0.330_085, 1e-5, name);
    }
}

/// Student `S = (1,0) (1,1) (0,1)` (width 2), teacher `T = (1,0,0) (0,1,0) (1,1,1)`
/// (width 3), τ = 0.5. Off-diagonal cosines / τ:
///
/// ```text
/// teacher: c12 = 0, c13 = c23 = 1/√3 → logits (0, 1.154701) (0, 1.154701) (1.154701, 1.154701)
///          p = (0.239632, 0.760368) (0.239632, 0.760368) (0.5, 0.5)
/// student: c12 = c23 = 1/√2, c13 = 0 → logits (1.414214, 0) (1.414214, 1.414214) (0, 1.414214)
///          q = (0.804430, 0.195570) (0.5, 0.5) (0.195570, 0.804430)
/// KL rows: 0.742290, 0.142492, 0.231581 → mean 0.372121 → × τ² = 0.093030
/// ```
#[test]
fn relational_kd_matches_hand_computation() {
    for (name, device) in devices() {
        let s = t2(&[1.0, 0.0, 1.0, 1.0, 0.0, 1.0], 3, 2, &device);
        let t = t2(
            &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0, 1.0],
            3,
            3,
            &device,
        );
        let loss = scalar(relational_kd_loss(s, t, 0.5).unwrap());
        assert_close(loss, 0.093_03, 1e-5, name);
    }
}

#[test]
fn relational_kd_is_zero_when_the_relations_agree() {
    // The teacher is the student rotated by 90° and scaled: same cosines, zero KL.
    let device = flex();
    let s = t2(&[1.0, 0.2, -0.5, 1.0, 0.3, -0.8], 3, 2, &device);
    let t = t2(&[-0.6, 3.0, -3.0, -1.5, 2.4, 0.9], 3, 2, &device);
    assert_close(
        scalar(relational_kd_loss(s, t, 0.1).unwrap()),
        0.0,
        1e-5,
        "agree",
    );
}

/// Student logits `(0, 2)`, teacher `(2, −2)`, τ = 2: `x = (0, 1)`, `q = σ(1, −1)
/// = (0.731059, 0.268941)`:
///
/// ```text
/// ℓ1 = log 2 = 0.693147                      (σ(0) = ½ whatever the target)
/// ℓ2 = 0.268941·log(1 + e^−1) + 0.731059·log(1 + e^1) = 0.084250 + 0.960071 = 1.044321
/// loss = τ² · (0.693147 + 1.044321)/2 = 4 · 0.868734 = 3.474935
/// ```
#[test]
fn logit_kd_matches_hand_computation() {
    for (name, device) in devices() {
        let s = || t2(&[0.0, 2.0], 1, 2, &device);
        let t = || t2(&[2.0, -2.0], 1, 2, &device);
        let loss = scalar(logit_kd_loss(s(), t(), 2.0, None).unwrap());
        assert_close(loss, 3.474_935, 1e-5, name);
        // Masking the second task leaves 4 · log 2; the masked teacher logit may be NaN.
        let mask = Some(t2(&[1.0, 0.0], 1, 2, &device));
        let nan = t2(&[2.0, f32::NAN], 1, 2, &device);
        let masked = scalar(logit_kd_loss(s(), nan, 2.0, mask).unwrap());
        assert_close(masked, 4.0 * std::f32::consts::LN_2, 1e-5, name);
        // Nothing selected: zero.
        let none = Some(t2(&[0.0, 0.0], 1, 2, &device));
        assert_eq!(scalar(logit_kd_loss(s(), t(), 2.0, none).unwrap()), 0.0);
    }
}

const GS: [f32; 8] = [0.3, -1.2, 0.8, 1.5, 0.2, -0.7, -0.9, 0.4];
const GT: [f32; 12] = [
    0.1, -0.5, 1.3, 0.9, 0.6, -0.2, -1.4, 1.0, 0.3, 0.5, 0.5, -0.8,
];

#[test]
fn distillation_gradients_match_finite_differences() {
    let t3 = |d: &Device| t2(&GT, 4, 3, d); // width 3
    let t2w = |d: &Device| t2(&GT[..8], 4, 2, d); // width 2
    check_gradient(
        "relational",
        &|x, d| relational_kd_loss(x, t3(d), 0.5).unwrap(),
        &GS,
        4,
        2,
    );
    check_gradient(
        "contrastive",
        &|x, d| contrastive_kd_loss(x, t2w(d), 0.5).unwrap(),
        &GS,
        4,
        2,
    );
    for (kind, normalize) in [
        (AlignKind::Mse, false),
        (AlignKind::Mse, true),
        (AlignKind::Cosine, false),
    ] {
        check_gradient(
            &format!("{kind} normalize={normalize}"),
            &|x, d| feature_alignment_loss(x, t2w(d), kind, normalize).unwrap(),
            &GS,
            4,
            2,
        );
    }
    let mask = |d: &Device| t2(&[1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 1.0], 4, 2, d);
    check_gradient(
        "logit",
        &|x, d| logit_kd_loss(x, t2w(d), 2.0, Some(mask(d))).unwrap(),
        &GS,
        4,
        2,
    );
}

#[test]
fn identical_or_zero_rows_give_finite_gradients() {
    let device = flex();
    for x in [GS.to_vec(), vec![0.0; 8]] {
        let losses: [LossFn; 4] = [
            &|x, _| relational_kd_loss(x.clone(), x, 0.1).unwrap(),
            &|x, _| contrastive_kd_loss(x.clone(), x, 0.1).unwrap(),
            &|x, _| feature_alignment_loss(x.clone(), x, AlignKind::Cosine, false).unwrap(),
            &|x, _| feature_alignment_loss(x.clone(), x, AlignKind::Mse, true).unwrap(),
        ];
        for loss in losses {
            let g = gradient(loss, &x, 4, 2, &device);
            assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
        }
    }
}

#[test]
fn bad_inputs_are_errors() {
    let device = flex();
    let s = t2(&GS, 4, 2, &device);
    let t = t2(&GT, 4, 3, &device);
    let three_rows = t2(&GT[..9], 3, 3, &device);
    let one = t2(&[1.0, 0.0], 1, 2, &device);
    let shape = |e| matches!(e, Err(DistillError::ShapeMismatch { .. }));
    let param = |e| matches!(e, Err(DistillError::InvalidParameter { .. }));

    assert!(shape(relational_kd_loss(s.clone(), three_rows, 0.1)));
    assert!(shape(contrastive_kd_loss(s.clone(), t.clone(), 0.1)));
    assert!(shape(logit_kd_loss(s.clone(), t.clone(), 1.0, None)));
    assert!(shape(logit_kd_loss(
        s.clone(),
        s.clone(),
        1.0,
        Some(t2(&[1.0; 4], 2, 2, &device))
    )));
    assert!(matches!(
        relational_kd_loss(one.clone(), one.clone(), 0.1),
        Err(DistillError::BatchTooSmall { .. })
    ));
    assert!(matches!(
        contrastive_kd_loss(one.clone(), one, 0.1),
        Err(DistillError::BatchTooSmall { .. })
    ));
    for tau in [0.0, -1.0, f32::NAN, f32::INFINITY] {
        assert!(param(relational_kd_loss(s.clone(), t.clone(), tau)));
        assert!(param(contrastive_kd_loss(s.clone(), s.clone(), tau)));
        assert!(param(logit_kd_loss(s.clone(), s.clone(), tau, None)));
    }
}

#[test]
fn config_names_and_dispatch() {
    let config = KdConfig::new();
    assert_eq!(config.form, KdForm::Mse);
    assert_eq!(config.lambda, 1.0);
    assert_eq!(config.temperature, 0.1);
    assert!(!config.normalize);
    for form in KdForm::ALL {
        assert_eq!(form.to_string().parse::<KdForm>().unwrap(), form);
        let json = serde_json::to_string(&form).unwrap();
        assert_eq!(json, format!("\"{form}\""));
        assert_eq!(serde_json::from_str::<KdForm>(&json).unwrap(), form);
    }
    assert!("hint".parse::<KdForm>().is_err());
    assert_eq!("cosine".parse::<AlignKind>().unwrap(), AlignKind::Cosine);

    let device = flex();
    let s = || t2(&GS, 4, 2, &device);
    let t = || t2(&GT[..8], 4, 2, &device);
    let embeddings = || KdInputs::embeddings(s(), t());
    let with = |form| KdConfig::new().with_form(form).with_temperature(0.5);
    let expected = [
        (
            KdForm::Mse,
            feature_alignment_loss(s(), t(), AlignKind::Mse, false),
        ),
        (
            KdForm::Cosine,
            feature_alignment_loss(s(), t(), AlignKind::Cosine, false),
        ),
        (KdForm::Contrastive, contrastive_kd_loss(s(), t(), 0.5)),
        (KdForm::Relational, relational_kd_loss(s(), t(), 0.5)),
    ];
    for (form, direct) in expected {
        let direct = scalar(direct.unwrap());
        assert_close(
            scalar(with(form).loss(embeddings()).unwrap()),
            direct,
            1e-6,
            "dispatch",
        );
        let weighted = with(form)
            .with_lambda(0.25)
            .weighted_loss(embeddings())
            .unwrap();
        assert_close(scalar(weighted), 0.25 * direct, 1e-6, "weighted");
        assert!(matches!(
            with(form).loss(KdInputs::logits(s(), t(), None)),
            Err(DistillError::MissingInput { .. })
        ));
    }
    let normalized = KdConfig::new()
        .with_normalize(true)
        .loss(embeddings())
        .unwrap();
    let direct = feature_alignment_loss(s(), t(), AlignKind::Mse, true).unwrap();
    assert_close(scalar(normalized), scalar(direct), 1e-6, "normalize");

    let logit = with(KdForm::Logit).with_temperature(2.0);
    let inputs = KdInputs::logits(
        t2(&[0.0, 2.0], 1, 2, &device),
        t2(&[2.0, -2.0], 1, 2, &device),
        None,
    );
    assert_close(
        scalar(logit.loss(inputs).unwrap()),
        3.474_935,
        1e-5,
        "logit",
    );
    assert!(matches!(
        logit.loss(embeddings()),
        Err(DistillError::MissingInput { .. })
    ));
    assert!(matches!(
        KdConfig::new()
            .with_lambda(-1.0)
            .weighted_loss(embeddings()),
        Err(DistillError::InvalidParameter { .. })
    ));
}
