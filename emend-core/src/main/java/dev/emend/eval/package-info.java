/**
 * Evaluation of knowledge edits with EasyEdit's metrics and record format (easyedit-reference §2, §5.1).
 *
 * <ul>
 *   <li>{@link dev.emend.eval.EditEvaluator} scores a model on edit requests (EasyEdit's {@code compute_edit_quality}):
 *       teacher-forced {@code rewrite_acc}, {@code rephrase_acc}, portability and locality (pre/post argmax
 *       agreement, with the pre-edit argmaxes computed once per case), optionally fluency (n-gram entropy) and the
 *       generation-based protocol (greedy answers, exact match and F1). A request that carries a data set's own
 *       scoring ({@link dev.emend.edit.EvalProtocol}) is scored with it too, from its data alone and for any method:
 *       ConvSent's {@code es} and {@code dd}, Sanitation's forget and retain scores.
 *   <li>{@link dev.emend.eval.EditBenchmark} runs the loop: pre-edit pass, edit, post-edit pass, revert; single,
 *       sequential (evaluated after all edits or after each) or in batches; a {@link dev.emend.eval.EditBenchmark.Plan}
 *       supplies cached pre-edit scores, skips cases already done and reports each finished case.
 *   <li>{@link dev.emend.eval.EvalReport}, {@link dev.emend.eval.CaseResult}, {@link dev.emend.eval.Summary} hold the
 *       results; {@link dev.emend.eval.EvalJson} writes them with EasyEdit's key names.
 *   <li>{@link dev.emend.eval.metrics} holds the metric functions.
 *   <li>{@link dev.emend.eval.BenchmarkRun} runs a benchmark over a data file ({@link dev.emend.data}) into a
 *       resumable results folder ({@code emend bench}), with the pre-edit pass cached; {@link dev.emend.eval.report}
 *       turns such folders into KnowEdit's table, a weight-change heatmap, failed edits by error type and score
 *       histograms ({@code emend report}).
 *   <li>{@link dev.emend.eval.general} probes general capability (multiple choice, TriviaQA, XSum) from local files,
 *       before and after a set of edits ({@code emend probe}).
 * </ul>
 *
 * <p>The split follows design.md §3.2/§3.6: {@code evaluate.py} becomes {@code EditEvaluator} plus the metrics, the
 * {@code edit_requests} loop becomes {@code EditBenchmark}; editors only edit.
 */
package dev.emend.eval;
