//! `weights.h`: the bias memories (`BIAS_<q>`) and the kernel memory (`KERNELS`, the chunk
//! list of izer's new kernel loader in `--mexpress` form), as izer writes them by default.
//!
//! Owns the chunking of kernel columns, the big-endian packing of 72-bit columns into 32-bit
//! words and the `#define` text. Must not allocate kernels or bias, nor arrange weight bytes
//! (`crate::device::ai8x`: `allocate_kernels`, `kernel_image`, `allocate_bias`,
//! `bias_image`).

use super::EmitError;
use crate::device::ai8x::c_define;
use crate::device::ai8x::{
    Chip, KernelImage, allocate_bias, allocate_kernels, bias_image, chip_of, kernel_base,
    kernel_image,
};
use crate::ir::Graph;
use std::fmt::Write;

/// Kernel memory as izer's new kernel loader writes it (`--mexpress`): one chunk per run of
/// consecutive used columns of a processor, processors 0…63 in order, columns ascending (a
/// run may cross the boundary of two kernel-memory instances: their columns are contiguous
/// in the address space). Each chunk is its mexpress address (`processor base + 4·first
/// column`, the processor base from the chip's map) and its columns' bytes `B[0..9]`
/// packed big-endian into 32-bit words (a final partial word left-aligned); its length word
/// in `KERNELS` is the number of data words.
pub fn kernel_memory(graph: &Graph) -> Result<Vec<(u32, Vec<u32>)>, EmitError> {
    kernel_chunks(graph, chip_of(graph))
}

fn kernel_chunks(graph: &Graph, chip: &Chip) -> Result<Vec<(u32, Vec<u32>)>, EmitError> {
    let map = allocate_kernels(graph, chip)?;
    let image = kernel_image(graph, chip, &map).map_err(EmitError::NoWeights)?;
    Ok(chunks_of(&image, chip))
}

/// The chunks of a filled kernel memory (see [`kernel_memory`]).
fn chunks_of(image: &KernelImage, chip: &Chip) -> Vec<(u32, Vec<u32>)> {
    let mut chunks = Vec::new();
    for (p, columns) in image.columns.iter().enumerate() {
        let base = kernel_base(chip, p as u32);
        let mut run: Option<(u32, u32, Vec<u8>)> = None; // (first, next, bytes)
        for (&c, bytes) in columns {
            match &mut run {
                Some((_, next, data)) if *next == c => {
                    data.extend_from_slice(bytes);
                    *next += 1;
                }
                _ => {
                    if let Some((first, _, data)) = run.take() {
                        chunks.push((base + 4 * first, pack_be(&data)));
                    }
                    run = Some((c, c + 1, bytes.clone()));
                }
            }
        }
        if let Some((first, _, data)) = run {
            chunks.push((base + 4 * first, pack_be(&data)));
        }
    }
    chunks
}

/// Bytes into 32-bit words, first byte in bits 31–24; a partial last word is left-aligned.
fn pack_be(bytes: &[u8]) -> Vec<u32> {
    bytes
        .chunks(4)
        .map(|c| {
            let mut w = [0u8; 4];
            w[..c.len()].copy_from_slice(c);
            u32::from_be_bytes(w)
        })
        .collect()
}

/// The four quadrant bias memories as izer fills them (each as long as its fill).
pub fn bias_memory(graph: &Graph) -> Result<[Vec<u8>; 4], EmitError> {
    let chip = chip_of(graph);
    let limits = &chip.limits;
    let map = allocate_bias(graph, chip);
    if let Some(layer) = map.overflow {
        let (quadrant, fill) = map
            .fill
            .iter()
            .enumerate()
            .max_by_key(|(_, f)| **f)
            .map_or((0, 0), |(q, f)| (q, *f));
        return Err(EmitError::BiasOverflow {
            layer,
            quadrant,
            fill,
            limit: limits.bias_bytes_per_quadrant,
        });
    }
    let mut image = bias_image(graph, chip, &map).into_iter();
    Ok(std::array::from_fn(|_| image.next().unwrap_or_default()))
}

/// The whole `weights.h` (izer defaults: new kernel loader, mexpress): qtool's header line,
/// `BIAS_<q>` for every quadrant with bias bytes (`0x%02x`, 16 per line), then `KERNELS`
/// (`0x%08x`, 8 per line: per chunk address, length, data; a final 0).
pub fn weights_h(graph: &Graph) -> Result<String, EmitError> {
    let bias = bias_memory(graph)?;
    let chunks = kernel_memory(graph)?;
    let mut s = String::new();
    let _ = write!(
        s,
        "// {} kernel and bias memory of `{}`, written by qtool {}\n\n",
        chip_of(graph).part,
        graph.arch,
        env!("CARGO_PKG_VERSION")
    );
    for (q, bytes) in bias.iter().enumerate() {
        if !bytes.is_empty() {
            let values: Vec<u32> = bytes.iter().map(|b| u32::from(*b)).collect();
            c_define(&mut s, &format!("BIAS_{q}"), &values, 2, 16);
        }
    }
    let mut words = Vec::new();
    for (addr, data) in &chunks {
        words.push(*addr);
        words.push(data.len() as u32);
        words.extend_from_slice(data);
    }
    words.push(0);
    c_define(&mut s, "KERNELS", &words, 8, 8);
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_endian_packing_left_aligns_the_tail() {
        let bytes: Vec<u8> = (1..=9).collect();
        assert_eq!(pack_be(&bytes), vec![0x01020304, 0x05060708, 0x0900_0000]);
    }

    #[test]
    fn max78002_chunks_address_the_extended_kernel_memory() {
        use crate::device::ai8x::{MAX78000, MAX78002};
        use std::collections::BTreeMap;
        // mnist on the MAX78002 (golden weights.h): processor 0 holds layer 4 in columns
        // 128–145 and layer 0 in columns 5060–5119 of its large memory.
        let mut columns = vec![BTreeMap::new(); 64];
        for c in (128..146).chain(5060..5120) {
            columns[0].insert(c, vec![0u8; 9]);
        }
        columns[17].insert(3, vec![0u8; 9]);
        let image = KernelImage { columns };
        let chunks: Vec<(u32, usize)> = chunks_of(&image, &MAX78002)
            .iter()
            .map(|(a, w)| (*a, w.len()))
            .collect();
        assert_eq!(
            chunks,
            vec![(0x5140_0200, 0x29), (0x5140_4f10, 0x87), (0x5242_000c, 3)]
        );
        let on_78000 = chunks_of(&image, &MAX78000);
        assert_eq!(on_78000[0].0, 0x5018_0200);
        assert_eq!(on_78000[2].0, 0x5058_400c);
    }
}
