/**
 * The metrics of knowledge editing as EasyEdit defines them (easyedit-reference §2), each a small pure function:
 * {@link dev.emend.eval.metrics.TeacherForced} (reliability {@code rewrite_acc}, generalisation {@code rephrase_acc},
 * portability; token-level, teacher-forced), {@link dev.emend.eval.metrics.Locality} (pre/post argmax agreement),
 * {@link dev.emend.eval.metrics.NGramEntropy} with {@link dev.emend.eval.metrics.WordTokenizer} (fluency), and
 * {@link dev.emend.eval.metrics.AnswerMatch} (exact match and token F1 of generated answers, the generation-based
 * protocol shown beside the teacher-forced one); and two data sets' own scores, {@link
 * dev.emend.eval.metrics.SentimentMetric} (KnowEdit ConvSent's {@code es} and {@code dd}) and {@link
 * dev.emend.eval.metrics.ErasureMetric} (KnowEdit Sanitation's forget and retain scores).
 *
 * <p>Reliability, generalisation and portability are one function on different prompts, so they share one class
 * rather than the three classes design.md §3.2 sketches.
 */
package dev.emend.eval.metrics;
