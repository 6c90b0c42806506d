package dev.emend.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** ROUGE-1/2/L against values worked out by hand (the arithmetic is in the comments). */
class RougeTest {
    static final double EPS = 1e-12;

    @Test
    void tokenizerIsRougeScoresDefault() {
        // lower-case, runs outside [a-z0-9] become spaces; "é" is outside, so "café" → "caf"
        assertThat(Rouge.tokenize("Café, U.S.! it's 3-D")).containsExactly("caf", "u", "s", "it", "s", "3", "d");
        assertThat(Rouge.tokenize("  ...  ")).isEmpty();
    }

    @Test
    void oneWordSwapped() {
        String ref = "The cat sat on the mat.";       // the cat sat on the mat (6)
        String pred = "The cat was on the mat";       // the cat was on the mat (6)
        // unigrams: the 2/2, cat, on, mat → 5 of 6 either way
        check(Rouge.rougeN(ref, pred, 1), 5 / 6.0, 5 / 6.0, 5 / 6.0);
        // bigrams: ref {the cat, cat sat, sat on, on the, the mat}, pred {the cat, cat was, was on, on the, the mat} → 3 of 5
        check(Rouge.rougeN(ref, pred, 2), 0.6, 0.6, 0.6);
        // LCS: the cat on the mat = 5
        check(Rouge.rougeL(ref, pred), 5 / 6.0, 5 / 6.0, 5 / 6.0);
    }

    @Test
    void precisionAndRecallDiffer() {
        String ref = "Police killed the gunman";            // 4 tokens
        String pred = "the gunman was shot by police";      // 6 tokens
        // unigrams: police, the, gunman = 3; P = 3/6, R = 3/4, F = 2·0.5·0.75/1.25 = 0.6
        check(Rouge.rougeN(ref, pred, 1), 0.5, 0.75, 0.6);
        // bigrams: only "the gunman" of ref's 3 and pred's 5; P = 1/5, R = 1/3, F = (2/15)/(8/15) = 0.25
        check(Rouge.rougeN(ref, pred, 2), 0.2, 1 / 3.0, 0.25);
        // LCS "the gunman" = 2; P = 2/6, R = 2/4, F = (1/3)/(5/6) = 0.4
        check(Rouge.rougeL(ref, pred), 1 / 3.0, 0.5, 0.4);
    }

    @Test
    void repeatedNgramsAreClipped() {
        // ref "a a b" has a×2, pred "a a a a" has a×4: overlap min = 2; P = 2/4, R = 2/3, F = (2/3)/(7/6) = 4/7
        check(Rouge.rougeN("a a b", "a a a a", 1), 0.5, 2 / 3.0, 4 / 7.0);
        // LCS of [a a b] and [a a a a] = 2
        check(Rouge.rougeL("a a b", "a a a a"), 0.5, 2 / 3.0, 4 / 7.0);
    }

    @Test
    void emptySidesScoreZero() {
        check(Rouge.rougeN("", "something", 1), 0, 0, 0);
        check(Rouge.rougeN("one", "", 2), 0, 0, 0);
        check(Rouge.rougeL("", "x"), 0, 0, 0);
        check(Rouge.rougeN("same words", "Same, words!", 2), 1, 1, 1);
        assertThat(Rouge.lcsLength(List.of("a", "b", "c", "d"), List.of("b", "d", "a", "c"))).isEqualTo(2);
    }

    private static void check(Rouge.Score s, double p, double r, double f) {
        assertThat(s.precision()).as("precision").isCloseTo(p, within(EPS));
        assertThat(s.recall()).as("recall").isCloseTo(r, within(EPS));
        assertThat(s.fmeasure()).as("F").isCloseTo(f, within(EPS));
    }
}
