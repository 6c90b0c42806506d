package dev.emend.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.emend.Fixtures;
import dev.emend.tensor.Tensors;
import org.junit.jupiter.api.Test;

/**
 * {@link AdamW} against {@code torch.optim.AdamW} (fixtures/train/adamw.json): six steps with a different learning
 * rate each, decoupled weight decay 0.5 on one tensor and none on the other, and gradients of about 1e-8 in one
 * column, where the placement of ε decides the update.
 */
class AdamWParityTest {
    /** Parameters are O(1); float32 rounding over six steps stays far below this. */
    private static final double TOLERANCE = 1e-6;

    @Test
    void everyStepMatchesTorchAdamW() {
        JsonNode f = TrainFixtures.json("adamw.json");
        float beta1 = (float) f.get("betas").get(0).asDouble();
        float beta2 = (float) f.get("betas").get(1).asDouble();
        float eps = (float) f.get("eps").asDouble();
        String[] names = {"w", "b"};
        double worst = 0;
        try (NDManager m = NDManager.newBaseManager(); AdamW adam = new AdamW(m, beta1, beta2, eps)) {
            NDArray[] params = new NDArray[names.length];
            for (int i = 0; i < names.length; i++) {
                JsonNode init = f.get("initial").get(names[i]);
                params[i] = Tensors.create(m, TrainFixtures.floats(init), new Shape(TrainFixtures.shape(init)));
            }
            int stepNo = 0;
            for (JsonNode step : f.get("steps")) {
                stepNo++;
                float lr = (float) step.get("lr").asDouble();
                adam.beginStep();
                for (int i = 0; i < names.length; i++) {
                    JsonNode g = step.get("grads").get(names[i]);
                    try (NDArray grad = Tensors.create(m, TrainFixtures.floats(g), new Shape(TrainFixtures.shape(g)))) {
                        adam.update(names[i], params[i], grad, lr, (float) f.get("weight_decay").get(names[i]).asDouble());
                    }
                }
                for (int i = 0; i < names.length; i++) {
                    float[] expected = TrainFixtures.floats(step.get("params").get(names[i]));
                    double d = Fixtures.maxAbsDiff(expected, params[i].toFloatArray());
                    worst = Math.max(worst, d);
                    assertThat(d).as("step %d (lr %s) param %s: max |Δ| to torch", stepNo, lr, names[i])
                            .isLessThanOrEqualTo(TOLERANCE);
                }
            }
            assertThat(adam.step()).isEqualTo(f.get("steps").size());
        }
        System.out.printf("AdamW vs torch.optim.AdamW: max |Δ| %.3g over %d steps%n", worst, f.get("steps").size());
    }

    @Test
    void fixtureIsSensitiveToEpsilonAndDecayOrder() {
        // the test above would catch the usual slips: check that each one moves the result well past the tolerance
        JsonNode f = TrainFixtures.json("adamw.json");
        double b1 = f.get("betas").get(0).asDouble();
        double b2 = f.get("betas").get(1).asDouble();
        double eps = f.get("eps").asDouble();
        double wd = f.get("weight_decay").get("w").asDouble();
        float[] p0 = TrainFixtures.floats(f.get("initial").get("w"));
        double[][] variants = new double[3][p0.length];
        for (double[] v : variants) {
            for (int i = 0; i < p0.length; i++) {
                v[i] = p0[i];
            }
        }
        double[] m = new double[p0.length];
        double[] s = new double[p0.length];
        int t = 0;
        float[] expected = null;
        for (JsonNode step : f.get("steps")) {
            t++;
            double lr = step.get("lr").asDouble();
            float[] g = TrainFixtures.floats(step.get("grads").get("w"));
            double c1 = 1 - Math.pow(b1, t);
            double c2 = 1 - Math.pow(b2, t);
            for (int i = 0; i < g.length; i++) {
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                s[i] = b2 * s[i] + (1 - b2) * g[i] * g[i];
                double torch = m[i] / c1 / (Math.sqrt(s[i] / c2) + eps);
                double epsInside = m[i] / c1 / Math.sqrt(s[i] / c2 + eps);
                variants[0][i] = variants[0][i] * (1 - lr * wd) - lr * torch;
                variants[1][i] = variants[1][i] * (1 - lr * wd) - lr * epsInside;
                variants[2][i] = (variants[2][i] - lr * torch) * (1 - lr * wd); // decay after the step
            }
            expected = TrainFixtures.floats(step.get("params").get("w"));
        }
        assertThat(maxAbs(variants[0], expected)).as("double-precision torch formula").isLessThan(1e-6);
        assertThat(maxAbs(variants[1], expected)).as("ε inside the square root").isGreaterThan(1e-3);
        assertThat(maxAbs(variants[2], expected)).as("decay after the update").isGreaterThan(1e-5);
    }

    private static double maxAbs(double[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}
