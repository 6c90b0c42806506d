package dev.emend.edit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.emend.Fixtures;
import dev.emend.model.HookPoint;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.model.Orientation;
import dev.emend.model.WeightRef;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Weight patches: W + Δ in the stored orientation, bit-exact revert, composition, refusal of out-of-order reverts. */
class WeightDeltaTest {
    static LanguageModel gpt2;
    static LanguageModel llama;

    @BeforeAll
    static void load() {
        gpt2 = ModelLoader.load(Fixtures.tiny("gpt2"));
        llama = ModelLoader.load(Fixtures.tiny("llama"));
    }

    @AfterAll
    static void close() {
        gpt2.close();
        llama.close();
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian();
        }
        return x;
    }

    @Test
    void lowRankIsAddedInTheStoredOrientation() {
        for (LanguageModel m : new LanguageModel[] {gpt2, llama}) {
            WeightRef w = m.architecture().weight(HookPoint.Site.MLP_POST, 0);
            float[] a = random((int) w.outFeatures(), 1);
            float[] b = random((int) w.inFeatures(), 2);
            float[] before = m.weights().get(w.name()).toFloatArray();
            WeightDelta d = WeightDelta.builder(m).add(WeightDelta.LowRank.outer(w, a, b)).build();
            assertThat(d.isApplied()).isFalse();
            d.apply();
            float[] after = m.weights().get(w.name()).toFloatArray();
            long out = w.outFeatures();
            long in = w.inFeatures();
            for (int o = 0; o < out; o += 7) {
                for (int i = 0; i < in; i += 5) {
                    int at = (int) (w.orientation() == Orientation.OUT_IN ? o * in + i : i * out + o);
                    assertThat(after[at] - before[at]).as("%s Δ[%d,%d]", m.architecture().family(), o, i)
                            .isCloseTo(a[o] * b[i], org.assertj.core.data.Offset.offset(1e-5f));
                }
            }
            d.revert();
            assertThat(m.weights().get(w.name()).toFloatArray()).containsExactly(before);
            assertThat(m.weights().modified()).isEmpty();
        }
    }

    @Test
    void normAndCompositionAgreeWithTheDenseSum() {
        WeightRef w = gpt2.architecture().weight(HookPoint.Site.MLP_POST, 1);
        WeightDelta.LowRank p = WeightDelta.LowRank.outer(w, random(64, 3), random(256, 4));
        WeightDelta.LowRank q = WeightDelta.LowRank.outer(w, random(64, 5), random(256, 6));
        WeightDelta.Update sum = p.plus(q);
        assertThat(sum).isInstanceOf(WeightDelta.LowRank.class);
        assertThat(((WeightDelta.LowRank) sum).rank()).isEqualTo(2);
        WeightDelta.Dense dense = (WeightDelta.Dense) new WeightDelta.Dense(w, new float[64 * 256]).plus(p).plus(q);
        try (NDScope ignored = new NDScope()) {
            NDArray viaFactors = sum.toMath(gpt2.manager());
            NDArray viaDense = dense.toMath(gpt2.manager());
            assertThat(viaFactors.sub(viaDense).abs().max().getFloat()).isLessThan(1e-5f);
        }
        assertThat(sum.norm()).isCloseTo(dense.norm(), org.assertj.core.data.Percentage.withPercentage(1e-4));
    }

    @Test
    void laterPatchesMustBeRevertedFirstAndSequencesRevertAll() {
        WeightRef w = gpt2.architecture().weight(HookPoint.Site.MLP_POST, 2);
        Map<String, byte[]> before = EditTesting.snapshot(gpt2);
        WeightDelta first = WeightDelta.builder(gpt2).add(WeightDelta.LowRank.outer(w, random(64, 7), random(256, 8))).build();
        WeightDelta second = WeightDelta.builder(gpt2).add(WeightDelta.LowRank.outer(w, random(64, 9), random(256, 10))).build();
        first.apply();
        second.apply();
        assertThatThrownBy(first::revert).isInstanceOf(IllegalStateException.class).hasMessageContaining(w.name());
        WeightDelta both = WeightDelta.sequence(List.of(first, second));
        assertThat(both.isApplied()).isTrue();
        both.revert();
        assertThat(first.isApplied()).isFalse();
        assertThat(second.isApplied()).isFalse();
        assertThat(EditTesting.differing(before, EditTesting.snapshot(gpt2))).isEmpty();
    }

    @Test
    void updatesOfTheWrongShapeAreRefused() {
        WeightRef w = gpt2.architecture().weight(HookPoint.Site.MLP_POST, 0);
        WeightRef wrong = new WeightRef(w.name(), w.orientation(), w.inFeatures(), w.outFeatures());
        assertThatThrownBy(() -> WeightDelta.builder(gpt2).add(WeightDelta.LowRank.outer(wrong, new float[256], new float[64])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(w.name());
        assertThatThrownBy(() -> WeightDelta.LowRank.outer(w, new float[3], new float[256]))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
