/**
 * Runtime benchmarks: forward and forward+backward throughput and load-time memory, measured the same way as the
 * PyTorch reference in {@code tools/bench/} so that the two compare as a ratio. Legend: B batch, T tokens per row,
 * V vocabulary. Commands and results: {@code BENCHMARKS.md}.
 */
package dev.emend.bench;
