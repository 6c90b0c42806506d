package dev.emend.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Sanitation's scores, as EasyEdit's {@code compare} and {@code locality}. */
class ErasureMetricTest {
    @Test
    void forgetCountsAnAnswerThatContainsTheTargetIgnoringCase() {
        assertThat(ErasureMetric.forgot(" I DON'T KNOW. The answer", "I don't know.")).isEqualTo(1.0);
        assertThat(ErasureMetric.forgot(" I don't know", "I don't know.")).as("the full stop is part of the target").isEqualTo(0.0);
        assertThat(ErasureMetric.forgot(" Cheese", "I don't know.")).isEqualTo(0.0);
    }

    @Test
    void retainIsTheShareOfReferenceTokensRepeatedAtTheirPositions() {
        assertThat(ErasureMetric.retained(new int[] {1, 2, 3}, new int[] {1, 5, 3, 4})).isEqualTo(2.0 / 3);
        assertThat(ErasureMetric.retained(new int[] {1, 2}, new int[] {1})).as("a shorter answer misses the rest").isEqualTo(0.5);
        assertThat(ErasureMetric.retained(new int[] {7, 8}, new int[] {8, 7})).isEqualTo(0.0);
        assertThat(ErasureMetric.retained(new int[0], new int[0])).isEqualTo(1.0);
        assertThat(ErasureMetric.retained(new int[0], new int[] {3})).isEqualTo(0.0);
    }
}
