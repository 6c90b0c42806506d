package dev.emend.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code emend bench-edit} prints one JSON line with the keys {@code tools/reference/ft_speed_reference.py} prints,
 * for the fine-tuning speed benchmark's params (tools/bench/ft/) cut to 2 epochs on the tiny GPT-2 fixture, one timed
 * edit each. The first step's loss is PyTorch's: ft_speed_reference.py on the same fixture and case printed
 * 10.115128 (FT-L: every target token at the last prompt position), 11.194244 (FT-M and LoRA: teacher-forced;
 * LoRA's B starts at zero) and 12.840046 (AdaLoRA: the same cross entropy, Λ starts at zero, plus 0.5 × PEFT's
 * orthogonality penalty of Emend's initial P and Q). No timing assertions: speed is measured by {@code tools/bench/run-ft-bench.sh}.
 */
class BenchEditCommandTest {
    static final Path FT = Path.of("../tools/bench/ft");
    static final Path CASE = Path.of("../tools/bench/rome/case.json");
    static final List<String> SHARED = List.of("impl", "variant", "model", "layers", "d_model", "vocab", "params",
            "method", "hparams", "steps", "requests", "early_stop", "threads", "warmup", "iters", "s_per_edit", "s_mean",
            "s_min", "s_max", "s_first_edit", "first_loss", "final_loss", "update_norm", "version");

    @TempDir
    Path tmp;

    @ParameterizedTest
    @CsvSource({"FT-L, 25, 10.115128", "FT-M, 25, 11.194244", "LoRA, 30, 11.194244", "AdaLoRA, 30, 12.840046"})
    void timesTwoFixedEpochsOfTheBenchmarksParams(String method, int epochs, double pytorchFirstLoss) throws IOException {
        String yaml = Files.readString(FT.resolve("gpt2-small-" + method + ".yaml"))
                .replace("num_steps: " + epochs, "num_steps: 2");
        Path params = Files.writeString(tmp.resolve(method + ".yaml"), yaml);
        CliTest.Run r = CliTest.run("bench-edit", "--model", CliTest.FIXTURES.resolve("gpt2").toString(), "--method",
                method, "--hparams", params.toString(), "--case", CASE.toString(), "--no-early-stop", "--warmup", "0",
                "--iters", "1", "--threads", "1");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out().lines()).hasSize(1);
        JsonNode j = new ObjectMapper().readTree(r.out());
        for (String k : SHARED) {
            assertThat(j.has(k)).as(k).isTrue();
        }
        assertThat(j.get("impl").asText()).isEqualTo("emend");
        assertThat(j.get("method").asText()).isEqualTo(method);
        assertThat(j.get("steps").asInt()).isEqualTo(2);
        assertThat(j.get("early_stop").asText()).isEqualTo("off");
        assertThat(j.get("threads").asInt()).isEqualTo(1);
        assertThat(j.get("iters").asInt()).isEqualTo(1);
        for (String k : List.of("s_per_edit", "s_min", "s_max", "s_first_edit", "update_norm")) {
            assertThat(j.get(k).asDouble()).as(k).isPositive();
        }
        assertThat(j.get("first_loss").asDouble()).isCloseTo(pytorchFirstLoss, within(1e-4));
        assertThat(j.get("final_loss").asDouble()).isLessThan(j.get("first_loss").asDouble());
    }
}
