//! Data caremap generates itself, never mixed with real data: the bundled Nagareyama sample
//! (labelled as sample) and synthetic national providers for benchmarks.

pub mod sample; // the bundled Nagareyama sample (generated, labelled as sample)
pub mod synthetic; // synthetic national providers for benchmarks
