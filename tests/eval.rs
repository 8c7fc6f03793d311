//! End to end on the bundled MNIST subset: a nearest-class-mean classifier on the hardware
//! inputs, trained on the bundled training split, evaluated on the test split.

use ndarray::Array3;
use qtool::data::{Split, bundled_mnist_dir, load_mnist_split};
use qtool::eval::{Progress, evaluate, write_predictions};

#[test]
fn nearest_class_mean_on_bundled_mnist() -> anyhow::Result<()> {
    let dir = bundled_mnist_dir();
    let train = load_mnist_split(&dir, Split::Train)?;
    let test = load_mnist_split(&dir, Split::Test)?;
    let x = train.q7_inputs();
    let mut means = vec![Array3::<i64>::zeros((1, 28, 28)); 10];
    let mut counts = [0i64; 10];
    for (img, &l) in x.iter().zip(&train.labels) {
        means[usize::from(l)] += img;
        counts[usize::from(l)] += 1;
    }
    for (m, c) in means.iter_mut().zip(counts) {
        m.mapv_inplace(|v| v / c);
    }
    // Integer scores: minus the squared distance to each class mean.
    let predict = |img: &Array3<i64>| -> Result<Vec<i64>, String> {
        Ok(means
            .iter()
            .map(|m| -(img - m).mapv(|d| d * d).sum())
            .collect())
    };
    let r = evaluate(
        &test.q7_inputs(),
        &test.labels,
        10,
        predict,
        Progress::Quiet,
    )?;
    eprintln!("{r}\n{}", r.confusion_table());
    assert_eq!(r.samples, 2000);
    assert!(r.top1 > 0.75 && r.top1 < 0.95, "{r}");
    assert!(r.top5 > r.top1 && r.top5 > 0.95, "{r}");
    let per_class: Vec<u64> = r.confusion.iter().map(|row| row.iter().sum()).collect();
    assert_eq!(per_class, vec![200; 10]);
    let diagonal: u64 = (0..10).map(|c| r.confusion[c][c]).sum();
    assert_eq!(diagonal as f64 / 2000.0, r.top1);

    let out = tempfile::tempdir()?;
    let p = out.path().join("predictions.npy");
    write_predictions(&p, &r)?;
    let back = qtool::io::npy::read_i64(&p)?;
    assert_eq!(back.shape(), &[2000]);
    assert_eq!(back.iter().copied().collect::<Vec<_>>(), r.predictions);
    Ok(())
}
