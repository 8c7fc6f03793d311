//! Tests of the evaluation harness with fake predictors on generated inputs.

use super::*;
use crate::io::npy::read_i64;
use ndarray::{Array3, arr1};

/// Input `i` is a 1×1×1 array holding `i`, so a fake predictor can look up its scores.
fn inputs(n: usize) -> Vec<Array3<i64>> {
    (0..n)
        .map(|i| Array3::from_elem((1, 1, 1), i as i64))
        .collect()
}

fn table(scores: Vec<Vec<i64>>) -> impl Fn(&Array3<i64>) -> Result<Vec<i64>, String> + Sync {
    move |x| Ok(scores[x[[0, 0, 0]] as usize].clone())
}

#[test]
fn top1_top5_confusion_and_predictions() {
    // 6 classes. Samples: correct, 2nd best, 6th best (outside top 5), correct, 5th best, wrong.
    let scores = vec![
        vec![9, 1, 2, 3, 4, 5],
        vec![1, 8, 9, 0, 0, 0],
        vec![5, 4, 3, 2, 1, 9],
        vec![0, 0, 0, 7, 0, 0],
        vec![50, 40, 30, 20, 10, 0],
        vec![0, 0, 1, 0, 0, 0],
    ];
    let labels = [0, 1, 4, 3, 4, 5];
    let r = evaluate(&inputs(6), &labels, 6, table(scores), Progress::Quiet).unwrap();
    // Sample 2: label 4 has score 1, beaten by 9, 5, 4, 3, 2: rank 5, outside the top 5.
    assert_eq!(r.predictions, vec![0, 2, 5, 3, 0, 2]);
    assert_eq!((r.samples, r.classes, r.top5_k), (6, 6, 5));
    assert_eq!(r.top1, 2.0 / 6.0);
    assert_eq!(r.top5, 4.0 / 6.0);
    let mut want = vec![vec![0u64; 6]; 6];
    for (t, p) in [(0, 0), (1, 2), (4, 5), (3, 3), (4, 0), (5, 2)] {
        want[t][p] += 1;
    }
    assert_eq!(r.confusion, want);
    assert!(r.seconds >= 0.0 && r.images_per_s > 0.0);
}

#[test]
fn ties_go_to_the_lower_class_index() {
    let flat = vec![vec![3; 10]; 4];
    let labels = [0, 3, 4, 5];
    let r = evaluate(&inputs(4), &labels, 10, table(flat), Progress::Quiet).unwrap();
    assert_eq!(r.predictions, vec![0; 4]);
    // Label 0 is the prediction; labels 3 and 4 rank 3rd and 4th (within top 5), 5 does not.
    assert_eq!(r.top1, 0.25);
    assert_eq!(r.top5, 0.75);
    let tie = vec![vec![0, 7, 2, 7]];
    let r = evaluate(&inputs(1), &[3], 4, table(tie), Progress::Quiet).unwrap();
    assert_eq!(r.predictions, vec![1]);
    assert_eq!((r.top1, r.top5, r.top5_k), (0.0, 1.0, 4));
}

#[test]
fn fewer_than_five_classes_use_k_equal_classes() {
    let scores = vec![vec![1, 0, 0], vec![0, 0, 1]];
    let r = evaluate(&inputs(2), &[0, 1], 3, table(scores), Progress::Bar).unwrap();
    assert_eq!((r.top1, r.top5, r.top5_k), (0.5, 1.0, 3));
}

#[test]
fn order_is_deterministic_across_threads() {
    let n = 1000;
    let scores: Vec<Vec<i64>> = (0..n)
        .map(|i| vec![(i % 7) as i64, 3, (i % 5) as i64])
        .collect();
    let labels: Vec<u8> = (0..n).map(|i| (i % 3) as u8).collect();
    let want: Vec<i64> = scores.iter().map(|s| argmax(s) as i64).collect();
    for _ in 0..3 {
        let r = evaluate(
            &inputs(n),
            &labels,
            3,
            table(scores.clone()),
            Progress::Quiet,
        );
        assert_eq!(r.unwrap().predictions, want);
    }
}

#[test]
fn errors() {
    let ok = |_: &Array3<i64>| Ok::<_, String>(vec![0, 0]);
    let e = evaluate(&inputs(2), &[0], 2, ok, Progress::Quiet).unwrap_err();
    assert_eq!(e.to_string(), "2 inputs but 1 labels");
    let e = evaluate(&[], &[], 2, ok, Progress::Quiet).unwrap_err();
    assert!(matches!(e, EvalError::Empty));
    let e = evaluate(&inputs(3), &[0, 1, 2], 2, ok, Progress::Quiet).unwrap_err();
    assert_eq!(
        e.to_string(),
        "label 2 of sample 2 is out of range (classes 0..2)"
    );
    let e = evaluate(&inputs(2), &[0, 1], 3, ok, Progress::Quiet).unwrap_err();
    assert_eq!(
        e.to_string(),
        "sample 0: the model gave 2 scores for 3 classes"
    );
    // The lowest failing sample is reported, whatever the scheduling.
    let labels = vec![0u8; 500];
    for _ in 0..5 {
        let fail = |x: &Array3<i64>| match x[[0, 0, 0]] {
            i if i == 137 || i > 300 => Err(format!("simulator failed on {i}")),
            _ => Ok(vec![1, 0]),
        };
        let e = evaluate(&inputs(500), &labels, 2, fail, Progress::Quiet).unwrap_err();
        assert_eq!(e.to_string(), "sample 137: simulator failed on 137");
    }
}

#[test]
fn json_text_and_npy_outputs() {
    let scores = vec![vec![5, 1], vec![0, 2], vec![3, 2], vec![9, 0]];
    let r = evaluate(&inputs(4), &[0, 1, 1, 0], 2, table(scores), Progress::Quiet).unwrap();
    let json: serde_json::Value = serde_json::to_value(&r).unwrap();
    assert_eq!(json["samples"], 4);
    assert_eq!(json["top1"], 0.75);
    assert_eq!(json["top5"], 1.0);
    assert_eq!(json["confusion"], serde_json::json!([[2, 0], [1, 1]]));
    assert!(json["images_per_s"].as_f64().unwrap() > 0.0);
    assert!(json.get("predictions").is_none());
    assert_eq!(
        r.confusion_table(),
        "true\\pred 0 1\n        0 2 0\n        1 1 1\n"
    );
    assert!(
        r.to_string()
            .starts_with("4 samples: top-1 75.00%, top-2 100.00%, ")
    );
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("pred.npy");
    write_predictions(&p, &r).unwrap();
    assert_eq!(read_i64(&p).unwrap(), arr1(&[0i64, 1, 0, 0]).into_dyn());
}
