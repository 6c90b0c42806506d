package dev.emend.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where every parameter of a decoder lives in the checkpoint, as one family maps it. The generic forward pass
 * ({@link TransformerModel}) reads weights only through this layout; {@link #expectedTensors()} drives load-time
 * validation.
 *
 * @param tokenEmbedding [V,D] token embedding name
 * @param positionEmbedding [P,D] learned position embedding name, or null for rotary models
 * @param blocks one entry per block
 * @param finalNorm the final norm
 * @param lmHead the unembedding; for tied models its weight is {@code tokenEmbedding}
 */
public record ModelLayout(String tokenEmbedding, String positionEmbedding, List<Block> blocks, Norm finalNorm,
        Linear lmHead) {
    /**
     * A norm's parameters.
     *
     * @param weight [D] scale
     * @param bias [D] shift, or null (RMSNorm)
     * @param size D
     */
    public record Norm(String weight, String bias, long size) {}

    /**
     * A projection.
     *
     * @param weight the weight
     * @param bias [out] bias name, or null
     */
    public record Linear(WeightRef weight, String bias) {}

    /** How query, key and value projections are stored. */
    public enum QkvLayout {
        /** Three projections q, k, v. */
        SEPARATE,
        /** One projection whose output is [q | k | v] (GPT-2 {@code c_attn}). */
        FUSED,
        /** One projection whose output is per head [q_h | k_h | v_h] (GPT-NeoX {@code query_key_value}). */
        FUSED_PER_HEAD
    }

    /**
     * Attention parameters.
     *
     * @param layout storage layout of q, k, v
     * @param qkv the fused projection (FUSED layouts) or null
     * @param q query projection (SEPARATE) or null
     * @param k key projection (SEPARATE) or null
     * @param v value projection (SEPARATE) or null
     * @param out output projection
     */
    public record Attention(QkvLayout layout, Linear qkv, Linear q, Linear k, Linear v, Linear out) {}

    /**
     * MLP parameters. Plain: {@code down(act(up x))}; gated: {@code down(act(gate x) ⊙ up x)}.
     *
     * @param up first projection (c_fc, fc_in, up_proj, dense_h_to_4h)
     * @param gate gate projection of gated MLPs, or null
     * @param down output projection; its input is the key k
     */
    public record Mlp(Linear up, Linear gate, Linear down) {}

    /**
     * One block.
     *
     * @param ln1 the norm before attention (and before the MLP in shared-norm parallel blocks)
     * @param ln2 the norm before the MLP, or null when the block shares ln1
     * @param attention attention parameters
     * @param mlp MLP parameters
     */
    public record Block(Norm ln1, Norm ln2, Attention attention, Mlp mlp) {}

    /**
     * Every tensor the checkpoint must contain, with its stored shape, in a stable order.
     *
     * @param vocabSize V
     * @param hiddenSize D
     * @param maxPositions rows of the position embedding
     * @return name to shape
     */
    public Map<String, long[]> expectedTensors(long vocabSize, long hiddenSize, long maxPositions) {
        Map<String, long[]> out = new LinkedHashMap<>();
        out.put(tokenEmbedding, new long[] {vocabSize, hiddenSize});
        if (positionEmbedding != null) {
            out.put(positionEmbedding, new long[] {maxPositions, hiddenSize});
        }
        for (Block b : blocks) {
            norm(out, b.ln1());
            Attention a = b.attention();
            linear(out, a.qkv());
            linear(out, a.q());
            linear(out, a.k());
            linear(out, a.v());
            linear(out, a.out());
            norm(out, b.ln2());
            linear(out, b.mlp().gate());
            linear(out, b.mlp().up());
            linear(out, b.mlp().down());
        }
        norm(out, finalNorm);
        linear(out, lmHead);
        return out;
    }

    private static void norm(Map<String, long[]> out, Norm n) {
        if (n == null) {
            return;
        }
        out.put(n.weight(), new long[] {n.size()});
        if (n.bias() != null) {
            out.put(n.bias(), new long[] {n.size()});
        }
    }

    private static void linear(Map<String, long[]> out, Linear l) {
        if (l == null) {
            return;
        }
        out.put(l.weight().name(), l.weight().storedShape());
        if (l.bias() != null) {
            out.put(l.bias(), new long[] {l.weight().outFeatures()});
        }
    }
}
