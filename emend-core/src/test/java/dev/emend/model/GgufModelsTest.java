package dev.emend.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.Fixtures;
import dev.emend.ModelLoadException;
import dev.emend.UnsupportedArchitectureException;
import dev.emend.gguf.GgmlDequant;
import dev.emend.gguf.GgmlQuant;
import dev.emend.gguf.GgmlType;
import dev.emend.gguf.GgufException;
import dev.emend.gguf.GgufFile;
import dev.emend.gguf.GgufTensorInfo;
import dev.emend.gguf.GgufWriter;
import dev.emend.tokenizer.TokenBatch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GGUF in and out on the tiny llama fixture (with default rotary: llama.cpp keeps Llama-3 rope scaling in a tensor
 * Emend does not write yet): HF folder → GGUF → model is exact in F32 and the expected rounding in F16/Q8_0; GGUF →
 * GGUF is byte-stable; GGUF → HF folder loads back identically; the written files are the committed ones that
 * {@code tools/reference/check_gguf_written.py} verified with gguf-py and transformers; bad files fail with one
 * message naming the tensors or keys.
 */
class GgufModelsTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path WRITTEN = Fixtures.root().resolve("gguf/written");
    static final List<String> TEXTS = List.of("The quick brown fox", "Hello, world!\n  x = 1", "<|endoftext|>ok");

    @TempDir
    Path tmp;

    /** fixtures/tiny/llama with {@code rope_type: default}, in a folder named tiny-llama (the GGUF general.name). */
    static Path tinyLlama(Path tmp) throws IOException {
        Path src = Fixtures.tiny("llama");
        Path dir = Files.createDirectories(tmp.resolve("tiny-llama"));
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json")) {
            Files.copy(src.resolve(f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        cfg.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 10000.0);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(cfg));
        return dir;
    }

    static float[] logits(LanguageModel m) {
        try (NDScope ignored = new NDScope()) {
            List<int[]> rows = TEXTS.stream().map(t -> m.tokenizer().encode(t, true)).toList();
            return m.forward(ForwardRequest.builder(TokenBatch.of(rows, TokenBatch.Side.LEFT, 0)).build()).logits()
                    .toFloatArray();
        }
    }

    static void assertSameTokenizer(LanguageModel a, LanguageModel b) {
        for (String t : TEXTS) {
            assertThat(b.tokenizer().encode(t, true)).as(t).containsExactly(a.tokenizer().encode(t, true));
            assertThat(b.tokenizer().decode(a.tokenizer().encode(t, true), false)).isEqualTo(t);
        }
        assertThat(b.tokenizer().specials().bos()).isEqualTo(a.tokenizer().specials().bos());
        assertThat(b.tokenizer().specials().eos()).isEqualTo(a.tokenizer().specials().eos());
        assertThat(b.tokenizer().vocabSize()).isEqualTo(a.tokenizer().vocabSize());
    }

    @Test
    void hfFolderToGgufF32IsExactAndGgufToGgufIsByteStable() throws IOException {
        Path dir = tinyLlama(tmp);
        Path f32 = tmp.resolve("a.gguf");
        Path again = tmp.resolve("b.gguf");
        try (LanguageModel hf = ModelLoader.load(dir)) {
            GgufModels.save(hf, f32, GgmlType.F32);
            try (LanguageModel g = ModelLoader.load(f32)) {
                assertThat(g.source()).isEqualTo(f32);
                assertThat(g.weights().names()).containsExactlyElementsOf(hf.weights().names());
                for (String n : hf.weights().names()) {
                    assertThat(g.weights().get(n).toFloatArray()).as(n).containsExactly(hf.weights().get(n).toFloatArray());
                }
                ModelConfig a = hf.config();
                ModelConfig b = g.config();
                assertThat(b.vocabSize()).isEqualTo(a.vocabSize());
                assertThat(b.numKvHeads()).isEqualTo(a.numKvHeads());
                assertThat(b.headDim()).isEqualTo(a.headDim());
                assertThat(b.maxPositions()).isEqualTo(a.maxPositions());
                assertThat(b.tiedEmbeddings()).isFalse();
                assertThat(b.normEps()).isEqualTo((double) (float) a.normEps()); // GGUF stores FLOAT32
                assertThat(b.rotary().theta()).isEqualTo(a.rotary().theta());
                assertSameTokenizer(hf, g);
                assertThat(Fixtures.maxAbsDiff(logits(hf), logits(g))).isLessThanOrEqualTo(1e-5);
                GgufModels.save(g, again, GgmlType.F32);
            }
        }
        assertThat(Files.readAllBytes(again)).as("GGUF -> model -> GGUF gives the same file")
                .isEqualTo(Files.readAllBytes(f32));
        GgufFile f = GgufFile.read(f32);
        assertThat(f.metadata().getString("general.architecture")).isEqualTo("llama");
        assertThat(f.metadata().getString("general.name")).isEqualTo("tiny-llama");
        assertThat(f.metadata().getString("tokenizer.ggml.pre")).isEqualTo("gpt-2");
        assertThat(f.tensor("blk.1.attn_q.weight").shape()).containsExactly(64, 64);
        assertThat(f.tensor("output.weight").type()).isEqualTo(GgmlType.F32);
    }

    /** F16 and Q8_0 files hold each matrix rounded row by row (the q/k permutation moves whole rows). */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "Q8_0"})
    void quantisedFilesHoldTheRoundedWeights(String typeName) throws IOException {
        GgmlType type = GgmlType.valueOf(typeName);
        Path file = tmp.resolve("q.gguf");
        try (LanguageModel hf = ModelLoader.load(tinyLlama(tmp))) {
            GgufModels.save(hf, file, type);
            try (LanguageModel g = ModelLoader.load(file)) {
                for (String n : hf.weights().names()) {
                    float[] orig = hf.weights().get(n).toFloatArray();
                    boolean matrix = hf.weights().get(n).getShape().dimension() == 2;
                    float[] want = matrix ? roundTrip(type, orig) : orig;
                    assertThat(g.weights().get(n).toFloatArray()).as(n).containsExactly(want);
                }
                float[] a = logits(hf);
                float[] b = logits(g);
                // a sanity bound only (the weights above are the exact test): the tiny model's random weights make
                // its logits large (std ~3), and Q8_0 moves them by up to ~0.5
                assertThat(Fixtures.maxAbsDiff(a, b)).isLessThan(type == GgmlType.F16 ? 0.02 : 1.0);
            }
        }
        GgufFile f = GgufFile.read(file);
        assertThat(f.tensor("blk.0.ffn_down.weight").type()).isEqualTo(type);
        assertThat(f.tensor("blk.0.attn_norm.weight").type()).isEqualTo(GgmlType.F32);
        assertThat(f.metadata().getLong("general.file_type")).isEqualTo(type == GgmlType.F16 ? 1 : 7);
    }

    static float[] roundTrip(GgmlType type, float[] x) {
        ByteBuffer b = ByteBuffer.allocate((int) GgmlQuant.byteSize(type, x.length)).order(ByteOrder.LITTLE_ENDIAN);
        GgmlQuant.quantize(type, x, 0, x.length, b);
        float[] out = new float[x.length];
        GgmlDequant.dequantize(type, b, 0, out, 0, x.length / type.blockSize());
        return out;
    }

    /**
     * The files Emend writes for the tiny llama are byte-identical to the committed ones, which
     * {@code tools/reference/check_gguf_written.py} read with gguf-py (names against gguf-py's tensor map, bytes
     * against gguf.quants of the permuted HF weights, metadata) and loaded with transformers (logits); Emend
     * dequantises every tensor to the same float32 values gguf-py does.
     *
     * <p>After an intended change of the writer: run this test with {@code -Demend.writeGgufFixtures=true} (it
     * copies the new files into the fixtures), then re-run the Python script and commit both.
     */
    @ParameterizedTest
    @ValueSource(strings = {"F16", "Q8_0"})
    void writtenFilesAreTheOnesGgufPyAndTransformersChecked(String typeName) throws IOException {
        GgmlType type = GgmlType.valueOf(typeName);
        String name = "tiny-llama." + typeName.toLowerCase(java.util.Locale.ROOT) + ".gguf";
        Path file = tmp.resolve(name);
        try (LanguageModel hf = ModelLoader.load(tinyLlama(tmp))) {
            GgufModels.save(hf, file, type);
        }
        if (Boolean.getBoolean("emend.writeGgufFixtures")) {
            Files.createDirectories(WRITTEN);
            Files.copy(file, WRITTEN.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
        Path committed = WRITTEN.resolve(name);
        assertThat(committed).as("run with -Demend.writeGgufFixtures=true, then tools/reference/check_gguf_written.py")
                .exists();
        assertThat(Files.readAllBytes(file)).as("the writer's output changed: regenerate the fixtures (see javadoc)")
                .isEqualTo(Files.readAllBytes(committed));
        JsonNode checked = JSON.readTree(WRITTEN.resolve("written.json").toFile()).get("files").get(name);
        assertThat(checked).as("written.json has no entry for %s: run tools/reference/check_gguf_written.py", name)
                .isNotNull();
        assertThat(checked.get("sha256").asText()).isEqualTo(sha256(Files.readAllBytes(committed)));
        GgufFile f = GgufFile.read(committed);
        JsonNode tensors = checked.get("tensors");
        assertThat(f.tensors()).hasSize(tensors.size());
        for (GgufTensorInfo t : f.tensors()) {
            JsonNode j = tensors.get(t.name());
            assertThat(j).as(t.name()).isNotNull();
            assertThat(t.type().name()).isEqualTo(j.get("type").asText());
            float[] v = f.dequantize(t);
            ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asFloatBuffer().put(v);
            assertThat(sha256(b.array())).as("%s dequantised by Emend and by gguf-py", t.name())
                    .isEqualTo(j.get("f32_sha256").asText());
        }
        for (Map.Entry<String, JsonNode> e : checked.get("checks").properties()) {
            assertThat(e.getValue().asBoolean()).as("gguf-py/transformers check %s", e.getKey()).isTrue();
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aGgufModelSavesAsAnHfFolderThatLoadsTheSame() throws IOException {
        Path file = tmp.resolve("m.gguf");
        Path out = tmp.resolve("hf-out");
        try (LanguageModel hf = ModelLoader.load(tinyLlama(tmp))) {
            GgufModels.save(hf, file, GgmlType.Q8_0);
        }
        try (LanguageModel g = ModelLoader.load(file)) {
            ModelSaver.save(g, out, ModelSaver.Options.full());
            assertThat(out.resolve("config.json")).exists();
            JsonNode cfg = JSON.readTree(out.resolve("config.json").toFile());
            assertThat(cfg.get("model_type").asText()).isEqualTo("llama");
            assertThat(cfg.get("tie_word_embeddings").asBoolean()).isFalse();
            try (LanguageModel back = ModelLoader.load(out)) {
                for (String n : g.weights().names()) {
                    assertThat(back.weights().get(n).toFloatArray()).as(n).containsExactly(g.weights().get(n).toFloatArray());
                }
                assertSameTokenizer(g, back);
                assertThat(Fixtures.maxAbsDiff(logits(g), logits(back))).isZero();
            }
        }
    }

    // ---- bad input ----

    /** Rewrites a GGUF file: keeps the keys and tensors the filters accept, then adds what {@code extra} puts. */
    static Path rewrite(Path src, Path out, Predicate<String> keepKey, Predicate<String> keepTensor,
            Consumer<GgufWriter> extra) {
        GgufFile f = GgufFile.read(src);
        GgufWriter w = new GgufWriter();
        f.metadata().keys().stream().filter(keepKey).forEach(k -> w.copy(f.metadata(), k));
        for (GgufTensorInfo t : f.tensors()) {
            if (keepTensor.test(t.name())) {
                w.addTensor(t.name(), t.shape(), GgmlType.F32, () -> f.dequantize(t));
            }
        }
        extra.accept(w);
        w.write(out);
        return out;
    }

    Path tinyGguf() throws IOException {
        Path file = tmp.resolve("ok.gguf");
        try (LanguageModel hf = ModelLoader.load(tinyLlama(tmp))) {
            GgufModels.save(hf, file, GgmlType.F32);
        }
        return file;
    }

    @Test
    void anUnsupportedArchitectureIsNamedWithTheSupportedOnes() throws IOException {
        Path bad = rewrite(tinyGguf(), tmp.resolve("mamba.gguf"), k -> !k.equals("general.architecture"), t -> true,
                w -> w.putString("general.architecture", "mamba"));
        assertThatThrownBy(() -> ModelLoader.load(bad)).isInstanceOf(UnsupportedArchitectureException.class)
                .hasMessageContaining("GGUF architecture 'mamba' is not supported; supported: [llama]");
    }

    @Test
    void missingMisshapenAndUnexpectedTensorsAreListedInOneMessage() throws IOException {
        Path ok = tinyGguf();
        Path bad = rewrite(ok, tmp.resolve("bad.gguf"), k -> true,
                t -> !t.equals("blk.1.ffn_down.weight") && !t.equals("output_norm.weight"),
                w -> w.addTensor("blk.0.ffn_gate_exps.weight", new long[] {4, 64}, GgmlType.F32, () -> new float[256]));
        assertThatThrownBy(() -> ModelLoader.load(bad)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("does not match its own metadata (llama, 2 layers, d=64, vocab 512)")
                .hasMessageContaining("missing (2): blk.1.ffn_down.weight (model.layers.1.mlp.down_proj.weight) [64, 128]")
                .hasMessageContaining("output_norm.weight (model.norm.weight) [64]")
                .hasMessageContaining("unexpected (1): blk.0.ffn_gate_exps.weight")
                .hasMessageContaining("re-convert the model with llama.cpp's convert_hf_to_gguf.py");
        Path narrow = rewrite(ok, tmp.resolve("ffn.gguf"), k -> !k.equals("llama.feed_forward_length"), t -> true,
                w -> w.putUint32("llama.feed_forward_length", 96));
        assertThatThrownBy(() -> ModelLoader.load(narrow)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("wrong shape or type (6): blk.0.ffn_gate.weight is [128, 64], expected [96, 64]");
    }

    @Test
    void aMissingMetadataKeyIsNamed() throws IOException {
        Path bad = rewrite(tinyGguf(), tmp.resolve("nokey.gguf"), k -> !k.equals("llama.block_count"), t -> true,
                w -> { });
        assertThatThrownBy(() -> ModelLoader.load(bad)).isInstanceOf(GgufException.class)
                .hasMessageContaining("metadata key 'llama.block_count' is missing");
    }

    @Test
    void unsupportedTokenizerAndRopeVariantsAreNamed() throws IOException {
        Path ok = tinyGguf();
        Path pre = rewrite(ok, tmp.resolve("pre.gguf"), k -> !k.equals("tokenizer.ggml.pre"), t -> true,
                w -> w.putString("tokenizer.ggml.pre", "jais"));
        assertThatThrownBy(() -> ModelLoader.load(pre)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tokenizer.ggml.pre is \"jais\"")
                .hasMessageContaining("supported: gpt-2, phi-2, roberta-bpe, smollm");
        Path spm = rewrite(ok, tmp.resolve("spm.gguf"), k -> !k.equals("tokenizer.ggml.model"), t -> true,
                w -> w.putString("tokenizer.ggml.model", "llama"));
        assertThatThrownBy(() -> ModelLoader.load(spm)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("tokenizer.ggml.model is \"llama\"; Emend reads only byte-level BPE");
        Path freqs = rewrite(ok, tmp.resolve("freqs.gguf"), k -> true, t -> true,
                w -> w.addTensor("rope_freqs.weight", new long[] {8}, GgmlType.F32, () -> new float[8]));
        assertThatThrownBy(() -> ModelLoader.load(freqs)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("rope_freqs.weight");
    }

    @Test
    void familiesWithoutAGgufWriterAreRefused() {
        try (LanguageModel gpt2 = ModelLoader.load(Fixtures.tiny("gpt2"))) {
            assertThatThrownBy(() -> GgufModels.save(gpt2, tmp.resolve("x.gguf"), GgmlType.F16))
                    .isInstanceOf(UnsupportedArchitectureException.class)
                    .hasMessageContaining("model_type 'gpt2' cannot be written as GGUF yet; supported: [llama]");
        }
        try (LanguageModel llama3 = ModelLoader.load(Fixtures.tiny("llama"))) {
            assertThatThrownBy(() -> GgufModels.save(llama3, tmp.resolve("x.gguf"), GgmlType.F16))
                    .isInstanceOf(UnsupportedArchitectureException.class)
                    .hasMessageContaining("rope scaling 'llama3' cannot be written to GGUF");
        }
        assertThat(tmp.resolve("x.gguf")).doesNotExist();
    }

    @Test
    void aFileThatIsNotGgufIsNamed() throws IOException {
        Path f = Files.writeString(tmp.resolve("model.bin"), "not a model");
        assertThatThrownBy(() -> ModelLoader.load(f)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("is a file but not a GGUF file");
        Path g = Files.writeString(tmp.resolve("model.gguf"), "not a model");
        assertThatThrownBy(() -> ModelLoader.load(g)).isInstanceOf(GgufException.class)
                .hasMessageContaining("does not start with the GGUF magic");
    }
}
