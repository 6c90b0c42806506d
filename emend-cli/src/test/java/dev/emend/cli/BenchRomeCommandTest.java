package dev.emend.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code emend bench-rome} prints one JSON line with the keys {@code tools/reference/rome_speed_reference.py} prints,
 * for a case file (the speed benchmark's, with the benchmark's params moved to a layer of the tiny model) and for a
 * model's own modification cases (fact-world). No timing assertions: speed is measured by
 * {@code tools/bench/run-rome-bench.sh}, not by tests.
 */
class BenchRomeCommandTest {
    static final Path BENCH = Path.of("../tools/bench/rome");
    static final List<String> SHARED = List.of("impl", "variant", "model", "layers", "d_model", "vocab", "params", "layer",
            "steps", "templates", "threads", "warmup", "iters", "s_per_edit", "s_mean", "s_min", "s_max", "first_loss",
            "final_loss", "delta_norm", "v_star_norm", "update_norm", "attention", "version");

    @TempDir
    Path tmp;

    static JsonNode bench(String... args) throws IOException {
        CliTest.Run r = CliTest.run(args);
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines()).hasSize(1);
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String k : SHARED) {
            assertThat(j.has(k)).as(k).isTrue();
        }
        for (String k : List.of("s_per_edit", "s_min", "s_max", "delta_norm", "update_norm")) {
            assertThat(j.get(k).asDouble()).as(k).isPositive();
        }
        return j;
    }

    @Test
    void theSpeedBenchmarksCaseRunsWithoutEarlyStop() throws IOException {
        String yaml = Files.readString(BENCH.resolve("gpt2-small.yaml")).replace("layers: [5]", "layers: [1]")
                .replace("v_loss_layer: 11", "v_loss_layer: 2").replace("v_num_grad_steps: 20", "v_num_grad_steps: 3");
        Path params = Files.writeString(tmp.resolve("params.yaml"), yaml);
        JsonNode j = bench("bench-rome", "--model", CliTest.FIXTURES.resolve("gpt2").toString(), "--hparams",
                params.toString(), "--case", BENCH.resolve("case.json").toString(), "--no-early-stop", "--warmup", "0",
                "--iters", "2");
        assertThat(j.get("impl").asText()).isEqualTo("emend");
        assertThat(j.get("layer").asInt()).isEqualTo(1);
        assertThat(j.get("steps").asInt()).isEqualTo(3);
        assertThat(j.get("templates").asInt()).isEqualTo(21);
        assertThat(j.get("early_stop").asText()).isEqualTo("off");
        assertThat(j.get("stage_s").has("v*")).isTrue();
    }

    @Test
    void aFactWorldModelEditsItsOwnCases() throws IOException {
        Path world = Path.of("../models/fact-world");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(world.resolve("bench/modification.json")));
        JsonNode j = bench("bench-rome", "--model", world.toString(), "--cases", "2", "--warmup", "1", "--iters", "2",
                "--stats-dir", tmp.toString());
        assertThat(j.get("requests").asInt()).isEqualTo(2);
        assertThat(j.get("mom2_adjustment").asBoolean()).isTrue();
        assertThat(j.get("early_stop").asText()).isEqualTo("0.05");
    }
}
