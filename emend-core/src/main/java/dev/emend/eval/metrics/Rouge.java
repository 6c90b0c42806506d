package dev.emend.eval.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * ROUGE-N and ROUGE-L (sentence level) as Google's {@code rouge-score} package computes them with its default
 * tokenizer and {@code use_stemmer=False} ({@code rouge_scorer.py}, {@code tokenize.py}):
 * <ul>
 *   <li>tokens: lower-case (Python {@code str.lower}), every run of characters outside {@code [a-z0-9]} becomes a
 *       space, split on whitespace, keep tokens matching {@code ^[a-z0-9]+$}; so "Café, U.S.!" gives
 *       {@code [caf, u, s]}. No Porter stemming (rouge-score's {@code use_stemmer=True} is not implemented; scores
 *       then differ from those published with stemming, typically by a point or two);
 *   <li>ROUGE-N: clipped n-gram overlap {@code Σ min(count_ref, count_pred)}; precision = overlap / max(pred n-grams,
 *       1), recall = overlap / max(ref n-grams, 1);
 *   <li>ROUGE-L: longest common subsequence of the token lists; precision = LCS / |pred|, recall = LCS / |ref|, and
 *       all zero if either side has no tokens (rouge-score's {@code _score_lcs});
 *   <li>F-measure {@code 2PR / (P + R)}, 0 when {@code P + R = 0}.
 * </ul>
 * Corpus scores in {@link dev.emend.eval.general} are plain means of the per-document F-measures (rouge-score's
 * {@code BootstrapAggregator} reports a bootstrap estimate whose mid value is close to that mean).
 */
public final class Rouge {
    private Rouge() {}

    private static final Pattern NON_ALPHANUM = Pattern.compile("[^a-z0-9]+");
    private static final Pattern SPACES = Pattern.compile("\\s+");
    private static final Pattern VALID = Pattern.compile("^[a-z0-9]+$");

    /**
     * One ROUGE score.
     *
     * @param precision matched units over the prediction's units
     * @param recall matched units over the reference's units
     * @param fmeasure {@code 2PR / (P + R)}, 0 if both are 0
     */
    public record Score(double precision, double recall, double fmeasure) {
        static Score of(double precision, double recall) {
            return new Score(precision, recall, precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0);
        }
    }

    /**
     * rouge-score's default tokenizer without stemming (see the class notes).
     *
     * @param text any text
     * @return lower-case ASCII alphanumeric tokens
     */
    public static List<String> tokenize(String text) {
        String t = NON_ALPHANUM.matcher(text.toLowerCase(Locale.ROOT)).replaceAll(" ");
        List<String> out = new ArrayList<>();
        for (String s : SPACES.split(t)) {
            if (VALID.matcher(s).matches()) {
                out.add(s);
            }
        }
        return out;
    }

    /**
     * @param reference the reference text (rouge-score's {@code target})
     * @param prediction the generated text
     * @param n the n-gram order, ≥ 1
     * @return ROUGE-N
     */
    public static Score rougeN(String reference, String prediction, int n) {
        return rougeN(tokenize(reference), tokenize(prediction), n);
    }

    /**
     * @param reference reference tokens
     * @param prediction predicted tokens
     * @param n the n-gram order, ≥ 1
     * @return ROUGE-N on these tokens
     */
    public static Score rougeN(List<String> reference, List<String> prediction, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n-gram order must be at least 1, got " + n);
        }
        Map<List<String>, Integer> ref = ngrams(reference, n);
        Map<List<String>, Integer> pred = ngrams(prediction, n);
        int overlap = 0;
        for (Map.Entry<List<String>, Integer> e : ref.entrySet()) {
            overlap += Math.min(e.getValue(), pred.getOrDefault(e.getKey(), 0));
        }
        int refCount = Math.max(0, reference.size() - n + 1);
        int predCount = Math.max(0, prediction.size() - n + 1);
        return Score.of((double) overlap / Math.max(predCount, 1), (double) overlap / Math.max(refCount, 1));
    }

    /**
     * @param reference the reference text
     * @param prediction the generated text
     * @return ROUGE-L (longest common subsequence)
     */
    public static Score rougeL(String reference, String prediction) {
        return rougeL(tokenize(reference), tokenize(prediction));
    }

    /**
     * @param reference reference tokens
     * @param prediction predicted tokens
     * @return ROUGE-L on these tokens
     */
    public static Score rougeL(List<String> reference, List<String> prediction) {
        if (reference.isEmpty() || prediction.isEmpty()) {
            return new Score(0, 0, 0);
        }
        int lcs = lcsLength(reference, prediction);
        return Score.of((double) lcs / prediction.size(), (double) lcs / reference.size());
    }

    /**
     * @param a tokens
     * @param b tokens
     * @return the length of their longest common subsequence (dynamic programming, two rows)
     */
    public static int lcsLength(List<String> a, List<String> b) {
        int[] prev = new int[b.size() + 1];
        int[] cur = new int[b.size() + 1];
        for (int i = 1; i <= a.size(); i++) {
            for (int j = 1; j <= b.size(); j++) {
                cur[j] = a.get(i - 1).equals(b.get(j - 1)) ? prev[j - 1] + 1 : Math.max(prev[j], cur[j - 1]);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.size()];
    }

    private static Map<List<String>, Integer> ngrams(List<String> tokens, int n) {
        Map<List<String>, Integer> out = new HashMap<>();
        for (int i = 0; i + n <= tokens.size(); i++) {
            out.merge(List.copyOf(tokens.subList(i, i + n)), 1, Integer::sum);
        }
        return out;
    }
}
