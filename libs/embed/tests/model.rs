//! The embedder against the real model that `scripts/model` fetched and checked
//! (`scripts/test` runs it first): the model's published reference embedding, windows
//! for long texts, batches equal to one-by-one, and clear refusals of a missing or
//! corrupt model folder. A missing model fails these tests; it never skips them.

use std::path::PathBuf;

use embed::{cosine, Embedder, Options, DIMENSIONS};

fn dir() -> PathBuf {
    let vars = std::env::vars().collect();
    let dir = embed::model_dir(&vars);
    assert!(
        dir.join("model.safetensors").exists(),
        "no model at {}: run scripts/model (scripts/test does)",
        dir.display()
    );
    dir
}

fn embedder() -> Embedder {
    Embedder::load(&dir(), Options::default()).expect("the checked model loads")
}

#[test]
fn scripts_model_checks_the_sums_the_library_checks() {
    let script =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../scripts/model"))
            .expect("scripts/model");
    for (file, sha) in embed::CHECKED {
        assert!(
            script.contains(&format!("[{file}]={sha}")),
            "scripts/model lacks {file}={sha}"
        );
    }
}

#[test]
fn reproduces_the_reference_embedding() {
    let e = embedder();
    let v = &e.embed(&["This is an example sentence"]).expect("embed")[0];
    assert_eq!(v.len(), DIMENSIONS);
    // sentence-transformers' all-MiniLM-L6-v2 on the same sentence
    let reference = [
        0.067_656_91,
        0.063_495_94,
        0.048_713_11,
        0.079_304_97,
        0.037_448_06,
    ];
    for (i, (got, want)) in v.iter().zip(reference).enumerate() {
        assert!((got - want).abs() < 1e-4, "value {i}: {got} vs {want}");
    }
    let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    assert!((norm - 1.0).abs() < 1e-5, "norm {norm}");
}

#[test]
fn a_batch_gives_what_one_by_one_gives_and_meaning_is_near() {
    let e = embedder();
    let texts = [
        "Cooling of turbine blades in gas engines",
        "Heat transfer on gas turbine blade surfaces",
        "Nicotine advertising aimed at teenagers",
        "",
    ];
    let batch = e.embed(&texts).expect("batch");
    for (t, b) in texts.iter().zip(&batch) {
        let one = &e.embed(&[t]).expect("one")[0];
        assert!(
            cosine(one, b) > 0.9999,
            "{t:?}: padding changed the embedding"
        );
    }
    assert!(cosine(&batch[0], &batch[1]) > cosine(&batch[0], &batch[2]) + 0.2);
}

#[test]
fn long_texts_are_read_in_windows_up_to_the_bound() {
    let e = Embedder::load(
        &dir(),
        Options {
            window: 32,
            max_windows: 3,
            batch_windows: 2,
        },
    )
    .expect("load");
    let turbines = "turbine blades are cooled by air flowing through channels. ".repeat(4);
    let smoking = "cigarette advertising reached young smokers through magazines. ".repeat(4);
    let pieces = e.word_pieces(&turbines).expect("len");
    assert!(pieces > 30, "{pieces}");
    // three windows of 30 read 90 word pieces: a text that is turbines for more than
    // that and smoking after it embeds as turbines alone (the tail is not read)
    let long_turbines = turbines.repeat(90 / pieces + 1);
    let long = format!("{long_turbines}{}", smoking.repeat(20));
    let v = &e.embed(&[&long, &turbines, &smoking]).expect("embed");
    // run two windows at a time or all at once: the same embeddings
    let at_once = Embedder::load(
        &dir(),
        Options {
            window: 32,
            max_windows: 3,
            batch_windows: 64,
        },
    )
    .expect("load")
    .embed(&[&long, &turbines, &smoking])
    .expect("embed");
    for (a, b) in v.iter().zip(&at_once) {
        assert!(
            cosine(a, b) > 0.9999,
            "splitting the windows changed an embedding"
        );
    }
    let only = &e.embed(&[&long_turbines]).expect("embed")[0];
    assert!(cosine(&v[0], only) > 0.9999, "read past the bound");
    assert!(cosine(&v[0], &v[1]) > cosine(&v[0], &v[2]));
    // two topics in reach (four windows of 30: three read, two of each topic's text
    // but the last cut short): the average lies between them, nearer to each than
    // they are to each other
    let both = format!("{turbines}{smoking}");
    let w = &e.embed(&[&both]).expect("embed")[0];
    let apart = cosine(&v[1], &v[2]);
    let (a, b) = (cosine(w, &v[1]), cosine(w, &v[2]));
    assert!(a > apart && b > apart, "{a} {b} vs {apart}");
}

#[test]
fn a_missing_or_corrupt_model_is_refused_with_its_path_and_reason() {
    let missing = std::env::temp_dir().join("docstream-no-model-here");
    let err = Embedder::load(&missing, Options::default())
        .expect_err("missing")
        .to_string();
    assert!(
        err.contains("docstream-no-model-here") && err.contains("scripts/model"),
        "{err}"
    );

    let good = dir();
    let bad = std::env::temp_dir().join(format!("docstream-bad-model-{}", std::process::id()));
    std::fs::create_dir_all(&bad).expect("tmp");
    for f in ["model.safetensors", "config.json"] {
        let _ = std::fs::remove_file(bad.join(f));
        std::os::unix::fs::symlink(good.join(f), bad.join(f)).expect("link");
    }
    let mut tokenizer = std::fs::read(good.join("tokenizer.json")).expect("tokenizer");
    tokenizer[100] ^= 1;
    std::fs::write(bad.join("tokenizer.json"), tokenizer).expect("write");
    let err = Embedder::load(&bad, Options::default())
        .expect_err("corrupt")
        .to_string();
    assert!(
        err.contains("tokenizer.json") && err.contains("sha256"),
        "{err}"
    );
    std::fs::remove_dir_all(&bad).expect("clean up");
}
