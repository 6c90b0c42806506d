/**
 * Reports over benchmark results folders ({@code emend report}): KnowEdit's table, a heatmap of the weight changes,
 * the failed edits by error type and the score distributions, as Markdown and as one self-contained HTML page with
 * SVG images in {@code data:} URIs.
 *
 * <ul>
 *   <li>{@link dev.emend.eval.report.RunResults} reads one folder written by {@link dev.emend.eval.BenchmarkRun}.
 *   <li>{@link dev.emend.eval.report.FailedEdits} sorts failed edits into the KnowEdit study's error types.
 *   <li>{@link dev.emend.eval.report.Charts} draws the heatmap and the histograms as SVG.
 *   <li>{@link dev.emend.eval.report.BenchReport} puts them together.
 * </ul>
 */
package dev.emend.eval.report;
