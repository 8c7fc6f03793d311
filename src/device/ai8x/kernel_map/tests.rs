//! The greedy allocator and deduplication on tiny graphs.

use super::allocate_kernels;
use crate::device::ai8x::placement::ProcessorMask;
use crate::device::ai8x::testutil::{conv2d, graph, place};
use crate::device::ai8x::{MAX78000, MAX78002};

#[test]
fn allocator_stacks_overlapping_layers_and_shares_disjoint_ones() {
    let a = conv2d(16, 16, 8, 3); // processors 0–15, 16 words
    let mut b = conv2d(16, 3, 8, 3); // processors 16–31, 3 words
    place(&mut b).processors = ProcessorMask(0xffff_0000);
    let c = conv2d(16, 16, 8, 3); // processors 0–15 again
    let map = allocate_kernels(&graph(vec![a, b, c]), &MAX78000).unwrap();
    assert_eq!(map.offsets, vec![Some(0), Some(0), Some(16)]);
    assert_eq!(map.used(0), 32);
    assert_eq!(map.used(16), 3);
    assert_eq!(map.owner(16, 2), Some(1));
    assert_eq!(map.high_water(), 32);
}

#[test]
fn allocator_aligns_blocks_and_places_full_maps_first() {
    let a = conv2d(16, 3, 8, 3); // 3 words on 0–15
    let b = conv2d(64, 16, 8, 3); // all 64 processors: allocated first
    let c = conv2d(16, 16, 8, 3);
    let map = allocate_kernels(&graph(vec![a, b, c]), &MAX78000).unwrap();
    assert_eq!(map.offsets, vec![Some(16), Some(0), Some(20)]);
    assert!(
        map.render()
            .starts_with("1111111111111111000X2222222222222222XXX")
    );
}

#[test]
fn identical_kernels_are_stored_once() {
    let mut a = conv2d(16, 16, 8, 3);
    a.weights = Some(ndarray::ArrayD::ones(vec![16, 16, 3, 3]));
    let b = a.clone();
    let map = allocate_kernels(&graph(vec![a, b]), &MAX78000).unwrap();
    assert_eq!(map.offsets, vec![Some(0), None]);
    assert_eq!(map.reused, vec![(1, 0)]);
}

#[test]
fn max78002_layers_on_large_processors_fill_the_extension_from_the_top() {
    let a = conv2d(1, 60, 8, 3); // processor 0 only, 60 words (mnist's first layer)
    let b = conv2d(1, 16, 8, 3); // processor 0 again, 16 words: just below
    let mut c = conv2d(2, 16, 8, 3); // processors 0 and 1: not all large, from column 0
    place(&mut c).processors = ProcessorMask(0b11);
    let mut d = conv2d(2, 8, 8, 3); // processors 0 and 16, both large
    place(&mut d).processors = ProcessorMask(1 | 1 << 16);
    let g = graph(vec![a, b, c, d]);
    let map = allocate_kernels(&g, &MAX78002).unwrap();
    assert_eq!(
        map.offsets,
        vec![Some(5060), Some(5044), Some(0), Some(5036)]
    );
    assert_eq!(map.owner(0, 5119), Some(0));
    assert_eq!(map.owner(16, 5043), Some(3));
    assert_eq!(map.high_water(), 5120);
    // The MAX78000's processors are all alike: everything is stacked from column 0.
    let map = allocate_kernels(&g, &MAX78000).unwrap();
    assert_eq!(map.offsets, vec![Some(0), Some(60), Some(76), Some(92)]);
}

#[test]
fn max78002_depthwise_blocks_stay_in_one_kernel_instance() {
    let a = conv2d(16, 40, 8, 3); // processors 0–15, columns 0–39
    let mut b = conv2d(16, 1000, 8, 3); // 1024 words: would cross column 1024 from 40
    place(&mut b).conv_groups = 16;
    let g = graph(vec![a.clone(), b.clone()]);
    assert_eq!(
        allocate_kernels(&g, &MAX78002).unwrap().offsets,
        vec![Some(0), Some(1024)]
    );
    // Without masked kernel writes (MAX78000) or as a regular convolution: right after.
    place(&mut b).conv_groups = 1;
    let g = graph(vec![a, b]);
    assert_eq!(
        allocate_kernels(&g, &MAX78002).unwrap().offsets,
        vec![Some(0), Some(40)]
    );
}

#[test]
fn max78002_small_processors_end_at_4096_columns() {
    let mut a = conv2d(2, 1000, 8, 3); // 1024 words on processors 1 and 2
    place(&mut a).processors = ProcessorMask(0b110);
    // Distinct kernels, so that nothing is deduplicated.
    let nodes: Vec<_> = (0..5)
        .map(|i| {
            let mut n = a.clone();
            n.weights = Some(ndarray::ArrayD::from_elem(vec![1000, 2, 3, 3], i as f32));
            n
        })
        .collect();
    let err = allocate_kernels(&graph(nodes), &MAX78002).unwrap_err();
    assert_eq!(err.layer, 4);
    assert_eq!(err.key, "processors");
    assert!(err.message.contains("4096 on this processor"), "{err}");
}
