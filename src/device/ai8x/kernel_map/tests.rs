//! The greedy allocator and deduplication on tiny graphs.

use super::allocate_kernels;
use crate::device::ai8x::MAX78000;
use crate::device::ai8x::placement::ProcessorMask;
use crate::device::ai8x::testutil::{conv2d, graph, place};

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
