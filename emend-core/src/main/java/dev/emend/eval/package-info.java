/**
 * Evaluation of knowledge edits with EasyEdit's metrics and record format (easyedit-reference §2, §5.1).
 *
 * <ul>
 *   <li>{@link dev.emend.eval.EditEvaluator} scores a model on edit requests (EasyEdit's {@code compute_edit_quality}):
 *       teacher-forced {@code rewrite_acc}, {@code rephrase_acc}, portability and locality (pre/post argmax
 *       agreement, with the pre-edit argmaxes computed once per case), optionally fluency (n-gram entropy) and the
 *       generation-based protocol (greedy answers, exact match and F1).
 *   <li>{@link dev.emend.eval.EditBenchmark} runs the loop: pre-edit pass, edit, post-edit pass, revert; single or
 *       sequential (evaluated after all edits or after each).
 *   <li>{@link dev.emend.eval.EvalReport}, {@link dev.emend.eval.CaseResult}, {@link dev.emend.eval.Summary} hold the
 *       results; {@link dev.emend.eval.EvalJson} writes them with EasyEdit's key names.
 *   <li>{@link dev.emend.eval.metrics} holds the metric functions.
 * </ul>
 *
 * <p>The split follows design.md §3.2/§3.6: {@code evaluate.py} becomes {@code EditEvaluator} plus the metrics, the
 * {@code edit_requests} loop becomes {@code EditBenchmark}; editors only edit.
 */
package dev.emend.eval;
