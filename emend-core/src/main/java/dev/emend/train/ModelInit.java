package dev.emend.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.emend.model.Architecture;
import dev.emend.model.ModelConfig;
import dev.emend.model.ModelLayout;
import dev.emend.tensor.SafeTensors;
import dev.emend.tensor.StorageType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Random initialisation of a new model, GPT-2 style: weights N(0, 0.02), residual output projections (attention
 * out, MLP down) N(0, 0.02/√(2L)), biases 0, norm scales 1. Seeded with {@link Random}, so a seed always gives the
 * same weights.
 */
public final class ModelInit {
    private static final double STD = 0.02;

    private ModelInit() {}

    /**
     * Writes {@code model.safetensors} with fresh weights for an architecture.
     *
     * @param arch the architecture (from a config.json)
     * @param file destination
     * @param seed the seed
     */
    public static void write(Architecture arch, Path file, long seed) {
        ModelConfig c = arch.config();
        ModelLayout layout = arch.layout();
        Map<String, long[]> shapes = layout.expectedTensors(c.vocabSize(), c.hiddenSize(), c.maxPositions());
        Set<String> ones = new HashSet<>();
        Set<String> zeros = new HashSet<>();
        Set<String> residual = new HashSet<>();
        for (ModelLayout.Block b : layout.blocks()) {
            norm(b.ln1(), ones, zeros);
            norm(b.ln2(), ones, zeros);
            residual.add(b.attention().out().weight().name());
            residual.add(b.mlp().down().weight().name());
        }
        norm(layout.finalNorm(), ones, zeros);
        Random random = new Random(seed);
        double residualStd = STD / Math.sqrt(2.0 * c.numLayers());
        try (NDManager m = NDManager.newBaseManager()) {
            List<SafeTensors.Entry> entries = new ArrayList<>();
            for (Map.Entry<String, long[]> e : shapes.entrySet()) {
                String name = e.getKey();
                long n = 1;
                for (long d : e.getValue()) {
                    n *= d;
                }
                float[] values = new float[Math.toIntExact(n)];
                boolean bias = !ones.contains(name) && e.getValue().length == 1;
                if (ones.contains(name)) {
                    java.util.Arrays.fill(values, 1f);
                } else if (!zeros.contains(name) && !bias) {
                    double std = residual.contains(name) ? residualStd : STD;
                    for (int i = 0; i < values.length; i++) {
                        values[i] = (float) (random.nextGaussian() * std);
                    }
                }
                NDArray a = m.create(values, new Shape(e.getValue()));
                entries.add(new SafeTensors.Entry(name, a, StorageType.F32));
            }
            SafeTensors.write(file, entries, Map.of("format", "pt"));
        }
    }

    private static void norm(ModelLayout.Norm n, Set<String> ones, Set<String> zeros) {
        if (n == null) {
            return;
        }
        ones.add(n.weight());
        if (n.bias() != null) {
            zeros.add(n.bias());
        }
    }
}
