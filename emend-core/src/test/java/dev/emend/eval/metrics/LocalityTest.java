package dev.emend.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Pre/post argmax agreement, EasyEdit README's example and the edges. */
class LocalityTest {
    @Test
    void agreementIsTheShareOfUnchangedPositions() {
        assertThat(Locality.agreement(new int[] {29, 234, 334}, new int[] {29, 234, 333})).isCloseTo(2.0 / 3, within(1e-12));
        assertThat(Locality.agreement(new int[] {5}, new int[] {5})).isEqualTo(1.0);
        assertThat(Locality.agreement(new int[] {1, 2, 3, 4}, new int[] {4, 3, 2, 1})).isZero();
        assertThatThrownBy(() -> Locality.agreement(new int[] {1, 2}, new int[] {1})).isInstanceOf(IllegalArgumentException.class);
    }
}
