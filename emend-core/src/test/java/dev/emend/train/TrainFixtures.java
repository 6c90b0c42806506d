package dev.emend.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Reads the golden numbers of {@code fixtures/train/} (written by tools/reference/make_train_fixtures.py). */
final class TrainFixtures {
    private TrainFixtures() {}

    /** @param name file name @return its path */
    static Path file(String name) {
        return Fixtures.root().resolve("train").resolve(name);
    }

    /** @param name a json file of fixtures/train @return its tree */
    static JsonNode json(String name) {
        try {
            return new ObjectMapper().readTree(file(name).toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @param node a number or nested arrays of numbers @return the numbers in row-major order, as float32 */
    static float[] floats(JsonNode node) {
        List<Double> out = new ArrayList<>();
        flatten(node, out);
        float[] f = new float[out.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (double) out.get(i);
        }
        return f;
    }

    /** @param node nested arrays @return their shape */
    static long[] shape(JsonNode node) {
        List<Long> dims = new ArrayList<>();
        for (JsonNode n = node; n.isArray(); n = n.get(0)) {
            dims.add((long) n.size());
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private static void flatten(JsonNode node, List<Double> out) {
        if (node.isArray()) {
            node.forEach(n -> flatten(n, out));
        } else {
            out.add(node.asDouble());
        }
    }

    /** @param a expected @param b actual @return max |a - b| / max(1, |a|) */
    static double maxRelDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs((double) a[i] - b[i]) / Math.max(1.0, Math.abs(a[i])));
        }
        return m;
    }
}
