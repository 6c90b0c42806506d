/**
 * The general-capability probe (before and after editing) from local files: zero-shot multiple choice by option
 * log-likelihood ({@link dev.emend.eval.general.MultipleChoiceTask}: CommonsenseQA and PIQA, {@code acc} and
 * {@code acc_norm} as lm-eval-harness), TriviaQA exact match and F1 of greedy answers
 * ({@link dev.emend.eval.general.TriviaQaTask}) and XSum ROUGE-1/2/L of greedy summaries
 * ({@link dev.emend.eval.general.XSumTask}, {@link dev.emend.eval.metrics.Rouge}).
 *
 * <p>{@link dev.emend.eval.general.GeneralData} reads the files; {@link dev.emend.eval.general.GeneralProbe} runs
 * tasks on a model ({@code run}) or around a set of edits ({@code beforeAfter}: probe, edit, probe, revert), giving a
 * {@link dev.emend.eval.general.ProbeComparison} with per-metric deltas. {@code emend probe} is the command.
 */
package dev.emend.eval.general;
