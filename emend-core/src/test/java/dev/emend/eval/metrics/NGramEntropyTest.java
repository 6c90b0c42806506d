package dev.emend.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

/** EasyEdit's {@code compute_n_gram_entropy} against the formula worked out by hand. */
class NGramEntropyTest {
    static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }

    @Test
    void fixedTextEqualsTheHandComputedFormula() {
        // words: The cat sat on the mat . The cat ran .   (11 tokens; "The" and "the" differ)
        // bigrams (10): (The,cat) twice, 8 others once  -> H2 = 2/10·log2(10/2) + 8·(1/10)·log2(10)
        // trigrams (9): all distinct                     -> H3 = log2(9)
        double h2 = 0.2 * log2(5) + 0.8 * log2(10);
        double h3 = log2(9);
        String text = "The cat sat on the mat. The cat ran.";
        assertThat(WordTokenizer.tokenize(text)).hasSize(11);
        assertThat(NGramEntropy.entropy(WordTokenizer.tokenize(text), 2)).isCloseTo(h2, within(1e-12));
        assertThat(NGramEntropy.entropy(WordTokenizer.tokenize(text), 3)).isCloseTo(h3, within(1e-12));
        assertThat(NGramEntropy.fluency(text)).isCloseTo((2.0 / 3 * h2 + 4.0 / 3 * h3) / 2, within(1e-12));
    }

    @Test
    void repetitionLowersEntropy() {
        // a b a b: bigrams ab, ba, ab -> H2 = log2(3) - 2/3; trigrams aba, bab -> H3 = 1
        double h2 = log2(3) - 2.0 / 3;
        assertThat(NGramEntropy.fluency("a b a b")).isCloseTo(h2 / 3 + 2.0 / 3, within(1e-12));
        assertThat(NGramEntropy.fluency("go go go go go go")).isZero();
        assertThat(NGramEntropy.fluency("one")).isZero();
        assertThat(NGramEntropy.entropy(List.of("x", "y"), 3)).isZero();
    }

    @Test
    void cleaningFollowsGenerateFast() {
        assertThat(NGramEntropy.clean("ﬁne\n\nday<|endoftext|>")).isEqualTo("fine day");
    }
}
