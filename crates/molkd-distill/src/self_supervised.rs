//! Losses of the GNN student's self-supervised pre-training (Hu et al. 2020): cross-entropy of
//! masked attributes, and context prediction's positive / negative pair classification.

use burn::tensor::activation::log_softmax;
use burn::tensor::{Int, Tensor};

use crate::error::{DistillError, Result};
use crate::ops::binary_cross_entropy_with_logits;

/// Mean cross-entropy of `logits` `[N, C]` against classes `targets` `[N]` (0 for `N = 0`).
/// Errors: row counts differ, or a target outside `0..C`.
pub fn cross_entropy(logits: Tensor<2>, targets: Tensor<1, Int>) -> Result<Tensor<1>> {
    let [n, c] = logits.dims();
    if targets.dims()[0] != n {
        return Err(DistillError::ShapeMismatch {
            what: "cross-entropy targets (one per row of logits)".into(),
            expected: vec![n],
            got: targets.dims().to_vec(),
        });
    }
    if n == 0 {
        return Ok(Tensor::zeros([1], &logits.device()));
    }
    let (lo, hi) = (
        targets.clone().min().into_scalar::<i64>(),
        targets.clone().max().into_scalar::<i64>(),
    );
    if lo < 0 || hi >= c as i64 {
        return Err(DistillError::InvalidInput {
            what: "cross-entropy targets",
            reason: format!("class {} outside 0..{c}", if lo < 0 { lo } else { hi }),
        });
    }
    let nll = log_softmax(logits, 1)
        .gather(1, targets.unsqueeze_dim::<2>(1))
        .neg(); // [N, 1]
    Ok(nll.mean().reshape([1]))
}

/// Attribute masking: cross-entropy of the masked atoms' types, plus that of the masked
/// bonds' types when bonds are predicted (pretrain-gnns sums the two).
///
/// Shapes: atom logits `[M, C_a]`, atom types `[M]`; bond logits `[E, C_b]`, bond types `[E]`
/// → (total, atom term, bond term) `[1]` each.
pub fn attribute_masking_loss(
    atom_logits: Tensor<2>,
    atom_types: Tensor<1, Int>,
    bonds: Option<(Tensor<2>, Tensor<1, Int>)>,
) -> Result<(Tensor<1>, Tensor<1>, Option<Tensor<1>>)> {
    let atoms = cross_entropy(atom_logits, atom_types)?;
    match bonds {
        Some((logits, types)) => {
            let bonds = cross_entropy(logits, types)?;
            Ok((atoms.clone() + bonds.clone(), atoms, Some(bonds)))
        }
        None => Ok((atoms.clone(), atoms, None)),
    }
}

/// What context prediction's loss returns.
#[derive(Debug, Clone)]
pub struct ContextLoss {
    /// `ℓ_pos + k · ℓ_neg`, the loss pretrain-gnns minimises.
    pub total: Tensor<1>,
    /// `ℓ_pos + ℓ_neg`, the balanced loss it reports.
    pub balanced: Tensor<1>,
    /// Scores `⟨s_i, c_i⟩` of the true pairs `[G]`.
    pub positive: Tensor<1>,
    /// Scores `⟨s_i, c_{i+j}⟩` of the negatives `[k·G]`.
    pub negative: Tensor<1>,
}

/// Context prediction (CBOW form): the true pair (substructure `i`, context `i`) is a
/// positive, and substructure `i` with the context of molecule `i + j mod G` for
/// `j = 1..=negatives` are negatives (pretrain-gnns' `cycle_index` shift); scores are dot
/// products, classified with binary cross-entropy on logits.
///
/// ```text
/// ℓ_pos = mean_i BCE(⟨s_i, c_i⟩, 1),   ℓ_neg = mean_{i,j} BCE(⟨s_i, c_{i+j}⟩, 0)
/// loss  = ℓ_pos + negatives · ℓ_neg
/// ```
///
/// Shapes: substructures `[G, d]`, contexts `[G, d]` → [`ContextLoss`]. Errors: shapes
/// differ, no negatives, or no more pairs than negatives.
pub fn context_prediction_loss(
    substructs: Tensor<2>,
    contexts: Tensor<2>,
    negatives: usize,
) -> Result<ContextLoss> {
    let [g, d] = substructs.dims();
    if contexts.dims() != [g, d] {
        return Err(DistillError::ShapeMismatch {
            what: "context embeddings (one per substructure)".into(),
            expected: vec![g, d],
            got: contexts.dims().to_vec(),
        });
    }
    if negatives == 0 {
        return Err(DistillError::InvalidParameter {
            name: "negatives",
            value: 0.0,
            reason: "at least one negative context per substructure",
        });
    }
    if g <= negatives {
        return Err(DistillError::BatchTooSmall {
            what: "context prediction (negatives are other molecules' contexts)",
            min: negatives + 1,
            got: g,
        });
    }
    let positive = (substructs.clone() * contexts.clone())
        .sum_dim(1)
        .reshape([g]);
    let shifted: Vec<Tensor<2>> = (1..=negatives)
        .map(|j| {
            Tensor::cat(
                vec![
                    contexts.clone().narrow(0, j, g - j),
                    contexts.clone().narrow(0, 0, j),
                ],
                0,
            )
        })
        .collect();
    let negative = (substructs.repeat_dim(0, negatives) * Tensor::cat(shifted, 0))
        .sum_dim(1)
        .reshape([g * negatives]);
    let bce = |x: Tensor<1>, y: f32| {
        let n = x.dims()[0];
        let x = x.reshape([n, 1]);
        let target = x.ones_like() * y;
        binary_cross_entropy_with_logits(x, target)
            .mean()
            .reshape([1])
    };
    let pos = bce(positive.clone(), 1.0);
    let neg = bce(negative.clone(), 0.0);
    Ok(ContextLoss {
        total: pos.clone() + neg.clone() * negatives as f32,
        balanced: pos + neg,
        positive,
        negative,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    fn device() -> Device {
        Device::default()
    }

    fn close(t: Tensor<1>, want: f32) {
        let got = t.into_scalar::<f32>();
        assert!((got - want).abs() < 1e-5, "{got} vs {want}");
    }

    #[test]
    fn cross_entropy_matches_hand_values_and_checks_targets() {
        let d = device();
        // Uniform logits over 4 classes: −log(1/4) whatever the target.
        let logits = Tensor::<2>::zeros([3, 4], &d);
        let targets = Tensor::<1, Int>::from_data(TensorData::from([0i64, 3, 2]), &d);
        close(cross_entropy(logits.clone(), targets).unwrap(), 4f32.ln());
        // A confident right answer costs ~0, a confident wrong one its logit gap.
        let sure = Tensor::<2>::from_data(TensorData::from([[20.0f32, 0.0]]), &d);
        let right = Tensor::<1, Int>::from_data(TensorData::from([0i64]), &d);
        let wrong = Tensor::<1, Int>::from_data(TensorData::from([1i64]), &d);
        close(cross_entropy(sure.clone(), right).unwrap(), 0.0);
        close(cross_entropy(sure, wrong).unwrap(), 20.0);
        let out_of_range = Tensor::<1, Int>::from_data(TensorData::from([0i64, 4, 1]), &d);
        assert!(cross_entropy(logits, out_of_range).is_err());
    }

    #[test]
    fn attribute_masking_sums_atom_and_bond_terms() {
        let d = device();
        let atoms = Tensor::<2>::zeros([2, 119], &d);
        let atom_types = Tensor::<1, Int>::from_data(TensorData::from([5i64, 7]), &d);
        let bonds = Tensor::<2>::zeros([3, 4], &d);
        let bond_types = Tensor::<1, Int>::from_data(TensorData::from([0i64, 1, 3]), &d);
        let (total, a, b) =
            attribute_masking_loss(atoms.clone(), atom_types.clone(), Some((bonds, bond_types)))
                .unwrap();
        close(total, 119f32.ln() + 4f32.ln());
        close(a, 119f32.ln());
        close(b.unwrap(), 4f32.ln());
        let (total, _, b) = attribute_masking_loss(atoms, atom_types, None).unwrap();
        close(total, 119f32.ln());
        assert!(b.is_none());
    }

    #[test]
    fn context_prediction_pairs_each_substructure_with_the_shifted_contexts() {
        let d = device();
        // Orthogonal pairs: s_i = c_i = 3·e_i, so true pairs score 9 and shifted pairs 0.
        let e = Tensor::<2>::eye(3, &d) * 3.0;
        let loss = context_prediction_loss(e.clone(), e.clone(), 2).unwrap();
        assert_eq!(
            loss.positive
                .clone()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap(),
            vec![9.0; 3]
        );
        assert_eq!(
            loss.negative
                .clone()
                .into_data()
                .try_to_vec::<f32>()
                .unwrap(),
            vec![0.0; 6]
        );
        // BCE(9, 1) = log(1 + e^−9); BCE(0, 0) = log 2.
        let pos = (1.0f32 + (-9.0f32).exp()).ln();
        close(loss.total, pos + 2.0 * 2f32.ln());
        close(loss.balanced, pos + 2f32.ln());
        // The shift: substructure 0 meets context 1 first (then 2), as cycle_index does.
        let s = Tensor::<2>::from_data(TensorData::from([[1.0f32], [0.0], [0.0]]), &d);
        let c = Tensor::<2>::from_data(TensorData::from([[0.0f32], [5.0], [7.0]]), &d);
        let loss = context_prediction_loss(s, c, 2).unwrap();
        let neg = loss.negative.into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(neg, vec![5.0, 0.0, 0.0, 7.0, 0.0, 0.0]);
        assert!(context_prediction_loss(e.clone().narrow(0, 0, 1), e.narrow(0, 0, 1), 1).is_err());
    }
}
