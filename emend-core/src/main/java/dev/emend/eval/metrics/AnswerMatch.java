package dev.emend.eval.metrics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Exact match and token F1 of a generated answer against a reference, with SQuAD's answer normalisation
 * ({@code evaluate-v2.0.py::normalize_answer}, which EasyEdit's LLM-judge path uses without an API key): lower-case,
 * remove ASCII punctuation ({@code string.punctuation}), remove the articles a/an/the as words, collapse whitespace.
 * F1 is over the normalised words: {@code 2PR/(P+R)} with P and R from the multiset overlap; if either side has no
 * words, F1 is 1 when both have none and 0 otherwise.
 */
public final class AnswerMatch {
    private AnswerMatch() {}

    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    private static final Pattern ARTICLES = Pattern.compile("\\b(a|an|the)\\b", Pattern.UNICODE_CHARACTER_CLASS);
    private static final Pattern WHITESPACE = Pattern.compile("\\s+", Pattern.UNICODE_CHARACTER_CLASS);

    /**
     * @param s an answer
     * @return SQuAD's normalised form, e.g. "The  Eiffel-Tower!" → "eiffeltower"
     */
    public static String normalize(String s) {
        String lower = s.toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder(lower.length());
        for (int i = 0; i < lower.length(); i++) {
            char c = lower.charAt(i);
            if (PUNCTUATION.indexOf(c) < 0) {
                b.append(c);
            }
        }
        String noArticles = ARTICLES.matcher(b).replaceAll(" ");
        return String.join(" ", words(noArticles));
    }

    /**
     * @param prediction the generated answer
     * @param reference the expected answer
     * @return 1 if the normalised forms are equal, else 0
     */
    public static double exactMatch(String prediction, String reference) {
        return normalize(prediction).equals(normalize(reference)) ? 1 : 0;
    }

    /**
     * @param prediction the generated answer
     * @param reference the expected answer
     * @return SQuAD token F1 of the normalised words, in [0,1]
     */
    public static double f1(String prediction, String reference) {
        List<String> p = words(normalize(prediction));
        List<String> g = words(normalize(reference));
        if (p.isEmpty() || g.isEmpty()) {
            return p.equals(g) ? 1 : 0;
        }
        Map<String, Integer> gold = new HashMap<>();
        g.forEach(w -> gold.merge(w, 1, Integer::sum));
        int same = 0;
        for (String w : p) {
            Integer left = gold.get(w);
            if (left != null && left > 0) {
                gold.put(w, left - 1);
                same++;
            }
        }
        if (same == 0) {
            return 0;
        }
        double precision = (double) same / p.size();
        double recall = (double) same / g.size();
        return 2 * precision * recall / (precision + recall);
    }

    private static List<String> words(CharSequence s) {
        List<String> out = new ArrayList<>(Arrays.asList(WHITESPACE.split(s)));
        out.removeIf(String::isEmpty);
        return out;
    }
}
