package dev.emend.edit;

import ai.djl.ndarray.NDArray;
import dev.emend.Fixtures;
import dev.emend.model.LanguageModel;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Helpers shared by the editing tests. */
public final class EditTesting {
    private EditTesting() {}

    /** @return the golden ROME case folder */
    public static Path goldenRome() {
        return Fixtures.root().getParent().resolve("golden").resolve("rome").resolve("tiny-gpt2");
    }

    /**
     * Raw bytes of every parameter's current value.
     *
     * @param model the model
     * @return name to bytes
     */
    public static Map<String, byte[]> snapshot(LanguageModel model) {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (String name : model.weights().names()) {
            NDArray a = model.weights().get(name);
            ByteBuffer b = a.toByteBuffer();
            byte[] bytes = new byte[b.remaining()];
            b.duplicate().get(bytes);
            out.put(name + " " + a.getDataType() + " " + a.getShape(), bytes);
        }
        return out;
    }

    /**
     * @param before a snapshot
     * @param after another
     * @return names whose bytes differ (or that appear in only one)
     */
    public static java.util.List<String> differing(Map<String, byte[]> before, Map<String, byte[]> after) {
        java.util.List<String> out = new java.util.ArrayList<>();
        for (String k : before.keySet()) {
            if (!after.containsKey(k) || !Arrays.equals(before.get(k), after.get(k))) {
                out.add(k);
            }
        }
        for (String k : after.keySet()) {
            if (!before.containsKey(k)) {
                out.add(k);
            }
        }
        return out;
    }

    /** @param a expected @param b actual @return ‖a − b‖ / ‖a‖ in double precision */
    public static double relDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("lengths differ: " + a.length + " vs " + b.length);
        }
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - b[i];
            num += d * d;
            den += (double) a[i] * a[i];
        }
        return Math.sqrt(num) / Math.sqrt(den);
    }

    /** @param x doubles @return floats */
    public static float[] floats(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }
}
