//! Using qtool as a library: load a MAX78000 network (YAML, optional checkpoint), check it
//! against the device limits, and print izer's description of every layer.
//!
//! `cargo run --example inspect_network -- networks/ai85net5.yaml [checkpoint.pth.tar]`

use qtool::device::ai8x::{check_graph, describe};
use qtool::netdesc::ai8x::{LoadRequest, load_max78000};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let network = args
        .next()
        .unwrap_or_else(|| "networks/ai85net5.yaml".into());
    let req = LoadRequest {
        network: network.into(),
        checkpoint: args.next().map(Into::into),
        ..Default::default()
    };
    let built = load_max78000(&req)?;
    check_graph(&built.graph)?;
    for (i, node) in built.graph.nodes.iter().enumerate() {
        println!("{}", describe(i, node));
    }
    Ok(())
}
