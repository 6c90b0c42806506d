package dev.emend.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.bench.RuntimeBenchmark;
import java.io.IOException;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * {@code emend bench-runtime} prints one JSON line per mode with the keys {@code tools/bench/torch_runtime.py} prints.
 * No timing assertions: speed is measured by {@code tools/bench/run-runtime-bench.sh}, not by tests.
 */
class BenchRuntimeCommandTest {
    static final String MODEL = CliTest.FIXTURES.resolve("gpt2").toString();
    static final List<String> COMMON = List.of("impl", "mode", "model", "layers", "d_model", "vocab", "params", "batch",
            "tokens", "threads", "warmup", "iters", "attention", "dtype", "version");
    static final List<String> TIMED = List.of("ms_per_iter", "ms_mean", "ms_min", "ms_max", "tokens_per_s", "checksum",
            "loss", "grad_norm");
    static final List<String> LOAD = List.of("load_ms", "load_ms_first", "tokenizer_ms", "engine_ms", "file_mib",
            "rss_base_mib", "rss_load_mib", "rss_mib", "rss_anon_mib", "rss_file_mib", "hwm_mib", "rss_minus_file_mib",
            "heap_used_mib");

    static JsonNode bench(String mode) throws IOException {
        CliTest.Run r = CliTest.run("bench-runtime", "--model", MODEL, "--mode", mode, "--batch", "2", "--tokens", "8",
                "--warmup", "0", "--iters", "1");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines()).hasSize(1);
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertThat(j.get("impl").asText()).isEqualTo("emend");
        assertThat(j.get("mode").asText()).isEqualTo(mode);
        assertThat(j.get("layers").asInt()).isEqualTo(3);
        assertThat(j.get("batch").asInt()).isEqualTo(2);
        assertThat(j.get("tokens").asInt()).isEqualTo(8);
        assertThat(j.get("params").asLong()).isPositive();
        return j;
    }

    static void assertPositive(JsonNode j, List<String> keys) {
        for (String k : keys) {
            assertThat(j.get(k).isNumber()).as(k + " = " + j.get(k)).isTrue();
            double v = j.get(k).asDouble();
            assertThat(Double.isFinite(v) && v > 0).as(k + " = " + v).isTrue();
        }
    }

    @Test
    void forwardReportsThroughput() throws IOException {
        JsonNode j = bench("forward");
        assertThat(j.fieldNames()).toIterable().containsExactlyElementsOf(concat(COMMON, TIMED));
        assertPositive(j, List.of("ms_per_iter", "ms_mean", "ms_min", "ms_max", "tokens_per_s"));
        assertThat(Double.isFinite(j.get("checksum").asDouble())).isTrue();
        assertThat(j.get("loss").isNull()).isTrue();
        assertThat(j.get("grad_norm").isNull()).isTrue();
    }

    @Test
    void forwardBackwardReportsFiniteLossAndGradients() throws IOException {
        JsonNode j = bench("fwd-bwd");
        assertThat(j.fieldNames()).toIterable().containsExactlyElementsOf(concat(COMMON, TIMED));
        assertPositive(j, List.of("ms_per_iter", "tokens_per_s", "loss", "grad_norm"));
        assertThat(j.get("checksum").asDouble()).isEqualTo(j.get("loss").asDouble());
        // random logits over 512 ids: the cross-entropy is near ln 512 = 6.24
        assertThat(j.get("loss").asDouble()).isBetween(3.0, 12.0);
    }

    @Test
    void loadReportsTimeAndMemory() throws IOException {
        JsonNode j = bench("load");
        assertThat(j.fieldNames()).toIterable().containsExactlyElementsOf(concat(COMMON, LOAD));
        assertPositive(j, List.of("load_ms", "load_ms_first", "tokenizer_ms", "file_mib", "heap_used_mib"));
        assertThat(j.get("engine_ms").asDouble()).isNotNegative();
        if (System.getProperty("os.name").startsWith("Linux")) {
            assertPositive(j, List.of("rss_base_mib", "rss_load_mib", "rss_mib", "rss_anon_mib", "rss_file_mib",
                    "hwm_mib"));
        }
        assertThat(j.get("file_mib").asDouble()).isCloseTo(767920 / 1048576.0, Offset.offset(0.1));
    }

    @Test
    void badModeIsOneClearLine() {
        CliTest.Run r = CliTest.run("bench-runtime", "--model", MODEL, "--mode", "sideways");
        assertThat(r.status()).isEqualTo(2);
        assertThat(r.err()).contains("forward, fwd-bwd, load");
    }

    @Test
    void tokenIdsMatchThePythonReference() {
        // tools/bench/torch_runtime.py: token_ids(0, 2, 3, 50257) and token_ids(42, 1, 4, 512)
        assertThat(RuntimeBenchmark.tokenIds(0, 2, 3, 50257))
                .containsExactly(38793, 16794, 30050, 7480, 22902, 19622, 26089, 45566);
        assertThat(RuntimeBenchmark.tokenIds(42, 1, 4, 512)).containsExactly(149, 259, 338, 404, 498);
    }

    static List<String> concat(List<String> a, List<String> b) {
        return java.util.stream.Stream.concat(a.stream(), b.stream()).toList();
    }
}
