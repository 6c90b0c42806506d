package dev.emend.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** SQuAD's normalisation, exact match and token F1, on cases worked out by hand. */
class AnswerMatchTest {
    @Test
    void normalisesLikeSquad() {
        assertThat(AnswerMatch.normalize("The  Eiffel-Tower!")).isEqualTo("eiffeltower");
        assertThat(AnswerMatch.normalize("  an Apple, a day ")).isEqualTo("apple day");
        assertThat(AnswerMatch.normalize("Theatre")).isEqualTo("theatre");     // articles only as whole words
        assertThat(AnswerMatch.normalize("Café")).isEqualTo("café");            // only ASCII punctuation goes
    }

    @Test
    void exactMatchComparesNormalisedStrings() {
        assertThat(AnswerMatch.exactMatch("Paris.", "paris")).isEqualTo(1.0);
        assertThat(AnswerMatch.exactMatch("the Paris", "Paris")).isEqualTo(1.0);
        assertThat(AnswerMatch.exactMatch("Paris France", "Paris")).isEqualTo(0.0);
    }

    @Test
    void f1CountsTheWordOverlap() {
        // pred [paris, france], gold [paris]: P = 1/2, R = 1 -> 2/3
        assertThat(AnswerMatch.f1("Paris, France", "Paris")).isCloseTo(2.0 / 3, within(1e-12));
        // pred [cat, cat], gold [cat]: overlap counts once -> P = 1/2, R = 1 -> 2/3
        assertThat(AnswerMatch.f1("the cat cat", "cat")).isCloseTo(2.0 / 3, within(1e-12));
        // pred [new, york, city], gold [york, new]: overlap 2 -> P = 2/3, R = 1 -> 0.8
        assertThat(AnswerMatch.f1("New York City", "new York")).isCloseTo(0.8, within(1e-12));
        assertThat(AnswerMatch.f1("London", "Paris")).isZero();
        assertThat(AnswerMatch.f1("the", "a")).isEqualTo(1.0);                  // both empty after normalising
        assertThat(AnswerMatch.f1("", "Paris")).isZero();
    }
}
