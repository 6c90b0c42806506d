package dev.emend.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * all-MiniLM-L6-v2 on DJL against golden embeddings from onnxruntime on the same ONNX file
 * ({@code tools/reference/minilm_reference.py}, which also checks that file against transformers' BertModel): token
 * ids, embeddings within 1e-4, the same similarity ranking, unit norm, batch = single, and loud failures on bad input.
 */
class MiniLmEmbedderTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static MiniLmEmbedder embedder;
    static JsonNode golden;
    static List<String> sentences;

    @BeforeAll
    static void load() throws IOException {
        try (InputStream in = MiniLmEmbedderTest.class.getResourceAsStream("/golden/minilm/all-minilm-l6-v2.json")) {
            golden = JSON.readTree(in);
        }
        sentences = new ArrayList<>();
        golden.get("sentences").forEach(s -> sentences.add(s.get("text").asText()));
        long t0 = System.nanoTime();
        embedder = MiniLmEmbedder.load();
        System.out.printf("MiniLmEmbedder.load: %.0f ms%n", (System.nanoTime() - t0) / 1e6);
    }

    @AfterAll
    static void close() {
        if (embedder != null) {
            embedder.close();
        }
    }

    static float[] goldenEmbedding(int i) {
        JsonNode e = golden.get("sentences").get(i).get("embedding");
        float[] out = new float[e.size()];
        for (int j = 0; j < out.length; j++) {
            out[j] = (float) e.get(j).asDouble();
        }
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    @Test
    void tokenIdsMatchTheReferenceIncludingTruncationAt256() {
        for (int i = 0; i < sentences.size(); i++) {
            JsonNode ids = golden.get("sentences").get(i).get("ids");
            int[] expected = IntStream.range(0, ids.size()).map(j -> ids.get(j).asInt()).toArray();
            assertThat(embedder.tokenize(sentences.get(i))).as("ids of sentence %d", i).containsExactly(expected);
        }
        int longest = sentences.stream().mapToInt(s -> embedder.tokenize(s).length).max().orElseThrow();
        assertThat(longest).as("the long sentence is truncated to MAX_TOKENS").isEqualTo(MiniLmEmbedder.MAX_TOKENS);
    }

    @Test
    void embeddingsMatchOnnxRuntimeAndRankTheSame() {
        assertThat(embedder.name()).isEqualTo("all-MiniLM-L6-v2");
        assertThat(embedder.dimension()).isEqualTo(384);
        long t0 = System.nanoTime();
        float[][] e = embedder.embed(sentences);
        double ms = (System.nanoTime() - t0) / 1e6;
        int tokens = sentences.stream().mapToInt(s -> embedder.tokenize(s).length).sum();
        System.out.printf("embed %d sentences (%d tokens) in one call: %.0f ms, %.1f ms/sentence%n", e.length, tokens,
                ms, ms / e.length);
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            double d = maxAbsDiff(e[i], goldenEmbedding(i));
            worst = Math.max(worst, d);
            assertThat(d).as("max |d| of sentence %d against onnxruntime", i).isLessThanOrEqualTo(1e-4);
        }
        System.out.printf("max |embedding - onnxruntime| = %.2e%n", worst);

        int q = golden.get("query").asInt();
        List<Integer> ranking = IntStream.range(0, e.length).filter(i -> i != q).boxed()
                .sorted(Comparator.comparingDouble(i -> -dot(e[q], e[i]))).toList();
        List<Integer> expected = new ArrayList<>();
        golden.get("ranking").forEach(n -> expected.add(n.asInt()));
        assertThat(ranking).containsExactlyElementsOf(expected);
        for (int i = 0; i < e.length; i++) {
            assertThat(dot(e[q], e[i])).as("score of %d", i)
                    .isCloseTo(golden.get("scores").get(i).asDouble(), org.assertj.core.data.Offset.offset(1e-4));
        }
    }

    @Test
    void embeddingsHaveUnitNorm() {
        for (float[] v : embedder.embed(sentences)) {
            assertThat(Math.sqrt(dot(v, v))).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
    }

    @Test
    void batchEqualsSingleAcrossSeveralPaddedBatches() {
        // 3 copies of the fixture: 27 sentences, 2 to 256 tokens, more than one batch of TOKENS_PER_BATCH
        List<String> many = new ArrayList<>();
        for (int c = 0; c < 3; c++) {
            many.addAll(sentences);
        }
        float[][] batched = embedder.embed(many);
        double worst = 0;
        long t0 = System.nanoTime();
        for (int i = 0; i < sentences.size(); i++) {
            float[] single = embedder.embed(List.of(sentences.get(i)))[0];
            for (int c = 0; c < 3; c++) {
                double d = maxAbsDiff(batched[c * sentences.size() + i], single);
                worst = Math.max(worst, d);
                assertThat(d).as("batched copy %d of sentence %d vs alone", c, i).isLessThanOrEqualTo(1e-5);
            }
        }
        System.out.printf("one sentence at a time: %.1f ms/sentence; max |batch - single| = %.2e%n",
                (System.nanoTime() - t0) / 1e6 / sentences.size(), worst);
        assertThat(embedder.embed(List.of())).isEmpty();
    }

    @Test
    void weightsAreCappedNothingLeaksAndBadInputFailsLoudly() {
        assertThat(embedder.weightsCapped()).isTrue();
        embedder.embed(sentences);
        assertThat(embedder.liveActivations()).as("arrays left after embed").isZero();
        List<String> withNull = new ArrayList<>();
        withNull.add("fine");
        withNull.add(null);
        assertThatThrownBy(() -> embedder.embed(withNull)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sentence 1 is null");
    }

    @Test
    void closeIsIdempotentAndEmbedAfterCloseFails() throws IOException {
        Path dir = Files.createTempDirectory("minilm");
        Path onnx = dir.resolve("model.onnx");
        Path tok = dir.resolve("tokenizer.json");
        try {
            copyResource(MiniLmEmbedder.ONNX_RESOURCE, onnx, Long.MAX_VALUE);
            copyResource(MiniLmEmbedder.TOKENIZER_RESOURCE, tok, Long.MAX_VALUE);
            MiniLmEmbedder fromFiles = MiniLmEmbedder.load(onnx, tok);
            float[] a = fromFiles.embed(List.of(sentences.get(1)))[0];
            assertThat(maxAbsDiff(a, goldenEmbedding(1))).isLessThanOrEqualTo(1e-4);
            fromFiles.close();
            fromFiles.close();
            assertThatThrownBy(() -> fromFiles.embed(List.of("x"))).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("closed");
        } finally {
            Files.deleteIfExists(onnx);
            Files.deleteIfExists(tok);
            Files.deleteIfExists(dir);
        }
    }

    @Test
    void truncatedOrForeignOnnxFilesAreRejected(@TempDir Path dir) throws IOException {
        Path tok = dir.resolve("tokenizer.json");
        copyResource(MiniLmEmbedder.TOKENIZER_RESOURCE, tok, Long.MAX_VALUE);
        Path cut = dir.resolve("cut.onnx");
        copyResource(MiniLmEmbedder.ONNX_RESOURCE, cut, 5_000_000); // ends inside the word embeddings
        assertThatThrownBy(() -> MiniLmEmbedder.load(cut, tok)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("truncated");
        Path text = dir.resolve("text.onnx");
        Files.writeString(text, "this is not a protobuf message at all, just text\n");
        assertThatThrownBy(() -> MiniLmEmbedder.load(text, tok)).isInstanceOf(ModelLoadException.class)
                .hasMessageContaining("text.onnx");
    }

    @Test
    void anonymousMatMulWeightsAreNamedByTheGraphAndOddGraphsFail() throws IOException {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            Map<String, NDArray> t = new LinkedHashMap<>();
            t.put("l.dense.bias", m.zeros(new ai.djl.ndarray.types.Shape(3)));
            t.put("onnx::MatMul_7", m.zeros(new ai.djl.ndarray.types.Shape(2, 3)));
            var mm = new OnnxWeights.Node("mm", "MatMul", List.of("x", "onnx::MatMul_7"), List.of("y"));
            var add = new OnnxWeights.Node("add", "Add", List.of("l.dense.bias", "y"), List.of("z"));
            assertThat(OnnxWeights.nameMatMulWeights(t, List.of(mm, add), "toy").keySet())
                    .containsExactly("l.dense.bias", "l.dense.weight");

            var gelu = new OnnxWeights.Node("g", "Erf", List.of("y"), List.of("z"));
            assertThatThrownBy(() -> OnnxWeights.nameMatMulWeights(t, List.of(mm, gelu), "toy"))
                    .isInstanceOf(IOException.class).hasMessageContaining("not by an Add");
            var swapped = new OnnxWeights.Node("mm", "MatMul", List.of("onnx::MatMul_7", "x"), List.of("y"));
            assertThatThrownBy(() -> OnnxWeights.nameMatMulWeights(t, List.of(swapped, add), "toy"))
                    .isInstanceOf(IOException.class).hasMessageContaining("not the weight input");
            var twice = new OnnxWeights.Node("mm2", "MatMul", List.of("x2", "onnx::MatMul_7"), List.of("y2"));
            assertThatThrownBy(() -> OnnxWeights.nameMatMulWeights(t, List.of(mm, twice, add), "toy"))
                    .isInstanceOf(IOException.class).hasMessageContaining("consumed by 2");
            t.put("l.dense.bias", m.zeros(new ai.djl.ndarray.types.Shape(4)));
            assertThatThrownBy(() -> OnnxWeights.nameMatMulWeights(t, List.of(mm, add), "toy"))
                    .isInstanceOf(IOException.class).hasMessageContaining("does not match bias");
        }
    }

    private static void copyResource(String name, Path to, long limit) throws IOException {
        try (InputStream in = MiniLmEmbedder.class.getClassLoader().getResourceAsStream(name)) {
            assertThat(in).as("classpath resource %s", name).isNotNull();
            Files.write(to, limit == Long.MAX_VALUE ? in.readAllBytes() : in.readNBytes((int) limit));
        }
    }
}
