//! Inputs shared by hotline's criterion benchmarks.
