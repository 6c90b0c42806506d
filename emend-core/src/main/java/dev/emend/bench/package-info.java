/**
 * Runtime benchmarks: forward and forward+backward throughput and load-time memory, and seconds per ROME edit,
 * measured the same way as the PyTorch references in {@code tools/bench/} and {@code tools/reference/} so that the
 * two compare as a ratio. Legend: B batch, T tokens per row,
 * V vocabulary. Commands and results: {@code BENCHMARKS.md}.
 */
package dev.emend.bench;
