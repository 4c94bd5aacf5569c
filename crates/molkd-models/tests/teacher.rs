//! The reaction teacher: reaction sums, MolR's one-time scale (kept across save / load),
//! gradients, and the reaction batch.

use burn::tensor::{Device, Tensor};
use molkd_graph::{Collate, Featurizer, OgbFeaturizer, Reaction, ReactionGraph};
use molkd_models::{Checkpointed, ConvKind, TeacherModel, TeacherModelConfig};

fn reactions(texts: &[&str]) -> Vec<ReactionGraph> {
    texts
        .iter()
        .map(|t| {
            Reaction::parse(t)
                .unwrap()
                .featurize(&OgbFeaturizer)
                .unwrap()
        })
        .collect()
}

const REACTIONS: [&str; 3] = [
    "CCO.CC(=O)O>>CC(=O)OCC.O",
    "c1ccccc1Br.OB(O)c1ccccc1>>c1ccc(-c2ccccc2)cc1",
    "CC(=O)Cl.NCC>>CC(=O)NCC.Cl",
];

fn config(conv: ConvKind) -> TeacherModelConfig {
    let f = OgbFeaturizer;
    TeacherModelConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
        .with_conv(conv)
        .with_d_model(32)
}

fn host(t: Tensor<2>) -> Vec<f32> {
    t.into_data().try_to_vec_as::<f32>().unwrap()
}

#[test]
fn reaction_embeddings_are_sums_of_molecule_embeddings_at_a_fixed_scale() {
    let device = Device::default();
    let graphs = reactions(&REACTIONS);
    let refs: Vec<&ReactionGraph> = graphs.iter().collect();
    let collate = Collate::new(&OgbFeaturizer);
    let batch = collate.collate_reactions(&refs, &device).unwrap();
    let teacher = config(ConvKind::Tag { hops: 2 }).init(&device).unwrap();
    teacher.check(&batch.reactants).unwrap();

    // The first call sets the scale: mean embedding norm = sqrt(d).
    let molecules = host(teacher.embed(&batch.reactants));
    let rows: Vec<f32> = molecules
        .chunks(32)
        .map(|r| r.iter().map(|x| x * x).sum::<f32>().sqrt())
        .collect();
    let mean_norm = rows.iter().sum::<f32>() / rows.len() as f32;
    assert!((mean_norm - 32f32.sqrt()).abs() < 1e-3, "{mean_norm}");
    let scale = teacher.scale.value_sync().into_scalar::<f32>();

    let (r, p) = teacher.embed_reaction(&batch);
    assert_eq!(r.dims(), [3, 32]);
    assert_eq!(p.dims(), [3, 32]);
    assert_eq!(
        teacher.scale.value_sync().into_scalar::<f32>(),
        scale,
        "set once"
    );
    // Σ over each reaction's reactants, computed molecule by molecule.
    let (r, p) = (host(r), host(p));
    let mut k = 0;
    for (i, reaction) in graphs.iter().enumerate() {
        let mut sum = [0f32; 32];
        for _ in &reaction.reactants {
            for c in 0..32 {
                sum[c] += molecules[k * 32 + c];
            }
            k += 1;
        }
        for c in 0..32 {
            assert!((r[i * 32 + c] - sum[c]).abs() < 1e-3, "reaction {i}");
        }
        let single = collate.collate(&reaction.products, &device).unwrap();
        let products = host(teacher.embed(&single));
        for c in 0..32 {
            let s: f32 = products.chunks(32).map(|row| row[c]).sum();
            assert!((p[i * 32 + c] - s).abs() < 1e-3, "reaction {i} products");
        }
    }
}

#[test]
fn the_scale_survives_save_and_load() {
    let device = Device::default();
    let graphs = reactions(&REACTIONS);
    let refs: Vec<&ReactionGraph> = graphs.iter().collect();
    let batch = Collate::new(&OgbFeaturizer)
        .collate_reactions(&refs, &device)
        .unwrap();
    let config = config(ConvKind::Gat { heads: 4 }).with_yield_head(true);
    let teacher = config.init(&device).unwrap();
    let first = host(teacher.embed(&batch.reactants));
    let tmp = tempfile::tempdir().unwrap();
    teacher.save(&config, tmp.path()).unwrap();
    let (loaded, _) = TeacherModel::load(tmp.path(), &device).unwrap();
    // Another batch first: a reloaded teacher must not recompute its scale from it.
    let _ = loaded.embed(&batch.products);
    assert_eq!(host(loaded.embed(&batch.reactants)), first);
    let (r, p) = loaded.embed_reaction(&batch);
    assert_eq!(loaded.predict_yield(r, p).unwrap().dims(), [3, 1]);
}

#[test]
fn gradients_reach_the_encoder_and_the_yield_head() {
    let device = Device::default().autodiff();
    let graphs = reactions(&REACTIONS);
    let refs: Vec<&ReactionGraph> = graphs.iter().collect();
    let batch = Collate::new(&OgbFeaturizer)
        .collate_reactions(&refs, &device)
        .unwrap();
    let teacher = config(ConvKind::Gcn)
        .with_yield_head(true)
        .init(&device)
        .unwrap();
    let (r, p) = teacher.embed_reaction(&batch);
    let yields = teacher.predict_yield(r.clone(), p.clone()).unwrap();
    let loss = (r - p).powi_scalar(2).sum() + yields.sum();
    let grads = loss.backward();
    let head = teacher.yield_head.as_ref().unwrap();
    assert!(head.weight.val().grad(&grads).is_some());
    let molkd_models::TeacherEncoder::Plain(stack) = &teacher.encoder else {
        unreachable!("MolR's plain stack by default")
    };
    assert!(stack.atom_embedding.weight.val().grad(&grads).is_some());
}

#[test]
fn reactions_without_a_side_do_not_collate() {
    let device = Device::default();
    let mut graphs = reactions(&REACTIONS[..1]);
    graphs[0].products.clear();
    let refs: Vec<&ReactionGraph> = graphs.iter().collect();
    assert!(
        Collate::new(&OgbFeaturizer)
            .collate_reactions(&refs, &device)
            .is_err()
    );
    assert!(
        Collate::new(&OgbFeaturizer)
            .collate_reactions(&[], &device)
            .is_err()
    );
}

/// A teacher checkpoint as molkd wrote it before the student-form encoder: the embedding and
/// layers as top-level parameters, and a configuration without `encoder`.
#[test]
fn checkpoints_of_the_plain_only_teacher_still_load() {
    use molkd_models::checkpoint::{CHECKSUMS_FILE, CONFIG_FILE, MODEL_FILE, sha256_hex};
    let device = Device::default();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("old");
    let config = config(ConvKind::Gcn);
    let teacher = config.init(&device).unwrap();
    let graphs = reactions(&REACTIONS);
    let refs: Vec<&ReactionGraph> = graphs.iter().collect();
    let batch = Collate::new(&OgbFeaturizer)
        .collate_reactions(&refs, &device)
        .unwrap();
    let first = host(teacher.embed(&batch.reactants));
    teacher.save(&config, &dir).unwrap();

    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(CONFIG_FILE)).unwrap()).unwrap();
    assert!(json["encoder"].is_null());
    json.as_object_mut().unwrap().remove("encoder");
    std::fs::write(dir.join(CONFIG_FILE), serde_json::to_vec(&json).unwrap()).unwrap();
    let tensors: Vec<burn_pack::Tensor> = burn_pack::Reader::from_file(dir.join(MODEL_FILE))
        .unwrap()
        .into_tensors()
        .unwrap()
        .into_iter()
        .map(|t| {
            let (name, dtype, shape, id, bytes) = t.into_parts().unwrap();
            let old = name.replace("encoder.Plain.", "");
            burn_pack::Tensor::new(old, dtype, shape, id, bytes)
        })
        .collect();
    assert!(tensors.iter().any(|t| t.name.starts_with("layers.")));
    burn_pack::Writer::new(tensors)
        .overwrite(true)
        .write_to_file(dir.join(MODEL_FILE))
        .unwrap();
    let sums: std::collections::BTreeMap<&str, String> = [MODEL_FILE, CONFIG_FILE]
        .into_iter()
        .map(|f| (f, sha256_hex(&std::fs::read(dir.join(f)).unwrap())))
        .collect();
    std::fs::write(dir.join(CHECKSUMS_FILE), serde_json::to_vec(&sums).unwrap()).unwrap();

    let (loaded, loaded_config) = TeacherModel::load(&dir, &device).unwrap();
    assert_eq!(loaded_config.encoder, None);
    assert_eq!(host(loaded.embed(&batch.reactants)), first);
}

#[test]
fn a_student_form_teacher_embeds_through_the_students_gnn() {
    let device = Device::default().autodiff();
    let f = molkd_graph::PretrainGnnFeaturizer;
    let graphs: Vec<ReactionGraph> = REACTIONS
        .iter()
        .map(|t| Reaction::parse(t).unwrap().featurize(&f).unwrap())
        .collect();
    let refs: Vec<&ReactionGraph> = graphs.iter().collect();
    let batch = Collate::new(&f).collate_reactions(&refs, &device).unwrap();
    let config =
        TeacherModelConfig::new(f.atom_vocab_sizes().to_vec(), f.bond_vocab_sizes().to_vec())
            .with_conv(ConvKind::Gin)
            .with_num_layers(3)
            .with_d_model(16)
            .with_encoder(Some(molkd_models::TeacherEncoderKind::Student));
    let teacher = config.init(&device).unwrap();
    teacher.check(&batch.reactants).unwrap();
    let molkd_models::TeacherEncoder::Student(gnn) = &teacher.encoder else {
        panic!("the student's form was asked for")
    };
    assert_eq!(gnn.norms.len(), 3);
    let (r, p) = teacher.embed_reaction(&batch);
    assert_eq!(r.dims(), [3, 16]);
    let grads = (r - p).powi_scalar(2).sum().backward();
    assert!(gnn.atom_embedding.weight.val().grad(&grads).is_some());
}
