package dev.emend.edit.locate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.emend.model.ForwardRequest;
import dev.emend.model.ForwardResult;
import dev.emend.model.HookPoint;
import dev.emend.model.Hooks;
import dev.emend.model.LanguageModel;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Reads the key {@code k} (input of the MLP out-projection, {@code blocks.L.mlp.hook_post}) and the value {@code m}
 * (its output, {@code blocks.L.hook_mlp_out}) at the fact token of each prompt (ROME {@code compute_u.py},
 * {@code get_module_input_output_at_word}). Prompts are right-padded into batches; the pass stops after the value.
 */
public final class KeyComputer {
    private static final int BATCH = 32;

    private KeyComputer() {}

    /**
     * Keys and values of n prompts.
     *
     * @param keys k per prompt, [n][F]
     * @param values m per prompt, [n][D]
     */
    public record Keys(float[][] keys, float[][] values) {
        /** @return k̄, the mean key over the prompts [F] (ROME averages uniformly over its templates) */
        public float[] meanKey() {
            return mean(keys);
        }

        /**
         * MEMIT's key ({@code compute_ks.py}): the mean within each group of consecutive rows, then the mean of the
         * group means, so the bare prompt weighs as much as all generated contexts together.
         *
         * @param groups group sizes summing to {@link #size()}, e.g. [1, 5]
         * @return the weighted mean key [F]
         */
        public float[] groupMeanKey(List<Integer> groups) {
            int total = groups.stream().mapToInt(Integer::intValue).sum();
            if (total != keys.length) {
                throw new IllegalArgumentException("groups %s cover %d rows, there are %d".formatted(groups, total, keys.length));
            }
            double[] s = new double[keys[0].length];
            int row = 0;
            for (int g : groups) {
                float[] m = mean(java.util.Arrays.copyOfRange(keys, row, row + g));
                for (int i = 0; i < s.length; i++) {
                    s[i] += m[i];
                }
                row += g;
            }
            float[] out = new float[s.length];
            for (int i = 0; i < s.length; i++) {
                out[i] = (float) (s[i] / groups.size());
            }
            return out;
        }

        /** @return m̄, the mean value [D] */
        public float[] meanValue() {
            return mean(values);
        }

        /** @return n */
        public int size() {
            return keys.length;
        }

        private static float[] mean(float[][] rows) {
            double[] s = new double[rows[0].length];
            for (float[] r : rows) {
                for (int i = 0; i < s.length; i++) {
                    s[i] += r[i];
                }
            }
            float[] out = new float[s.length];
            for (int i = 0; i < s.length; i++) {
                out[i] = (float) (s[i] / rows.length);
            }
            return out;
        }
    }

    /**
     * Computes keys and values at the fact token of each subject-filled template.
     *
     * @param model the model
     * @param layer the block whose MLP is read
     * @param templates prompts with one {} for the subject
     * @param subject the subject
     * @param token which token is the fact token
     * @param overrides parameter overrides (e.g. a lower layer's pending update), may be empty
     * @return keys and values in template order
     */
    public static Keys compute(LanguageModel model, int layer, List<String> templates, String subject, FactToken token,
            Map<String, NDArray> overrides) {
        List<SubjectLocator.Located> rows = new ArrayList<>();
        for (String t : templates) {
            rows.add(SubjectLocator.locate(model.tokenizer(), t, subject, token));
        }
        return compute(model, layer, rows, overrides);
    }

    /**
     * Computes keys and values at given positions.
     *
     * @param model the model
     * @param layer the block whose MLP is read
     * @param rows tokenised prompts with their fact-token index
     * @param overrides parameter overrides, may be empty
     * @return keys and values in row order
     */
    public static Keys compute(LanguageModel model, int layer, List<SubjectLocator.Located> rows,
            Map<String, NDArray> overrides) {
        float[][][] kv = read(model, List.of(HookPoint.mlpPost(layer), HookPoint.mlpOut(layer)), rows, overrides);
        return new Keys(kv[0], kv[1]);
    }

    /**
     * Reads activations at given positions, stopping the forward pass after the last point needed.
     *
     * @param model the model
     * @param points hook points to read
     * @param rows tokenised prompts with the index to read
     * @param overrides parameter overrides, may be empty
     * @return per point, per row, the activation [W] as float32
     */
    public static float[][][] read(LanguageModel model, List<HookPoint> points, List<SubjectLocator.Located> rows,
            Map<String, NDArray> overrides) {
        float[][][] out = new float[points.size()][rows.size()][];
        HookPoint last = points.stream().max(HookPoint::compareTo).orElseThrow();
        boolean grad = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try {
            for (int start = 0; start < rows.size(); start += BATCH) {
                List<SubjectLocator.Located> chunk = rows.subList(start, Math.min(rows.size(), start + BATCH));
                try (NDScope ignored = new NDScope()) {
                    List<int[]> ids = chunk.stream().map(SubjectLocator.Located::ids).toList();
                    TokenBatch batch = TokenBatch.of(ids, TokenBatch.Side.RIGHT, model.tokenizer().specials().padOrFallback());
                    Hooks.Builder hooks = Hooks.builder().stopAfter(last);
                    points.forEach(hooks::capture);
                    ForwardRequest.Builder req = ForwardRequest.builder(batch).noLogits().hooks(hooks.build());
                    overrides.forEach(req::override);
                    ForwardResult r = model.forward(req.build());
                    int[] at = chunk.stream().mapToInt(SubjectLocator.Located::index).toArray();
                    for (int p = 0; p < points.size(); p++) {
                        float[][] x = rowsAt(model, r.cache().get(points.get(p)), at);
                        System.arraycopy(x, 0, out[p], start, chunk.size());
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        return out;
    }

    /** x[b, at[b], :] for each row b, as float32 Java arrays. */
    static float[][] rowsAt(LanguageModel model, NDArray x, int[] at) {
        Shape s = x.getShape();                                                            // [B,T,W]
        long t = s.get(1);
        long w = s.get(2);
        long[] flat = new long[at.length];
        for (int b = 0; b < at.length; b++) {
            flat[b] = b * t + at[b];
        }
        NDArray idx = Tensors.create(model.manager(), flat, new Shape(flat.length));
        NDArray picked = x.reshape(s.get(0) * t, w).get(idx);                               // [B,W]
        if (picked.getDataType() != DataType.FLOAT32) {
            picked = picked.toType(DataType.FLOAT32, false);
        }
        float[] all = picked.toFloatArray();
        float[][] out = new float[at.length][(int) w];
        for (int b = 0; b < at.length; b++) {
            System.arraycopy(all, (int) (b * w), out[b], 0, (int) w);
        }
        return out;
    }
}
