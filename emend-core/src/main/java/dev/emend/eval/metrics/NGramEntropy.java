package dev.emend.eval.metrics;

import java.text.Normalizer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * EasyEdit's fluency ({@code evaluate_utils.py::compute_n_gram_entropy}, the same as ROME's generation entropy;
 * easyedit-reference §2.6): the text is split into words ({@link WordTokenizer}, for {@code nltk.word_tokenize}); for
 * n = 2 and 3 the n-gram frequency distribution gives {@code H_n = −Σ_g p_g log2 p_g}; the weighted entropies
 * {@code (2/3)·H_2} and {@code (4/3)·H_3} are averaged arithmetically:
 * <pre>fluency = ((2/3)·H_2 + (4/3)·H_3) / 2 = H_2/3 + 2·H_3/3   (bits)</pre>
 * A text with fewer than n words has {@code H_n = 0} (numpy's sum over an empty distribution). Over several texts
 * EasyEdit takes the arithmetic mean; KnowEdit reports 100 × the mean over cases.
 */
public final class NGramEntropy {
    private NGramEntropy() {}

    /** Weights of H_2 and H_3, as EasyEdit's defaults. */
    private static final double W2 = 2.0 / 3.0;
    private static final double W3 = 4.0 / 3.0;

    /**
     * @param text a generated text (prompt included, as EasyEdit scores it)
     * @return {@code H_2/3 + 2·H_3/3} of its words, in bits
     */
    public static double fluency(String text) {
        List<String> words = WordTokenizer.tokenize(text);
        return (W2 * entropy(words, 2) + W3 * entropy(words, 3)) / 2;
    }

    /**
     * @param words tokens
     * @param n the n-gram order, ≥ 1
     * @return the entropy in bits of the n-gram frequency distribution, 0 without n-grams
     */
    public static double entropy(List<String> words, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be at least 1, got " + n);
        }
        Map<List<String>, Integer> counts = new HashMap<>();
        int total = 0;
        for (int i = 0; i + n <= words.size(); i++) {
            counts.merge(List.copyOf(words.subList(i, i + n)), 1, Integer::sum);
            total++;
        }
        double h = 0;
        for (int c : counts.values()) {
            double p = (double) c / total;
            h -= p * Math.log(p) / Math.log(2);
        }
        return h;
    }

    /**
     * The text cleaning of EasyEdit's {@code generate_fast} before scoring: Unicode NFKD, {@code "\n\n"} → {@code " "},
     * {@code <|endoftext|>} removed.
     *
     * @param text decoded text
     * @return the cleaned text
     */
    public static String clean(String text) {
        return Normalizer.normalize(text, Normalizer.Form.NFKD).replace("\n\n", " ").replace("<|endoftext|>", "");
    }
}
