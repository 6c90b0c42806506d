package dev.emend.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.emend.Fixtures;
import dev.emend.tensor.Tensors;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link GradClip} against {@code torch.nn.utils.clip_grad_norm_} (fixtures/train/clip.json). */
class GradClipTest {
    @Test
    void normAndClippedGradientsMatchTorch() {
        JsonNode f = TrainFixtures.json("clip.json");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> grads = new LinkedHashMap<>();
            f.get("grads").fields().forEachRemaining(e -> grads.put(e.getKey(),
                    Tensors.create(m, TrainFixtures.floats(e.getValue()), new Shape(TrainFixtures.shape(e.getValue())))));
            double norm = GradClip.globalNorm(grads.values());
            for (JsonNode c : f.get("cases")) {
                double maxNorm = c.get("max_norm").asDouble();
                double total = c.get("total_norm").asDouble();
                assertThat(norm).as("global norm").isCloseTo(total, within(1e-6 * total));
                double coef = GradClip.coefficient(norm, maxNorm);
                double worst = 0;
                for (Map.Entry<String, NDArray> e : grads.entrySet()) {
                    float[] clipped = e.getValue().mul((float) coef).toFloatArray();
                    float[] expected = TrainFixtures.floats(c.get("clipped").get(e.getKey()));
                    worst = Math.max(worst, Fixtures.maxAbsDiff(expected, clipped));
                }
                System.out.printf("clip max_norm %s: norm %.7f (torch %.7f) coef %.7f, max |Δ| %.3g%n", maxNorm, norm,
                        total, coef, worst);
                assertThat(worst).as("clipped gradients, max_norm %s", maxNorm).isLessThanOrEqualTo(1e-6);
            }
        }
    }

    @Test
    void coefficientIsTorchsClampedRatio() {
        assertThat(GradClip.coefficient(4.0, 1.0)).isEqualTo(1.0 / (4.0 + 1e-6));
        assertThat(GradClip.coefficient(0.5, 1.0)).isEqualTo(1.0);
        assertThat(GradClip.coefficient(0.0, 1.0)).isEqualTo(1.0);
        // torch scales even a norm a hair under the threshold, because of the +1e-6
        assertThat(GradClip.coefficient(1.0, 1.0)).isLessThan(1.0).isCloseTo(1.0, within(2e-6));
    }

    @Test
    void globalNormIsTheNormOfAllGradientsAsOneVector() {
        try (NDManager m = NDManager.newBaseManager()) {
            List<NDArray> grads = new ArrayList<>();
            grads.add(Tensors.create(m, new float[] {3f, 0f}, new Shape(2)));
            grads.add(Tensors.create(m, new float[] {0f, 4f, 0f, 12f}, new Shape(2, 2)));
            assertThat(GradClip.globalNorm(grads)).isCloseTo(13.0, within(1e-9));
        }
    }
}
