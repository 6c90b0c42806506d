package dev.emend.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Bad hyper-parameters fail at construction with a message that names the setting, the value and a remedy. */
class TrainConfigTest {
    private static TrainConfig config(int steps, int batch, int tokens, double lr, double minLr, int warmup, double wd,
            double clip, double beta2, int evalEvery, int checkpointEvery) {
        return new TrainConfig(steps, batch, tokens, lr, minLr, warmup, wd, clip, beta2, 1, evalEvery, checkpointEvery);
    }

    @Test
    void goodValuesPass() {
        assertThatCode(() -> config(100, 4, 16, 1e-3, 1e-4, 10, 0.1, 1.0, 0.95, 0, 0)).doesNotThrowAnyException();
        assertThatCode(() -> config(1, 1, 2, 1e-3, 0, 0, 0, 1e9, 0.999, 5, 5)).doesNotThrowAnyException();
        assertThatCode(() -> config(10, 1, 2, 1e-3, 1e-3, 10, 0, 1, 0.5, 0, 0)).doesNotThrowAnyException();
    }

    @Test
    void eachBadValueIsNamedWithWhatToDo() {
        assertThatThrownBy(() -> config(0, 4, 16, 1e-3, 1e-4, 0, 0.1, 1.0, 0.95, 0, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("steps must be ≥ 1, got 0");
        assertThatThrownBy(() -> config(10, 0, 16, 1e-3, 1e-4, 0, 0.1, 1.0, 0.95, 0, 0))
                .hasMessageContaining("batch size must be ≥ 1").hasMessageContaining("got 0");
        assertThatThrownBy(() -> config(10, 4, 1, 1e-3, 1e-4, 0, 0.1, 1.0, 0.95, 0, 0))
                .hasMessageContaining("tokens per row must be ≥ 2").hasMessageContaining("got 1");
        assertThatThrownBy(() -> config(10, 4, 16, 0, 0, 0, 0.1, 1.0, 0.95, 0, 0))
                .hasMessageContaining("peak learning rate").hasMessageContaining("got 0.0");
        assertThatThrownBy(() -> config(10, 4, 16, Double.NaN, 0, 0, 0.1, 1.0, 0.95, 0, 0))
                .hasMessageContaining("peak learning rate").hasMessageContaining("got NaN");
        assertThatThrownBy(() -> config(10, 4, 16, 1e-3, 1e-2, 0, 0.1, 1.0, 0.95, 0, 0))
                .hasMessageContaining("minimum learning rate").hasMessageContaining("got 0.01")
                .hasMessageContaining("0.001");
        assertThatThrownBy(() -> config(10, 4, 16, 1e-3, -1e-4, 0, 0.1, 1.0, 0.95, 0, 0))
                .hasMessageContaining("minimum learning rate").hasMessageContaining("got -1.0E-4");
        assertThatThrownBy(() -> config(100, 4, 16, 1e-3, 1e-4, 300, 0.1, 1.0, 0.95, 0, 0))
                .hasMessageContaining("warm-up").hasMessageContaining("got 300")
                .hasMessageContaining("100 training steps").hasMessageContaining("shorten the warm-up");
        assertThatThrownBy(() -> config(100, 4, 16, 1e-3, 1e-4, -1, 0.1, 1.0, 0.95, 0, 0))
                .hasMessageContaining("warm-up").hasMessageContaining("got -1");
        assertThatThrownBy(() -> config(10, 4, 16, 1e-3, 1e-4, 0, -0.1, 1.0, 0.95, 0, 0))
                .hasMessageContaining("weight decay must be ≥ 0, got -0.1").hasMessageContaining("0 disables it");
        assertThatThrownBy(() -> config(10, 4, 16, 1e-3, 1e-4, 0, 0.1, 0, 0.95, 0, 0))
                .hasMessageContaining("gradient clip norm must be > 0, got 0.0");
        assertThatThrownBy(() -> config(10, 4, 16, 1e-3, 1e-4, 0, 0.1, Double.NaN, 0.95, 0, 0))
                .hasMessageContaining("gradient clip norm").hasMessageContaining("got NaN");
        assertThatThrownBy(() -> config(10, 4, 16, 1e-3, 1e-4, 0, 0.1, 1.0, 1.0, 0, 0))
                .hasMessageContaining("beta2 must be strictly between 0 and 1, got 1.0");
        assertThatThrownBy(() -> config(10, 4, 16, 1e-3, 1e-4, 0, 0.1, 1.0, 0.95, -1, 0))
                .hasMessageContaining("evaluation interval").hasMessageContaining("got -1");
        assertThatThrownBy(() -> config(10, 4, 16, 1e-3, 1e-4, 0, 0.1, 1.0, 0.95, 0, -5))
                .hasMessageContaining("checkpoint interval").hasMessageContaining("got -5");
    }

    @Test
    void messagesCarryTheValueNotJustTheName() {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> config(-3, 4, 16, 1e-3, 1e-4, 0, 0.1, 1.0, 0.95, 0, 0));
        assertThat(e.getMessage()).endsWith("got -3");
    }
}
