package dev.emend.eval.report;

import dev.emend.eval.metrics.AnswerMatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Failed edits sorted into the error types of the KnowEdit study (arXiv 2401.01286: meaningless or repeated tokens,
 * missing target tokens, unrelated generation), from the text the edited model generates.
 *
 * <p>The rules, applied in this order:
 * <ol>
 *   <li>A case <b>failed</b> if its editor threw, or its post-edit {@code rewrite_acc} is below 1 (not every target
 *       token is the argmax under teacher forcing; EasyEdit's metric).
 *   <li>{@link Kind#EDIT_ERROR}: the editor threw (no text to look at).
 *   <li>The rest need the greedy answer to the edit prompt from the generation protocol ({@code emend bench
 *       --generation}); without it the breakdown reports "needs --generation". Words are the answer's lowercased
 *       letter-and-digit runs.
 *   <li>{@link Kind#MEANINGLESS_OR_REPEATED}: the answer has no word, or a word twice in a row ("the the"), or at
 *       least four words of which fewer than half are distinct.
 *   <li>Otherwise the answer's SQuAD-normalised tokens are matched against the target's (as a multiset):
 *       {@link Kind#TARGET_GENERATED} if all target tokens occur (a teacher-forced miss the generated text does not
 *       show; not a study type, listed so no failure is hidden), {@link Kind#MISSING_TARGET_TOKENS} if some but not
 *       all do, {@link Kind#UNRELATED} if none does. Of the unrelated answers, those with token F1 ≥ 0.5 against the
 *       old target ({@code ground_truth}) are also counted as "kept the old answer".
 * </ol>
 */
public final class FailedEdits {
    private FailedEdits() {}

    /** An error type. */
    public enum Kind {
        /** The editor threw. */
        EDIT_ERROR("edit error (the editor threw)"),
        /** Empty, repeated or looping output. */
        MEANINGLESS_OR_REPEATED("meaningless or repeated tokens"),
        /** Part of the target. */
        MISSING_TARGET_TOKENS("missing target tokens"),
        /** None of the target. */
        UNRELATED("unrelated generation"),
        /** The whole target is generated; only teacher forcing missed it. */
        TARGET_GENERATED("target generated (teacher-forced miss only)");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** @return a human label */
        public String label() {
            return label;
        }
    }

    /**
     * One failed edit, as shown in a report.
     *
     * @param caseId the case
     * @param target the requested target
     * @param answer the generated answer (null for an edit error)
     */
    public record Example(int caseId, String target, String answer) {}

    /**
     * The failed edits of one run.
     *
     * @param cases the cases
     * @param failed the failed ones
     * @param needsGeneration true if some failed edits could not be classified for lack of generated text
     * @param counts failed edits per type (classified ones only)
     * @param keptOldAnswer of the unrelated answers, those matching the old target
     * @param examples up to three per type
     */
    public record Breakdown(int cases, int failed, boolean needsGeneration, Map<Kind, Integer> counts, int keptOldAnswer,
            Map<Kind, List<Example>> examples) {}

    /** @param c a case @return true if it failed (the editor threw, or post {@code rewrite_acc} below 1) */
    public static boolean failed(RunResults.Case c) {
        if (c.metrics().failed()) {
            return true;
        }
        return c.metrics().post().rewriteAcc().stream().anyMatch(a -> a < 1.0);
    }

    /**
     * @param c a failed case
     * @return its error type, or null if it needs generated text it does not have
     */
    public static Kind classify(RunResults.Case c) {
        if (c.metrics().failed()) {
            return Kind.EDIT_ERROR;
        }
        String answer = c.rewriteAnswer();
        if (answer == null) {
            return null;
        }
        if (meaninglessOrRepeated(answer)) {
            return Kind.MEANINGLESS_OR_REPEATED;
        }
        double recall = targetRecall(answer, c.targetNew());
        return recall >= 1 ? Kind.TARGET_GENERATED : recall > 0 ? Kind.MISSING_TARGET_TOKENS : Kind.UNRELATED;
    }

    /** @param r a run @return its failed edits by type */
    public static Breakdown of(RunResults r) {
        Map<Kind, Integer> counts = new EnumMap<>(Kind.class);
        Map<Kind, List<Example>> examples = new EnumMap<>(Kind.class);
        int failed = 0;
        int kept = 0;
        boolean needs = false;
        for (RunResults.Case c : r.cases()) {
            if (!failed(c)) {
                continue;
            }
            failed++;
            Kind k = classify(c);
            if (k == null) {
                needs = true;
                continue;
            }
            counts.merge(k, 1, Integer::sum);
            List<Example> ex = examples.computeIfAbsent(k, x -> new ArrayList<>());
            if (ex.size() < 3) {
                ex.add(new Example(c.id(), c.targetNew(), c.rewriteAnswer()));
            }
            if (k == Kind.UNRELATED && c.groundTruth() != null && AnswerMatch.f1(c.rewriteAnswer(), c.groundTruth()) >= 0.5) {
                kept++;
            }
        }
        return new Breakdown(r.cases().size(), failed, needs, Collections.unmodifiableMap(counts), kept,
                Collections.unmodifiableMap(examples));
    }

    static boolean meaninglessOrRepeated(String answer) {
        List<String> words = Arrays.stream(answer.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")).filter(w -> !w.isEmpty())
                .toList();
        if (words.isEmpty()) {
            return true;
        }
        for (int i = 1; i < words.size(); i++) {
            if (words.get(i).equals(words.get(i - 1))) {
                return true;
            }
        }
        return words.size() >= 4 && new HashSet<>(words).size() * 2 < words.size();
    }

    /** The share of the target's normalised tokens (as a multiset) that the answer contains. */
    static double targetRecall(String answer, String target) {
        List<String> t = tokens(target);
        if (t.isEmpty()) {
            return AnswerMatch.exactMatch(answer, target);
        }
        Map<String, Integer> have = new HashMap<>();
        tokens(answer).forEach(w -> have.merge(w, 1, Integer::sum));
        int found = 0;
        for (String w : t) {
            Integer n = have.get(w);
            if (n != null && n > 0) {
                found++;
                have.put(w, n - 1);
            }
        }
        return (double) found / t.size();
    }

    private static List<String> tokens(String s) {
        String n = AnswerMatch.normalize(s);
        return n.isEmpty() ? List.of() : List.of(n.split(" "));
    }
}
