//! Replays every corpus of the fuzz targets (`fuzz/corpus/<target>/`) and every input that
//! made one fail (`fuzz/regressions/<target>/`) through the same function the target calls,
//! on stable: the seeds, what fuzzing kept, and every crash found run with `cargo test`.

use std::fs;
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of a directory, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_replays_without_a_panic() {
    for (name, target) in incident_fuzz::TARGETS {
        let corpus = files(&fuzz_dir().join("corpus").join(name));
        assert!(!corpus.is_empty(), "the corpus of {name} is empty");
        // The inputs that made a target fail once, kept whatever minimizing the corpus drops.
        let regressions = fuzz_dir().join("regressions").join(name);
        let regressions = if regressions.is_dir() {
            files(&regressions)
        } else {
            Vec::new()
        };
        for file in corpus.into_iter().chain(regressions) {
            let data = fs::read(&file).expect("a corpus file");
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name} panics on {}", file.display());
        }
    }
}

#[test]
fn every_target_has_a_binary_and_a_corpus_and_nothing_else_does() {
    let manifest = fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    let names: Vec<&str> = incident_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
    for name in &names {
        let source = format!("fuzz_targets/{name}.rs");
        assert!(manifest.contains(&source), "no [[bin]] for {name}");
        let body = fs::read_to_string(fuzz_dir().join(&source)).expect("the target's source");
        assert!(
            body.contains(&format!("incident_fuzz::{name}(")),
            "{source} does not call incident_fuzz::{name}"
        );
    }
    for dir in ["corpus", "regressions", "fuzz_targets"] {
        for path in files(&fuzz_dir().join(dir))
            .into_iter()
            .chain(subdirectories(&fuzz_dir().join(dir)))
        {
            let stem = path
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default();
            assert!(names.contains(&stem), "{} names no target", path.display());
        }
    }
}

fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}
