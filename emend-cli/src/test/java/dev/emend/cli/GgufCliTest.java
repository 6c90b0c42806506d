package dev.emend.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.gguf.GgufFile;
import dev.emend.tokenizer.GgufTokenizers;
import dev.emend.tokenizer.HfTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code emend generate} on a GGUF file and {@code emend convert} both ways. */
class GgufCliTest {
    static final Path FIXTURES = Path.of("../emend-core/src/test/resources/fixtures");
    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * SmolLM2's GGUF: ../shared/models, then ~/.cache/emend/models, else tools/models/fetch-smollm2.sh; failing
     * all three fails the test. (The same search as emend-core's test helper {@code dev.emend.SmolLM2}, which this
     * module's tests cannot see.)
     */
    static Path smolLM2() {
        String file = "SmolLM2-135M-Instruct.Q4_1.gguf";
        Path shared = Path.of("../../shared/models").resolve(file).toAbsolutePath().normalize();
        if (Files.isRegularFile(shared)) {
            return shared;
        }
        Path cache = Path.of(System.getProperty("user.home"), ".cache", "emend", "models");
        if (!Files.isRegularFile(cache.resolve(file))) {
            try {
                Process p = new ProcessBuilder("bash", "../tools/models/fetch-smollm2.sh", cache.toString())
                        .redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                    fail("SmolLM2 not found in %s or %s, and tools/models/fetch-smollm2.sh failed:%n%s".formatted(shared,
                            cache, out));
                }
            } catch (IOException | InterruptedException e) {
                fail("SmolLM2 not found and tools/models/fetch-smollm2.sh could not run: " + e);
            }
        }
        return cache.resolve(file);
    }

    @Test
    @Tag("model")
    void generateOnTheGgufFileContinuesLikeTransformers() throws IOException {
        Path gguf = smolLM2();
        CliTest.Run r = CliTest.run("generate", "--model", gguf.toString(), "--prompt", "The capital of France is",
                "--max-new-tokens", "8");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode p = JSON.readTree(FIXTURES.resolve("smollm2/parity.json").toFile()).get("prompts").get(0);
        assertThat(p.get("prompt").asText()).isEqualTo("The capital of France is");
        int[] ids = new int[8];
        for (int i = 0; i < 8; i++) {
            ids[i] = p.get("greedy_ids").get(i).asInt();
        }
        String expected;
        try (HfTokenizer tok = GgufTokenizers.load(GgufFile.read(gguf).metadata(), gguf)) {
            expected = tok.decode(ids, true);
        }
        assertThat(r.out()).isEqualTo(expected + System.lineSeparator());
        assertThat(r.out()).startsWith(" Paris.");
    }

    @Test
    void convertGoesFromAFolderToGgufAndBack(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("tiny-llama"));
        for (String f : List.of("config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json")) {
            Files.copy(FIXTURES.resolve("tiny/llama").resolve(f), dir.resolve(f));
        }
        ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        cfg.putObject("rope_parameters").put("rope_type", "default").put("rope_theta", 10000.0);
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(cfg));

        Path gguf = tmp.resolve("tiny.gguf");
        CliTest.Run toGguf = CliTest.run("convert", "--model", dir.toString(), "--out", gguf.toString(), "--type", "f32");
        assertThat(toGguf.status()).as(toGguf.err()).isZero();
        assertThat(toGguf.out()).contains("wrote").contains("GGUF F32");
        Path back = tmp.resolve("back");
        CliTest.Run toHf = CliTest.run("convert", "--model", gguf.toString(), "--out", back.toString());
        assertThat(toHf.status()).as(toHf.err()).isZero();
        assertThat(back.resolve("model.safetensors")).exists();
        assertThat(back.resolve("tokenizer.json")).exists();

        CliTest.Run info = CliTest.run("info", "--model", gguf.toString());
        assertThat(info.out()).contains("family       llama").contains("kv 2");
        String[] outs = new String[3];
        Path[] models = {dir, gguf, back};
        for (int i = 0; i < 3; i++) {
            CliTest.Run g = CliTest.run("generate", "--model", models[i].toString(), "--prompt", "The quick brown fox",
                    "--max-new-tokens", "8");
            assertThat(g.status()).as(g.err()).isZero();
            outs[i] = g.out();
        }
        assertThat(Arrays.asList(outs)).containsOnly(outs[0]);

        CliTest.Run badType = CliTest.run("convert", "--model", dir.toString(), "--out", tmp.resolve("x.gguf").toString(),
                "--type", "q4_k");
        assertThat(badType.status()).isEqualTo(2);
        assertThat(badType.err()).startsWith("error: ").contains("f32, f16 or q8_0");
        CliTest.Run gpt2 = CliTest.run("convert", "--model", FIXTURES.resolve("tiny/gpt2").toString(), "--out",
                tmp.resolve("g.gguf").toString());
        assertThat(gpt2.err()).contains("model_type 'gpt2' cannot be written as GGUF yet");
    }
}
