package dev.emend.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.emend.Fixtures;
import dev.emend.tokenizer.TokenBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A pass resumed from a {@link ResumeState} equals the full pass: at every site, for sequential (gpt2, llama) and
 * parallel (gptj, gpt_neox) blocks, with an intervention at the resume point, logits and gradients; a suffix state
 * gives the same logits at the kept slots, with learned and rotary positions and a sliding window (mistral).
 */
class ResumeTest {
    static final double EXACT = 1e-6;
    static final Map<String, LanguageModel> MODELS = new ConcurrentHashMap<>();
    /** Right-padded rows of different lengths, as the v* optimisation batches them. */
    static final List<int[]> ROWS = List.of(
            new int[] {5, 300, 17, 42, 99, 256, 7, 401, 12, 88, 31},
            new int[] {9, 8, 7, 6, 5},
            new int[] {100, 200, 300, 400, 150, 250, 350, 450});
    static final TokenBatch BATCH = TokenBatch.of(ROWS, TokenBatch.Side.RIGHT, 0);
    static final int[][] AT = {{6}, {3}, {2}};    // where the intervention goes, per row

    static LanguageModel model(String name) {
        return MODELS.computeIfAbsent(name, n -> ModelLoader.load(Fixtures.tiny(n)));
    }

    @AfterAll
    static void close() {
        MODELS.values().forEach(LanguageModel::close);
        MODELS.clear();
    }

    static List<HookPoint> points(LanguageModel m) {
        int l = m.config().numLayers() / 2;
        return List.of(HookPoint.embed(), HookPoint.residPre(l), HookPoint.attnOut(l), HookPoint.mlpPost(l),
                HookPoint.mlpOut(l), HookPoint.residPost(l), HookPoint.residPost(m.config().numLayers() - 1),
                HookPoint.finalNorm());
    }

    static NDArray delta(LanguageModel m, HookPoint p) {
        long width = p.site() == HookPoint.Site.MLP_POST ? m.config().intermediateSize() : m.config().hiddenSize();
        return m.manager().randomNormal(0, 0.5f, new Shape(width), DataType.FLOAT32);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "gptj", "gpt_neox", "mistral"})
    void aResumedPassEqualsTheFullPassAtEverySite(String name) {
        LanguageModel m = model(name);
        for (HookPoint p : points(m)) {
            try (NDScope ignored = new NDScope()) {
                NDArray d = delta(m, p);
                Hooks edit = Hooks.builder().addAt(p, AT, d).build();
                float[] full = m.forward(ForwardRequest.builder(BATCH).hooks(edit).build()).logits().toFloatArray();
                ResumeState s = m.forward(ForwardRequest.builder(BATCH).noLogits().saveResume(p)
                        .hooks(Hooks.builder().stopAfter(p).build()).build()).resume();
                assertThat(s.point()).isEqualTo(p);
                for (int round = 0; round < 2; round++) {   // the state survives the scope of a resumed pass
                    try (NDScope step = new NDScope()) {
                        float[] resumed = m.forward(ForwardRequest.builder(s.batch()).resume(s).hooks(edit).build())
                                .logits().toFloatArray();
                        assertThat(Fixtures.maxAbsDiff(full, resumed)).as("%s resumed at %s, round %d", name, p, round)
                                .isLessThanOrEqualTo(EXACT);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void gradientsThroughAResumedPassEqualTheFullPass(String name) {
        LanguageModel m = model(name);
        int l = m.config().numLayers() / 2;
        for (HookPoint p : List.of(HookPoint.mlpOut(l), HookPoint.residPost(l))) {
            try (NDScope ignored = new NDScope()) {
                ResumeState s = m.forward(ForwardRequest.builder(BATCH).noLogits().saveResume(p)
                        .hooks(Hooks.builder().stopAfter(p).build()).build()).resume();
                NDArray d = delta(m, p);
                float[] full = gradient(m, ForwardRequest.builder(BATCH), p, d);
                float[] resumed = gradient(m, ForwardRequest.builder(s.batch()).resume(s), p, d);
                assertThat(Fixtures.maxAbsDiff(full, resumed)).as("%s gradient at %s", name, p).isLessThanOrEqualTo(EXACT);
            }
        }
    }

    /** d/dδ of the summed log-probability of token 3 at the last real slot of each row. */
    static float[] gradient(LanguageModel m, ForwardRequest.Builder req, HookPoint p, NDArray d) {
        NDArray leaf = d.duplicate();
        leaf.setRequiresGradient(true);
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray logits = m.forward(req.hooks(Hooks.builder().addAt(p, AT, leaf).build()).lastLogits().build()).logits();
            gc.backward(logits.logSoftmax(-1).get(":, 0, 3").sum());
            return leaf.getGradient().toFloatArray();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "gptj", "gpt_neox", "mistral"})
    void aSuffixGivesTheSameLogitsAtTheKeptSlots(String name) {
        LanguageModel m = model(name);
        int l = m.config().numLayers() / 2;
        int[] from = {AT[0][0], AT[1][0], AT[2][0]};
        for (HookPoint p : List.of(HookPoint.embed(), HookPoint.residPre(l), HookPoint.mlpOut(l), HookPoint.residPost(l),
                HookPoint.finalNorm())) {
            try (NDScope ignored = new NDScope()) {
                NDArray d = delta(m, p);
                Hooks edit = Hooks.builder().addAt(p, AT, d).build();
                float[] full = m.forward(ForwardRequest.builder(BATCH).hooks(edit).build()).logits().toFloatArray();
                ResumeState s = m.forward(ForwardRequest.builder(BATCH).noLogits().saveResume(p, true).build()).resume()
                        .suffix(from);
                TokenBatch kept = s.batch();
                assertThat(kept.length()).isEqualTo(6);   // row 0 keeps slots 6..10
                assertThat(s.hasPast()).isTrue();
                int[][] shifted = {{0}, {0}, {0}};
                float[] resumed = m.forward(ForwardRequest.builder(kept).resume(s)
                        .hooks(Hooks.builder().addAt(p, shifted, d).build()).build()).logits().toFloatArray();
                int v = m.config().vocabSize();
                double worst = 0;
                for (int b = 0; b < ROWS.size(); b++) {
                    for (int j = 0; j < kept.length(); j++) {
                        if (!kept.isReal(b, j)) {
                            continue;
                        }
                        int o = (b * BATCH.length() + from[b] + j) * v;
                        int r = (b * kept.length() + j) * v;
                        float[] a = java.util.Arrays.copyOfRange(full, o, o + v);
                        float[] c = java.util.Arrays.copyOfRange(resumed, r, r + v);
                        worst = Math.max(worst, Fixtures.maxAbsDiff(a, c));
                    }
                }
                // attention over a kept KV past sums in another order than the full pass: float32 rounding only
                // (measured up to 1.05e-5 on logits of magnitude ~1 at one thread, 4e-6 at two)
                assertThat(worst).as("%s suffix at %s", name, p).isLessThanOrEqualTo(5e-5);
            }
        }
    }

    @Test
    void resumedPassesLeakNothing() {
        LanguageModel m = model("gpt2");
        BaseNDManager act = (BaseNDManager) m.manager();
        HookPoint p = HookPoint.mlpOut(1);
        try (NDScope ignored = new NDScope()) {  // warm-up: lazily created arrays
            m.forward(ForwardRequest.builder(BATCH).noLogits().saveResume(p, true).build()).resume().suffix(new int[] {1, 1, 1});
        }
        int before = act.getManagedArrays().size();
        for (int i = 0; i < 3; i++) {
            try (NDScope outer = new NDScope()) {
                ResumeState s = m.forward(ForwardRequest.builder(BATCH).noLogits().saveResume(p, true).build()).resume()
                        .suffix(new int[] {1, 2, 3});
                for (int j = 0; j < 2; j++) {
                    try (NDScope step = new NDScope()) {
                        m.forward(ForwardRequest.builder(s.batch()).resume(s).lastLogits()
                                .hooks(Hooks.builder().capture(HookPoint.mlpOut(1), HookPoint.residPost(2)).build()).build());
                    }
                }
            }
        }
        assertThat(act.getManagedArrays()).hasSize(before);
    }

    @Test
    void misuseIsRefusedWithTheRemedy() {
        LanguageModel m = model("gpt2");
        try (NDScope ignored = new NDScope()) {
            ResumeState s = m.forward(ForwardRequest.builder(BATCH).noLogits().saveResume(HookPoint.mlpOut(1))
                    .hooks(Hooks.builder().stopAfter(HookPoint.mlpOut(1)).build()).build()).resume();
            assertThatThrownBy(() -> ForwardRequest.builder(s.batch()).resume(s)
                    .hooks(Hooks.builder().capture(HookPoint.attnOut(1)).build()).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("before the resume point");
            assertThatThrownBy(() -> ForwardRequest.builder(TokenBatch.single(1, 2, 3)).resume(s).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ForwardRequest.builder(state.batch())");
            assertThatThrownBy(() -> ForwardRequest.builder(s.batch()).resume(s).cache(new KvCache(3, 3)).build())
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("KV cache");
            assertThatThrownBy(() -> s.suffix(new int[] {1, 1, 1}))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("saveResume(point, true)");
            ResumeState withKeys = m.forward(ForwardRequest.builder(BATCH).noLogits().saveResume(HookPoint.mlpOut(1), true)
                    .build()).resume();
            assertThatThrownBy(() -> withKeys.suffix(new int[] {1, 5, 1})).as("row 1 has 5 real slots")
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("from[1] = 5");
            assertThatThrownBy(() -> m.forward(ForwardRequest.builder(BATCH).noLogits().saveResume(HookPoint.mlpOut(2))
                    .hooks(Hooks.builder().stopAfter(HookPoint.mlpOut(1)).build()).build()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("never reached");
        }
    }

    @Test
    void hooksAfterThePointRunAndCapture() {
        LanguageModel m = model("llama");
        HookPoint p = HookPoint.mlpOut(0);
        try (NDScope ignored = new NDScope()) {
            List<HookPoint> seen = new ArrayList<>();
            Hooks spy = Hooks.builder().edit(p, (x, q) -> {
                seen.add(q);
                return x;
            }).capture(HookPoint.residPost(0), HookPoint.mlpPost(1)).build();
            ForwardResult full = m.forward(ForwardRequest.builder(BATCH).hooks(spy).saveResume(p).build());
            ForwardResult resumed = m.forward(ForwardRequest.builder(BATCH).resume(full.resume()).hooks(spy).build());
            assertThat(seen).containsExactly(p, p);
            for (HookPoint q : List.of(HookPoint.residPost(0), HookPoint.mlpPost(1))) {
                assertThat(resumed.cache().get(q).toFloatArray()).containsExactly(full.cache().get(q).toFloatArray());
            }
        }
    }
}
