package dev.emend.model.llama;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** llama.cpp's q/k row permutation and its inverse, and the GGUF ↔ HF tensor names. */
class LlamaGgufTest {
    static float[] iota(int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = i;
        }
        return x;
    }

    /** Worked by hand from numpy: reshape(2 heads, 2, hd/2 = 2, 1).swapaxes(1, 2) of rows 0..7. */
    @Test
    void permuteMatchesTheConverterOnAHandWorkedCase() {
        assertThat(LlamaGguf.permute(iota(8), 2, 4)).containsExactly(0, 2, 1, 3, 4, 6, 5, 7);
        assertThat(LlamaGguf.unpermute(new float[] {0, 2, 1, 3, 4, 6, 5, 7}, 2, 4)).containsExactly(iota(8));
        // hd = 6, one head, two columns: HF rows r0..r5 -> GGUF rows r0 r3 r1 r4 r2 r5
        float[] w = iota(12);
        assertThat(LlamaGguf.permute(w, 1, 6)).containsExactly(0, 1, 6, 7, 2, 3, 8, 9, 4, 5, 10, 11);
    }

    @Test
    void unpermuteIsTheExactInverse() {
        Random r = new Random(7);
        for (int[] c : new int[][] {{9, 64, 5}, {3, 64, 7}, {4, 16, 1}, {1, 2, 3}}) {
            float[] w = new float[c[0] * c[1] * c[2]];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) r.nextGaussian();
            }
            assertThat(LlamaGguf.unpermute(LlamaGguf.permute(w, c[0], c[1]), c[0], c[1])).containsExactly(w);
            assertThat(LlamaGguf.permute(LlamaGguf.unpermute(w, c[0], c[1]), c[0], c[1])).containsExactly(w);
            if (c[1] > 2) { // with hd = 2 the pair (0, 1) is both orders: the identity
                assertThat(LlamaGguf.permute(w, c[0], c[1])).isNotEqualTo(w);
            }
        }
        assertThatThrownBy(() -> LlamaGguf.permute(new float[10], 2, 3)).isInstanceOf(IllegalArgumentException.class);
    }

    /**
     * Why the permutation exists: llama.cpp rotates adjacent pairs (2i, 2i+1), HF rotates (i, i + hd/2). Rotating the
     * permuted projection's output interleaved equals permuting the rotate-half result, so q·k is unchanged.
     */
    @Test
    void interleavedRotaryOnGgufRowsEqualsRotateHalfOnHfRows() {
        int hd = 8;
        int half = hd / 2;
        Random r = new Random(3);
        double[] q = new double[hd];
        for (int i = 0; i < hd; i++) {
            q[i] = r.nextGaussian();
        }
        int pos = 5;
        double[] hf = new double[hd];
        double[] ggufIn = toDouble(LlamaGguf.permute(toFloat(q), 1, hd));
        double[] gguf = new double[hd];
        for (int i = 0; i < half; i++) {
            double a = pos * Math.pow(10000, -2.0 * i / hd);
            hf[i] = q[i] * Math.cos(a) - q[i + half] * Math.sin(a);
            hf[i + half] = q[i + half] * Math.cos(a) + q[i] * Math.sin(a);
            gguf[2 * i] = ggufIn[2 * i] * Math.cos(a) - ggufIn[2 * i + 1] * Math.sin(a);
            gguf[2 * i + 1] = ggufIn[2 * i + 1] * Math.cos(a) + ggufIn[2 * i] * Math.sin(a);
        }
        double[] back = toDouble(LlamaGguf.unpermute(toFloat(gguf), 1, hd));
        for (int i = 0; i < hd; i++) {
            assertThat(back[i]).isCloseTo(hf[i], org.assertj.core.data.Offset.offset(1e-6));
        }
    }

    static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    @Test
    void namesMapBothWays() {
        LlamaGguf g = new LlamaGguf();
        String[][] pairs = {
            {"token_embd.weight", "model.embed_tokens.weight"},
            {"output_norm.weight", "model.norm.weight"},
            {"output.weight", "lm_head.weight"},
            {"blk.0.attn_norm.weight", "model.layers.0.input_layernorm.weight"},
            {"blk.12.attn_q.weight", "model.layers.12.self_attn.q_proj.weight"},
            {"blk.12.attn_k.bias", "model.layers.12.self_attn.k_proj.bias"},
            {"blk.3.attn_v.weight", "model.layers.3.self_attn.v_proj.weight"},
            {"blk.3.attn_output.weight", "model.layers.3.self_attn.o_proj.weight"},
            {"blk.29.ffn_norm.weight", "model.layers.29.post_attention_layernorm.weight"},
            {"blk.29.ffn_gate.weight", "model.layers.29.mlp.gate_proj.weight"},
            {"blk.29.ffn_up.weight", "model.layers.29.mlp.up_proj.weight"},
            {"blk.29.ffn_down.weight", "model.layers.29.mlp.down_proj.weight"},
        };
        for (String[] p : pairs) {
            assertThat(g.hfName(p[0])).isEqualTo(p[1]);
            assertThat(g.ggufName(p[1])).isEqualTo(p[0]);
        }
        assertThat(g.hfName("rope_freqs.weight")).isNull();
        assertThat(g.hfName("blk.0.ffn_gate_exps.weight")).isNull();
        assertThat(g.reorders("model.layers.0.self_attn.q_proj.weight")).isTrue();
        assertThat(g.reorders("model.layers.0.self_attn.k_proj.bias")).isTrue();
        assertThat(g.reorders("model.layers.0.self_attn.v_proj.weight")).isFalse();
        assertThatThrownBy(() -> g.ggufName("transformer.h.0.attn.c_attn.weight"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
