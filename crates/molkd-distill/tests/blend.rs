//! MoleBLEND's pre-training losses on hand-computed cases (ethanol: SPD
//! [[0,1,2],[1,0,1],[2,1,0]]): 0 on perfect predictions, the stated values on uniform or
//! opposite ones, and only valid pairs / hops / atoms counted.

use burn::tensor::{Device, Int, Tensor, TensorData};
use molkd_distill::blend::{
    BlendLossConfig, denoise_loss, direction_loss, edge_loss, edge_targets, spd_loss, spd_targets,
};
use molkd_graph::{DENSE_SPD_UNREACHABLE, DenseCollate, Featurizer, OgbFeaturizer};

fn spd(values: Vec<i64>, shape: [usize; 3]) -> Tensor<3, Int> {
    Tensor::from_data(TensorData::new(values, shape), &Device::default())
}

fn scalar(t: Tensor<1>) -> f32 {
    t.into_scalar::<f32>()
}

const ETHANOL: [i64; 9] = [0, 1, 2, 1, 0, 1, 2, 1, 0];

#[test]
fn spd_classes_clamp_long_distances_and_skip_the_diagonal_padding_and_unreachable_pairs() {
    let (class, mask) = spd_targets(
        spd(
            vec![0, 1, 10, 11, 19, 25, DENSE_SPD_UNREACHABLE, 0, 2],
            [1, 3, 3],
        ),
        11,
    );
    let class: Vec<i64> = class.into_data().iter::<i64>().collect();
    let mask: Vec<f32> = mask.into_data().iter::<f32>().collect();
    assert_eq!(
        &class[1..6],
        &[0, 9, 10, 10, 10],
        "1→0, 10→9, 11..→10 (clamped, not 19+)"
    );
    assert_eq!(mask, [0., 1., 1., 1., 1., 1., 0., 0., 1.]);
}

#[test]
fn spd_loss_values() {
    let device = Device::default();
    let ethanol = spd(ETHANOL.to_vec(), [1, 3, 3]);
    // Uniform logits: ln 11 on each of the 6 off-diagonal pairs.
    let uniform = Tensor::<4>::zeros([1, 3, 3, 11], &device);
    let loss = scalar(spd_loss(uniform, ethanol.clone()).unwrap());
    assert!((loss - 11f32.ln()).abs() < 1e-5, "{loss}");
    // The right class at logit ln 10, the 10 others at 0: p = 1/2 → ln 2.
    let class = (ethanol.clone().clamp(1, 11) - 1).one_hot::<4>(11).float();
    let loss = scalar(spd_loss(class.clone() * 10f32.ln(), ethanol.clone()).unwrap());
    assert!((loss - 2f32.ln()).abs() < 1e-5, "{loss}");
    // Perfect.
    let loss = scalar(spd_loss(class * 60.0, ethanol.clone()).unwrap());
    assert!(loss < 1e-6, "{loss}");
    assert!(spd_loss(Tensor::<4>::zeros([1, 2, 2, 11], &device), ethanol).is_err());
}

#[test]
fn edge_classes_cover_every_bond_category_and_only_existing_hops_count() {
    let device = Device::default();
    let f = OgbFeaturizer;
    let vocab = f.bond_vocab_sizes().to_vec();
    let classes: usize = vocab.iter().product();
    assert_eq!(classes, 60);
    let graphs = vec![
        f.featurize("CCO").unwrap(),
        f.featurize("c1ccccc1").unwrap(),
    ];
    let batch = DenseCollate::new().collate(&graphs, &device).unwrap();
    let (class, mask) = edge_targets(batch.path_features.clone(), &vocab);
    let class: Vec<i64> = class.into_data().iter::<i64>().collect();
    let mask: Vec<f32> = mask.into_data().iter::<f32>().collect();
    let at = |k: usize, i: usize, j: usize, t: usize| ((k * 6 + i) * 6 + j) * 5 + t;
    // Ethanol C0 → O2: two single, unconjugated, stereo-free hops (class 0), then none.
    assert_eq!((class[at(0, 0, 2, 0)], class[at(0, 0, 2, 1)]), (0, 0));
    assert_eq!(
        &mask[at(0, 0, 2, 0)..at(0, 0, 2, 0) + 5],
        &[1., 1., 0., 0., 0.]
    );
    // Benzene: aromatic (type 3), stereo none, conjugated → (3·6 + 0)·2 + 1 = 37.
    assert_eq!(class[at(1, 0, 3, 2)], 37);
    // Ethanol has 4 one-hop and 2 two-hop pairs: 8 hop entries; benzene 6·(2·1 + 2·2 + 1·3).
    let ethanol_entries: f32 = mask[at(0, 0, 0, 0)..at(1, 0, 0, 0)].iter().sum();
    assert_eq!(ethanol_entries, 8.0);
    let benzene_entries: f32 = mask[at(1, 0, 0, 0)..].iter().sum();
    assert_eq!(benzene_entries, 6.0 * 9.0);
    // Uniform logits: ln 60.
    let uniform = Tensor::<5>::zeros([2, 6, 6, 5, 60], &device);
    let loss = scalar(edge_loss(uniform, batch.path_features.clone(), &vocab).unwrap());
    assert!((loss - 60f32.ln()).abs() < 1e-5, "{loss}");
    // Perfect.
    let (class, _) = edge_targets(batch.path_features.clone(), &vocab);
    let perfect = class.one_hot::<5>(60).float() * 60.0;
    let loss = scalar(edge_loss(perfect, batch.path_features.clone(), &vocab).unwrap());
    assert!(loss < 1e-6, "{loss}");
    // Logits sized for the original's 24 classes are refused.
    let narrow = Tensor::<5>::zeros([2, 6, 6, 5, 24], &device);
    assert!(edge_loss(narrow, batch.path_features, &vocab).is_err());
}

#[test]
fn direction_loss_is_zero_when_aligned_two_when_opposite_and_averages_per_molecule() {
    let device = Device::default();
    // Molecule 0: 2 real atoms (2 pairs); molecule 1: 3 atoms (6 pairs).
    let coords = Tensor::<3>::from_data(
        TensorData::new(
            vec![
                0., 0., 0., 1., 0., 0., 0., 0., 0., //
                0., 0., 0., 0., 2., 0., 0., 0., 3.,
            ],
            [2, 3, 3],
        ),
        &device,
    );
    let real = Tensor::<2>::from_data(
        TensorData::new(vec![1f32, 1., 0., 1., 1., 1.], [2, 3]),
        &device,
    );
    let relative = coords.clone().unsqueeze_dim::<4>(1) - coords.clone().unsqueeze_dim::<4>(2);
    let aligned = relative.clone() * 3.0;
    let loss = scalar(direction_loss(aligned, coords.clone(), real.clone()));
    assert!(loss.abs() < 1e-6, "{loss}");
    let opposite = relative.clone().neg();
    let loss = scalar(direction_loss(opposite, coords.clone(), real.clone()));
    assert!((loss - 2.0).abs() < 1e-5, "{loss}");
    // Molecule 0 right (0), molecule 1 opposite (2): the mean of molecules is 1 (a mean
    // over the 8 pairs would be 1.5).
    let sign = Tensor::<4>::from_data(TensorData::new(vec![1f32, -1.], [2, 1, 1, 1]), &device);
    let loss = scalar(direction_loss(relative * sign, coords, real));
    assert!((loss - 1.0).abs() < 1e-5, "{loss}");
}

#[test]
fn denoise_loss_counts_only_the_atoms_that_saw_3d() {
    let device = Device::default();
    let noise = Tensor::<3>::from_data(
        TensorData::new(vec![0.1f32, 0., 0., 0., 0.2, 0., 0., 0., 0.3], [1, 3, 3]),
        &device,
    );
    let counted = |v: Vec<f32>| Tensor::<2>::from_data(TensorData::new(v, [1, 3]), &device);
    let loss = scalar(denoise_loss(
        noise.clone() * 5.0,
        noise.clone(),
        counted(vec![1., 1., 1.]),
    ));
    assert!(loss.abs() < 1e-6);
    let loss = scalar(denoise_loss(
        noise.clone().neg(),
        noise.clone(),
        counted(vec![1., 1., 1.]),
    ));
    assert!((loss - 2.0).abs() < 1e-5);
    // Atom 2 is wrong but not counted; atoms 0 and 1 right.
    let flip = Tensor::<3>::from_data(TensorData::new(vec![1f32, 1., -1.], [1, 3, 1]), &device);
    let loss = scalar(denoise_loss(
        noise.clone() * flip,
        noise,
        counted(vec![1., 1., 0.]),
    ));
    assert!(loss.abs() < 1e-6, "{loss}");
}

#[test]
fn the_original_weights_combine_the_terms() {
    let device = Device::default();
    let one = |v: f32| Tensor::<1>::from_data(TensorData::new(vec![v], [1]), &device);
    let losses = BlendLossConfig::new().combine(one(1.0), one(2.0), one(3.0), one(4.0));
    let total = scalar(losses.total);
    assert!((total - (0.1 + 0.2 + 1.5 + 24.0)).abs() < 1e-5, "{total}");
    assert!(
        BlendLossConfig::new()
            .with_denoise_weight(-1.0)
            .validate()
            .is_err()
    );
}
