package dev.emend.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** Warm-up and cosine decay against the closed form at the points that matter. */
class LrScheduleTest {
    private static final double PEAK = 3e-3;
    private static final double FLOOR = 3e-4;

    /** The closed form: linear from 0 over {@code warmup} steps, then a half cosine from the peak to the floor. */
    private static double closedForm(long step, int warmup, int total) {
        if (step <= warmup) {
            return PEAK * step / warmup;
        }
        double progress = Math.min(1.0, (step - warmup) / (double) (total - warmup));
        return FLOOR + (PEAK - FLOOR) * 0.5 * (1 + Math.cos(Math.PI * progress));
    }

    @Test
    void warmUpThenCosineToTheFloor() {
        LrSchedule s = new LrSchedule(PEAK, FLOOR, 100, 1100);
        assertThat(s.at(0)).as("before the first step").isEqualTo(0.0);
        assertThat(s.at(1)).as("first step").isCloseTo(PEAK / 100, within(1e-15));
        assertThat(s.at(50)).as("half-way through warm-up").isCloseTo(PEAK / 2, within(1e-15));
        assertThat(s.at(100)).as("end of warm-up").isCloseTo(PEAK, within(1e-15));
        assertThat(s.at(101)).as("first decay step").isCloseTo(closedForm(101, 100, 1100), within(1e-15))
                .isLessThan(PEAK);
        assertThat(s.at(600)).as("middle of the decay").isCloseTo((PEAK + FLOOR) / 2, within(1e-15));
        assertThat(s.at(350)).as("a quarter into the decay")
                .isCloseTo(FLOOR + (PEAK - FLOOR) * (2 + Math.sqrt(2)) / 4, within(1e-15));
        assertThat(s.at(1100)).as("last step").isCloseTo(FLOOR, within(1e-15));
        assertThat(s.at(5000)).as("past the end").isCloseTo(FLOOR, within(1e-15));
        for (long step = 1; step <= 1100; step++) {
            assertThat(s.at(step)).as("step %d", step).isCloseTo(closedForm(step, 100, 1100), within(1e-15));
            if (step > 1) {
                if (step <= 100) {
                    assertThat(s.at(step)).isGreaterThan(s.at(step - 1));
                } else {
                    assertThat(s.at(step)).isLessThan(s.at(step - 1));
                }
            }
        }
    }

    @Test
    void withoutWarmUpTheFirstStepIsAlreadyDecaying() {
        LrSchedule s = new LrSchedule(PEAK, FLOOR, 0, 10);
        assertThat(s.at(1)).isCloseTo(FLOOR + (PEAK - FLOOR) * 0.5 * (1 + Math.cos(Math.PI / 10)), within(1e-15));
        assertThat(s.at(10)).isCloseTo(FLOOR, within(1e-15));
    }

    @Test
    void aWarmUpAsLongAsTrainingEndsAtThePeak() {
        LrSchedule s = new LrSchedule(PEAK, FLOOR, 10, 10);
        assertThat(s.at(10)).isCloseTo(PEAK, within(1e-15));
        assertThat(s.at(5)).isCloseTo(PEAK / 2, within(1e-15));
    }

    @Test
    void trainConfigBuildsTheSameSchedule() {
        TrainConfig c = new TrainConfig(1100, 4, 16, PEAK, FLOOR, 100, 0.1, 1.0, 0.95, 1, 0, 0);
        assertThat(c.schedule()).isEqualTo(new LrSchedule(PEAK, FLOOR, 100, 1100));
    }

    @Test
    void badSchedulesNameTheValue() {
        assertThatThrownBy(() -> new LrSchedule(0, 0, 0, 10)).hasMessageContaining("peak learning rate")
                .hasMessageContaining("got 0.0");
        assertThatThrownBy(() -> new LrSchedule(1e-3, 1e-2, 0, 10)).hasMessageContaining("final learning rate")
                .hasMessageContaining("got 0.01");
        assertThatThrownBy(() -> new LrSchedule(1e-3, 0, 0, 0)).hasMessageContaining("total steps must be ≥ 1, got 0");
        assertThatThrownBy(() -> new LrSchedule(1e-3, 0, 11, 10)).hasMessageContaining("warm-up")
                .hasMessageContaining("got 11");
    }
}
