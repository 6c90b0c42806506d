package dev.emend.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.Fixtures;
import dev.emend.SmolLM2;
import dev.emend.gguf.GgufFile;
import dev.emend.tokenizer.ChatTemplate;
import dev.emend.tokenizer.GgufTokenizers;
import dev.emend.tokenizer.HfTokenizer;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import ai.djl.ndarray.NDArray;
import dev.emend.gguf.GgmlType;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * SmolLM2-135M-Instruct from its Q4_1 GGUF file against transformers loading the same file in float32
 * ({@code tools/reference/make_smollm2_fixtures.py}; its docstring says what is stored and why). Tagged
 * {@code model}: part of the default suite (about 30 s on two busy cores: prompts run as one batch), fetched by {@link SmolLM2} when absent.
 */
@Tag("model")
class SmolLM2ParityTest {
    static final double TOL = 1e-3;
    static final ObjectMapper JSON = new ObjectMapper();
    static LanguageModel model;
    static JsonNode parity;

    @BeforeAll
    static void load() throws IOException {
        model = ModelLoader.load(SmolLM2.gguf());
        parity = JSON.readTree(Fixtures.root().resolve("smollm2/parity.json").toFile());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asInt();
        }
        return out;
    }

    @Test
    void configComesFromTheMetadata() {
        ModelConfig c = model.config();
        assertThat(c.modelType()).isEqualTo("llama");
        assertThat(new int[] {c.vocabSize(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.numKvHeads(), c.headDim(),
            c.intermediateSize(), c.maxPositions()}).containsExactly(49152, 576, 30, 9, 3, 64, 1536, 8192);
        assertThat(c.rotary().theta()).isEqualTo(100000.0);
        assertThat(c.normEps()).isEqualTo((double) 1e-5f); // the file's FLOAT32, exactly as transformers reads it
        assertThat(c.tiedEmbeddings()).isTrue();
        assertThat(model.weights().names()).hasSize(272).contains("model.layers.29.self_attn.q_proj.weight")
                .doesNotContain("lm_head.weight");
        assertThat(model.weights().isSealed()).isTrue();
    }

    /** ids equal transformers' GGUF tokenizer except where it ignores the file's "smollm" pre-tokenizer. */
    @Test
    void tokenizerMatchesTransformersGgufTokenizer() throws IOException {
        JsonNode cases = JSON.readTree(Fixtures.root().resolve("smollm2/tokenizer.json").toFile()).get("cases");
        Tokenizer tok = model.tokenizer();
        int sameAsTransformers = 0;
        List<String> knownDifferences = new ArrayList<>();
        for (JsonNode c : cases) {
            String text = c.get("text").asText();
            int[] ids = tok.encode(text, true);
            int[] hf = ints(c.get("ids"));
            int[] llamacpp = ints(c.get("llamacpp_ids"));
            assertThat(ids).as("ids of %s", text).containsExactly(llamacpp);
            if (Arrays.equals(hf, llamacpp)) {
                assertThat(ids).as("ids of %s", text).containsExactly(hf);
                sameAsTransformers++;
            } else {
                knownDifferences.add(text);
            }
            assertThat(tok.decode(hf, false)).as("decode of %s", text).isEqualTo(c.get("decoded").asText());
        }
        assertThat(cases.size()).isEqualTo(283);
        assertThat(sameAsTransformers).isGreaterThanOrEqualTo(276);
        // where they differ, a digit follows something GPT-2's regex would glue to it (spaces, other numerals)
        assertThat(knownDifferences).hasSize(7).contains("    1  2   3", "\u0663\u0664\u0665 \u0661\u0662");
        System.out.printf("SmolLM2 tokenizer: %d/%d strings identical to transformers' GGUF tokenizer, %d identical "
                + "to llama.cpp's smollm pre-tokenizer%n", sameAsTransformers, cases.size(), cases.size());
    }

    /** The other pre-tokenizer definitions, on the same vocabulary, against transformers' GGUF converter. */
    @Test
    void preTokenizerVariantsMatchTransformers() throws IOException {
        JsonNode cases = JSON.readTree(Fixtures.root().resolve("smollm2/tokenizer.json").toFile()).get("cases");
        GgufTokenizers.HfFiles files = GgufTokenizers.fromGguf(GgufFile.read(SmolLM2.gguf()).metadata(), SmolLM2.gguf());
        for (String pre : List.of("llama-bpe", "qwen2")) {
            ObjectNode json = (ObjectNode) JSON.readTree(files.tokenizerJson());
            json.set("pre_tokenizer", GgufTokenizers.PreTokenizer.forGgufName(pre).json());
            try (HfTokenizer tok = HfTokenizer.of(JSON.writeValueAsBytes(json), files.tokenizerConfig(),
                    files.generationConfig(), null, SmolLM2.gguf())) {
                for (JsonNode c : cases) {
                    assertThat(tok.encode(c.get("text").asText(), false)).as("%s ids of %s", pre, c.get("text"))
                            .containsExactly(ints(c.get("variants").get(pre)));
                }
            }
        }
    }

    @Test
    void lastPositionLogitsMatchWithin1e3() {
        Fixtures.Reference full = new Fixtures.Reference(Fixtures.root().resolve("smollm2/logits.safetensors"));
        float[] fullRows = full.floats("last_logits");
        int v = model.config().vocabSize();
        double maxFull = 0;
        double maxTop = 0;
        double maxStat = 0;
        // one left-padded batch of all prompts: the padded slots are masked out exactly (softmax weight 0)
        List<int[]> prompts = new ArrayList<>();
        parity.get("prompts").forEach(p -> prompts.add(ints(p.get("ids"))));
        float[] all;
        try (NDScope ignored = new NDScope()) {
            TokenBatch b = TokenBatch.of(prompts, TokenBatch.Side.LEFT, model.tokenizer().specials().padOrFallback());
            all = model.forward(ForwardRequest.builder(b).lastLogits().build()).logits().toFloatArray(); // [B*V]
        }
        int row = 0;
        for (JsonNode p : parity.get("prompts")) {
            float[] logits = Arrays.copyOfRange(all, row * v, (row + 1) * v);
            row++;
            assertThat(logits).hasSize(v);
            if (!p.get("full_logits_row").isNull()) {
                int r = p.get("full_logits_row").asInt();
                double d = Fixtures.maxAbsDiff(Arrays.copyOfRange(fullRows, r * v, (r + 1) * v), logits);
                assertThat(d).as("full logits of %s", p.get("prompt")).isLessThanOrEqualTo(TOL);
                maxFull = Math.max(maxFull, d);
            }
            int[] top = ints(p.get("top_ids"));
            for (int i = 0; i < top.length; i++) {
                double d = Math.abs(p.get("top_logits").get(i).asDouble() - logits[top[i]]);
                assertThat(d).as("logit %d of %s", top[i], p.get("prompt")).isLessThanOrEqualTo(TOL);
                maxTop = Math.max(maxTop, d);
            }
            JsonNode s = p.get("stats");
            double[] mine = stats(logits);
            String[] keys = {"max", "min", "mean", "std", "logsumexp"};
            for (int k = 0; k < keys.length; k++) {
                double d = Math.abs(s.get(keys[k]).asDouble() - mine[k]);
                assertThat(d).as("%s of the logits of %s", keys[k], p.get("prompt")).isLessThanOrEqualTo(TOL);
                maxStat = Math.max(maxStat, d);
            }
        }
        System.out.printf("SmolLM2 logits vs transformers: max|Δ| full rows %.3g, top-100 %.3g, statistics %.3g%n",
                maxFull, maxTop, maxStat);
    }

    static double[] stats(float[] x) {
        double max = Double.NEGATIVE_INFINITY;
        double min = Double.POSITIVE_INFINITY;
        double sum = 0;
        for (float f : x) {
            max = Math.max(max, f);
            min = Math.min(min, f);
            sum += f;
        }
        double mean = sum / x.length;
        double sq = 0;
        double exp = 0;
        for (float f : x) {
            sq += (f - mean) * (f - mean);
            exp += Math.exp(f - max);
        }
        return new double[] {max, min, mean, Math.sqrt(sq / x.length), max + Math.log(exp)};
    }

    @Test
    void greedyContinuationsMatchOnAtLeast18Of20() {
        GenerationConfig cfg = new GenerationConfig(parity.get("new_tokens").asInt(), 0, 0, 1, 0, List.of(), false);
        List<int[]> prompts = new ArrayList<>();
        parity.get("prompts").forEach(p -> prompts.add(ints(p.get("ids"))));
        List<GenerationResult> results = new Generator(model).generateIds(prompts, cfg); // one left-padded batch
        int same = 0;
        int i = 0;
        List<String> differing = new ArrayList<>();
        for (JsonNode p : parity.get("prompts")) {
            int[] got = results.get(i++).newIds();
            if (Arrays.equals(got, ints(p.get("greedy_ids")))) {
                same++;
            } else {
                differing.add(p.get("prompt").asText() + " -> " + model.tokenizer().decode(got, false));
            }
        }
        System.out.printf("SmolLM2 greedy 20-token continuations identical to transformers: %d/20%s%n", same,
                differing.isEmpty() ? "" : " (differ: " + differing + ")");
        assertThat(same).as("identical continuations; differing: %s", differing).isGreaterThanOrEqualTo(18);
    }

    @Test
    void capitalOfFranceContinuesLikeTransformers() {
        JsonNode p = parity.get("prompts").get(0);
        assertThat(p.get("prompt").asText()).isEqualTo("The capital of France is");
        GenerationResult r = new Generator(model).generate("The capital of France is", GenerationConfig.greedy(8));
        assertThat(r.newIds()).containsExactly(Arrays.copyOf(ints(p.get("greedy_ids")), 8));
        assertThat(r.text()).startsWith(" Paris.");
    }

    @Test
    void chatTemplateRendersLikeTransformers() {
        ChatTemplate t = model.tokenizer().chatTemplate();
        assertThat(t).isNotNull();
        for (JsonNode c : parity.get("chat")) {
            List<ChatTemplate.Message> msgs = new ArrayList<>();
            c.get("messages").forEach(m -> msgs.add(new ChatTemplate.Message(m.get("role").asText(),
                    m.get("content").asText())));
            String text = t.render(msgs, c.get("add_generation_prompt").asBoolean());
            assertThat(text).isEqualTo(c.get("text").asText());
            assertThat(model.tokenizer().encode(text, false)).containsExactly(ints(c.get("ids")));
        }
        assertThat(model.tokenizer().specials().bosToken()).isEqualTo(parity.get("bos_token").asText());
        assertThat(model.tokenizer().specials().eosToken()).isEqualTo(parity.get("eos_token").asText());
        assertThat(model.tokenizer().specials().isEos(2)).isTrue();
    }

    /** An edited model written as Q8_0 GGUF reads back with the edit (rounded) and llama.cpp's metadata intact. */
    @Test
    void anEditedModelSavesAsGgufAndLoadsBack(@TempDir Path tmp) {
        String name = "model.layers.3.mlp.down_proj.weight";
        WeightStore w = model.weights();
        NDArray original = w.get(name);
        float[] v = original.toFloatArray();
        for (int i = 0; i < v.length; i++) {
            v[i] *= 1.01f;
        }
        NDArray edited = model.manager().create(v, original.getShape());
        NDArray previous = w.replace(name, edited);
        Path out = tmp.resolve("smol.q8_0.gguf");
        try {
            GgufModels.save(model, out, GgmlType.Q8_0);
        } finally {
            w.replace(name, previous);
            w.release(edited);
        }
        try (LanguageModel back = ModelLoader.load(out)) {
            assertSame(name, GgufModelsTest.roundTrip(GgmlType.Q8_0, v), back.weights().get(name).toFloatArray());
            String q = "model.layers.0.self_attn.q_proj.weight"; // permuted on write, unpermuted on read
            assertSame(q, GgufModelsTest.roundTrip(GgmlType.Q8_0, w.get(q).toFloatArray()),
                    back.weights().get(q).toFloatArray());
            assertThat(back.config()).isEqualTo(model.config());
            assertThat(back.tokenizer().chatTemplate().source()).isEqualTo(model.tokenizer().chatTemplate().source());
            GenerationResult r = new Generator(back).generate("The capital of France is", GenerationConfig.greedy(2));
            assertThat(r.text()).startsWith(" Paris");
        }
        GgufFile f = GgufFile.read(out);
        GgufFile src = GgufFile.read(SmolLM2.gguf());
        assertThat(f.metadata().getString("general.name")).isEqualTo(src.metadata().getString("general.name"));
        assertThat(f.metadata().getString("tokenizer.ggml.pre")).isEqualTo("smollm");
        assertThat(f.tensors()).hasSize(src.tensors().size());
        assertThat(f.find("output.weight")).isNull(); // still tied
    }

    /** Bit equality of large arrays, reporting the first difference (AssertJ's diff is quadratic). */
    static void assertSame(String what, float[] expected, float[] actual) {
        assertThat(actual.length).as(what).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                throw new AssertionError("%s differs first at %d: expected %s, got %s".formatted(what, i, expected[i],
                        actual[i]));
            }
        }
    }
}
