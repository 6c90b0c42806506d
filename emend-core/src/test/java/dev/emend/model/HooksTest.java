package dev.emend.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.emend.Fixtures;
import dev.emend.tokenizer.TokenBatch;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hook routing: captures are free, edits act where and only where asked, stop ends the pass, gradients flow. */
class HooksTest {
    static LanguageModel gpt2;
    static LanguageModel llama;
    static final TokenBatch BATCH = TokenBatch.single(5, 300, 17, 42, 99, 256, 7, 401);

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

    @Test
    void capturingChangesNothing() {
        try (NDScope ignored = new NDScope()) {
            float[] plain = gpt2.forward(BATCH, Hooks.none()).logits().toFloatArray();
            ForwardResult r = gpt2.forward(BATCH, Hooks.builder().capture(HookPoint.mlpPost(1), HookPoint.residPost(2)).build());
            assertThat(r.logits().toFloatArray()).containsExactly(plain);
            assertThat(r.cache().get(HookPoint.mlpPost(1)).getShape()).isEqualTo(new Shape(1, 8, 256));
        }
    }

    @Test
    void addingAtOnePositionMovesOnlyThatResidual() {
        try (NDScope ignored = new NDScope()) {
            int l = 1;
            int pos = 5;
            NDArray delta = gpt2.manager().randomNormal(new Shape(64));
            Hooks capture = Hooks.builder().capture(HookPoint.residPost(l)).build();
            ForwardResult base = gpt2.forward(BATCH, capture);
            ForwardResult moved = gpt2.forward(BATCH, Hooks.builder()
                    .addAt(HookPoint.mlpOut(l), new int[][] {{pos}}, delta)
                    .capture(HookPoint.residPost(l)).build());
            NDArray diff = moved.cache().get(HookPoint.residPost(l)).sub(base.cache().get(HookPoint.residPost(l))); // [1,T,D]
            float[] atPos = diff.get("0, " + pos).toFloatArray();
            assertThat(Fixtures.maxAbsDiff(atPos, delta.toFloatArray())).isLessThan(1e-5);
            assertThat(diff.get("0, :" + pos).abs().max().getFloat()).isZero();
            assertThat(diff.get("0, " + (pos + 1) + ":").abs().max().getFloat()).isZero();
            // causality: logits before the edited position are untouched
            NDArray dl = moved.logits().sub(base.logits()).abs();
            assertThat(dl.get("0, :" + pos).max().getFloat()).isZero();
            assertThat(dl.get("0, " + pos + ":").max().getFloat()).isPositive();
        }
    }

    @Test
    void replacingTheWholeResidualReproducesAnotherInput() {
        TokenBatch other = TokenBatch.single(9, 8, 7, 6, 5, 4, 3, 2);
        try (NDScope ignored = new NDScope()) {
            ForwardResult src = llama.forward(other, Hooks.builder().capture(HookPoint.residPre(1)).build());
            int[][] all = {{0, 1, 2, 3, 4, 5, 6, 7}};
            ForwardResult patched = llama.forward(BATCH, Hooks.builder()
                    .replaceAt(HookPoint.residPre(1), all, src.cache().get(HookPoint.residPre(1))).build());
            assertThat(Fixtures.maxAbsDiff(src.logits().toFloatArray(), patched.logits().toFloatArray())).isLessThan(1e-5);
        }
    }

    @Test
    void stopAfterEndsThePassWithTheCapture() {
        try (NDScope ignored = new NDScope()) {
            ForwardResult full = gpt2.forward(BATCH, Hooks.builder().capture(HookPoint.mlpPost(0)).build());
            ForwardResult stopped = gpt2.forward(BATCH, Hooks.builder().stopAfter(HookPoint.mlpPost(0)).build());
            assertThat(stopped.logits()).isNull();
            assertThat(stopped.cache().get(HookPoint.mlpPost(0)).toFloatArray())
                    .containsExactly(full.cache().get(HookPoint.mlpPost(0)).toFloatArray());
            assertThat(stopped.cache().contains(HookPoint.mlpOut(0))).isFalse();
        }
    }

    @Test
    void hooksMustKeepTheShape() {
        Hooks bad = Hooks.builder().edit(HookPoint.residPost(0), (x, p) -> x.get("0")).build();
        try (NDScope ignored = new NDScope()) {
            assertThatThrownBy(() -> gpt2.forward(BATCH, bad)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("blocks.0.hook_resid_post");
        }
    }

    @Test
    void gradientOfAnAddedDeltaMatchesFiniteDifferences() {
        int pos = 3;
        int target = 77;
        try (NDScope ignored = new NDScope()) {
            NDArray delta = llama.manager().randomNormal(0, 0.1f, new Shape(64), ai.djl.ndarray.types.DataType.FLOAT32);
            delta.setRequiresGradient(true);
            float[] grad;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray loss = logProb(delta, pos, target);
                gc.backward(loss);
                grad = delta.getGradient().toFloatArray();
            }
            float[] d = delta.stopGradient().toFloatArray();
            double eps = 1e-2;
            for (int i : new int[] {0, 7, 31, 63}) {
                float[] plus = d.clone();
                float[] minus = d.clone();
                plus[i] += (float) eps;
                minus[i] -= (float) eps;
                double numeric = (logProb(llama.manager().create(plus), pos, target).getFloat()
                        - logProb(llama.manager().create(minus), pos, target).getFloat()) / (2 * eps);
                assertThat(grad[i]).as("dL/dδ[%d]", i).isCloseTo((float) numeric, org.assertj.core.data.Offset.offset(2e-3f));
            }
        }
    }

    /**
     * DJL's number overloads ({@code x.mul(2f)}) keep the scalar in a Java direct buffer that is closed at once; if
     * the collector frees it before backward, autograd reads freed memory. The runtime must not use them on
     * differentiated paths: a collection (and reuse of the freed memory) between forward and backward changes
     * nothing.
     */
    @Test
    void garbageCollectionBeforeBackwardChangesNoGradient() throws InterruptedException {
        for (LanguageModel model : new LanguageModel[] {gpt2, llama}) {
            float[] quiet = gradientOfDelta(model, false);
            float[] collected = gradientOfDelta(model, true);
            assertThat(collected).as(model.architecture().family()).containsExactly(quiet);
        }
    }

    private static float[] gradientOfDelta(LanguageModel model, boolean collect) throws InterruptedException {
        try (NDScope ignored = new NDScope()) {
            long d = model.config().hiddenSize();
            NDArray delta = model.manager().full(new Shape(d), 0.05f, ai.djl.ndarray.types.DataType.FLOAT32);
            delta.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                ForwardResult r = model.forward(BATCH,
                        Hooks.builder().addAt(HookPoint.residPre(0), new int[][] {{2}}, delta).build());
                NDArray loss = r.logits().get("0, -1").logSoftmax(-1).get(77);
                if (collect) {
                    for (int round = 0; round < 5; round++) {
                        System.gc();
                        Thread.sleep(20);
                        java.util.List<java.nio.ByteBuffer> churn = new java.util.ArrayList<>();
                        for (int i = 0; i < 2000; i++) {
                            java.nio.ByteBuffer bb = java.nio.ByteBuffer.allocateDirect(4 << (i % 8));
                            while (bb.hasRemaining()) {
                                bb.put((byte) 0x7f);
                            }
                            churn.add(bb);
                        }
                    }
                }
                gc.backward(loss);
                return delta.getGradient().toFloatArray();
            }
        }
    }

    private static NDArray logProb(NDArray delta, int pos, int target) {
        ForwardResult r = llama.forward(BATCH, Hooks.builder().addAt(HookPoint.mlpOut(0), new int[][] {{pos}}, delta).build());
        return r.logits().get("0, -1").logSoftmax(-1).get(target);
    }

    @Test
    void hookPointNamesRoundTrip() {
        for (HookPoint.Site s : HookPoint.Site.values()) {
            HookPoint p = s.perLayer() ? new HookPoint(s, 3) : new HookPoint(s, -1);
            assertThat(HookPoint.parse(p.name())).isEqualTo(p);
        }
        assertThat(HookPoint.mlpPost(17).name()).isEqualTo("blocks.17.mlp.hook_post");
        assertThatThrownBy(() -> HookPoint.parse("blocks.1.hook_nope")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HookPoint(HookPoint.Site.EMBED, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
