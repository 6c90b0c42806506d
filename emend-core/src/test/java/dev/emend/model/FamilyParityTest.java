package dev.emend.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDScope;
import dev.emend.Fixtures;
import dev.emend.tokenizer.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden parity with HF transformers for every family: logits and every hook point in fp32 (≤ 1e-4), padding on
 * either side, and greedy continuations (fixtures written by tools/reference/make_tiny_models.py).
 */
class FamilyParityTest {
    static final double TOL = 1e-4;
    static final Map<String, LanguageModel> MODELS = new ConcurrentHashMap<>();

    static LanguageModel model(String name) {
        return MODELS.computeIfAbsent(name, n -> ModelLoader.load(Fixtures.tiny(n)));
    }

    static Fixtures.Reference ref(String name) {
        return new Fixtures.Reference(Fixtures.tiny(name).resolve("reference.safetensors"));
    }

    @AfterAll
    static void closeModels() {
        MODELS.values().forEach(LanguageModel::close);
        MODELS.clear();
    }

    static TokenBatch batch(Fixtures.Reference r, String prefix) {
        long[] ids = r.longs(prefix + ".input_ids");
        long[] shape = r.shape(prefix + ".input_ids");
        long[] mask = r.has(prefix + ".attention_mask") ? r.longs(prefix + ".attention_mask") : ones(ids.length);
        return TokenBatch.of((int) shape[0], (int) shape[1], ids, mask);
    }

    static long[] ones(int n) {
        long[] o = new long[n];
        Arrays.fill(o, 1);
        return o;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "gpt2_sharded", "llama", "llama_bf16", "mistral", "qwen2", "gptj", "gpt_neox", "gpt_neox_seq", "llama_yarn", "llama_dynamic"})
    void logitsAndEveryHookPointMatchTransformers(String name) {
        LanguageModel m = model(name);
        Fixtures.Reference r = ref(name);
        Hooks.Builder hb = Hooks.builder().capture(HookPoint.embed(), HookPoint.finalNorm());
        for (int l = 0; l < m.config().numLayers(); l++) {
            hb.capture(HookPoint.residPre(l), HookPoint.attnOut(l), HookPoint.mlpPost(l), HookPoint.mlpOut(l),
                    HookPoint.residPost(l));
        }
        try (NDScope ignored = new NDScope()) {
            ForwardResult res = m.forward(batch(r, "plain"), hb.build());
            double d = Fixtures.maxAbsDiff(r.floats("plain.logits"), res.logits().toFloatArray());
            assertThat(d).as("%s logits max|Δ|", name).isLessThanOrEqualTo(TOL);
            for (Map.Entry<HookPoint, ai.djl.ndarray.NDArray> e : res.cache().asMap().entrySet()) {
                double dh = Fixtures.maxAbsDiff(r.floats("plain." + e.getKey().name()), e.getValue().toFloatArray());
                assertThat(dh).as("%s %s max|Δ|", name, e.getKey()).isLessThanOrEqualTo(TOL);
            }
            assertThat(res.cache().asMap()).hasSize(2 + 5 * m.config().numLayers());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral", "qwen2", "gptj", "gpt_neox", "gpt_neox_seq", "llama_yarn", "llama_dynamic"})
    void paddedBatchesMatchAtRealPositions(String name) {
        LanguageModel m = model(name);
        Fixtures.Reference r = ref(name);
        for (String side : List.of("left", "right")) {
            TokenBatch b = batch(r, side);
            assertThat(b.side()).isEqualTo(side.equals("left") ? TokenBatch.Side.LEFT : TokenBatch.Side.RIGHT);
            float[] expected = r.floats(side + ".logits");
            try (NDScope ignored = new NDScope()) {
                float[] actual = m.forward(b, Hooks.none()).logits().toFloatArray();
                int v = m.config().vocabSize();
                double worst = 0;
                for (int i = 0; i < b.batchSize(); i++) {
                    for (int t = 0; t < b.length(); t++) {
                        if (!b.isReal(i, t)) {
                            continue;
                        }
                        int o = (i * b.length() + t) * v;
                        worst = Math.max(worst, Fixtures.maxAbsDiff(Arrays.copyOfRange(expected, o, o + v),
                                Arrays.copyOfRange(actual, o, o + v)));
                    }
                }
                assertThat(worst).as("%s %s-padded logits max|Δ|", name, side).isLessThanOrEqualTo(TOL);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "mistral", "qwen2", "gptj", "gpt_neox", "gpt_neox_seq", "llama_yarn", "llama_dynamic"})
    void greedyContinuationsAreIdentical(String name) {
        LanguageModel m = model(name);
        Fixtures.Reference r = ref(name);
        Generator g = new Generator(m);
        GenerationConfig cfg = GenerationConfig.greedy(16).withStopAtEos(false);
        int[] prompt = Fixtures.ints(r.longs("greedy.input_ids"));
        int[] expected = Fixtures.ints(r.longs("greedy.output_ids"));
        GenerationResult res = g.generateIds(List.of(prompt), cfg).get(0);
        assertThat(res.newIds()).isEqualTo(Arrays.copyOfRange(expected, prompt.length, expected.length));

        TokenBatch b = batch(r, "greedy_batch");
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < b.batchSize(); i++) {
            prompts.add(b.tokens(i));
        }
        long[] outShape = r.shape("greedy_batch.output_ids");
        int[] outIds = Fixtures.ints(r.longs("greedy_batch.output_ids"));
        int newTokens = (int) outShape[1] - b.length();
        List<GenerationResult> batchRes = g.generateIds(prompts, GenerationConfig.greedy(newTokens).withStopAtEos(false));
        for (int i = 0; i < b.batchSize(); i++) {
            int o = i * (int) outShape[1] + b.length();
            assertThat(batchRes.get(i).newIds()).as("%s row %d", name, i).isEqualTo(Arrays.copyOfRange(outIds, o, o + newTokens));
        }
    }
}
