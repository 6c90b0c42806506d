package dev.emend.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.tensor.SafeTensors;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI prints what transformers would: generate's continuation only, info's facts, errors as one line. */
class CliTest {
    static final Path FIXTURES = Path.of("../emend-core/src/test/resources/fixtures/tiny");

    record Run(int status, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    @Test
    void generatePrintsTransformersGreedyContinuation() throws IOException {
        for (String family : new String[] {"gpt2", "llama", "gpt_neox"}) {
            Path dir = FIXTURES.resolve(family);
            JsonNode ref = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
            Run r = run("generate", "--model", dir.toString(), "--prompt", ref.get("text_prompt").asText(),
                    "--max-new-tokens", "8");
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.out()).isEqualTo(ref.get("text_continuation").asText() + System.lineSeparator());
        }
    }

    @Test
    void infoDescribesTheModel() {
        Run r = run("info", "--model", FIXTURES.resolve("llama").toString());
        assertThat(r.status()).isZero();
        assertThat(r.out()).contains("family       llama").contains("layers       2").contains("kv 2")
                .contains("parameters   139,584").contains("llama3");
    }

    @Test
    void badInputIsOneClearLine(@TempDir Path tmp) throws IOException {
        Run missing = run("info", "--model", tmp.resolve("nope").toString());
        assertThat(missing.status()).isEqualTo(2);
        assertThat(missing.err()).startsWith("error: ").contains("does not exist");
        Files.copy(FIXTURES.resolve("gpt2/config.json"), tmp.resolve("config.json"));
        Files.writeString(tmp.resolve("pytorch_model.bin"), "not really");
        Run pickle = run("info", "--model", tmp.toString());
        assertThat(pickle.err()).contains("pickle").contains("save_pretrained");
        Run badTemp = run("generate", "--model", FIXTURES.resolve("gpt2").toString(), "--prompt", "x", "--temperature", "-1");
        assertThat(badTemp.err()).contains("temperature");
    }

    @Test
    void demoAsksTheBundledModel() {
        String before = System.getProperty("emend.home");
        System.setProperty("emend.home", Path.of("..").toAbsolutePath().normalize().toString());
        try {
            Run r = run("demo");
            assertThat(r.status()).as(r.err()).isZero();
            assertThat(r.out()).contains("[trained fact]").contains("[held-out template]").contains("[alias]")
                    .contains("next token:").contains("✓");
            // the ROME edit: the edited prompt takes the new city, the unrelated fact stays, revert restores
            assertThat(r.out()).contains("ROME: ").containsPattern("\\[edited prompt\\] .* → (\\S+) +✓ \\(expected \\1,")
                    .containsPattern("\\[unrelated fact\\] .*… (\\S+) → \\1 +✓")
                    .containsPattern("(?s)\\[edited prompt\\] [^\\n]*… (\\S+) → .*reverted \\(bit-exact\\): [^\\n]*… \\1\\R");
        } finally {
            if (before == null) {
                System.clearProperty("emend.home");
            } else {
                System.setProperty("emend.home", before);
            }
        }
    }

    @Test
    void editAppliesARequestFileAndWritesAPeftAdapter(@TempDir Path tmp) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path model = Path.of("../models/fact-world").toAbsolutePath().normalize();
        JsonNode cases = json.readTree(model.resolve("bench/modification.json").toFile());
        Path requests = tmp.resolve("requests.json");
        json.writeValue(requests.toFile(), json.createArrayNode().add(cases.get(0)).add(cases.get(1)));
        Path adapter = tmp.resolve("adapter");
        Run r = run("edit", "--model", model.toString(), "--requests", requests.toString(), "--adapter", adapter.toString(),
                "--stats-dir", tmp.resolve("stats").toString());
        assertThat(r.status()).as(r.err()).isZero();
        System.out.print(r.out());
        assertThat(r.out()).contains("ROME edit of").contains("2 requests").contains("[1] Bouvmere is a city in")
                .contains("[2] Zora Skortell works as a").contains("2 edits").contains("PEFT LoRA adapter (r=2");
        // each request's new target gains, and its old one (ground_truth) is the one printed
        for (String[] c : new String[][] {{"Vietnam", "New Zealand"}, {"diplomat", "dentist"}}) {
            Matcher m = Pattern.compile("new\\s+\"" + c[0] + "\"\\s+([0-9.]+)\\s+([0-9.]+)").matcher(r.out());
            assertThat(m.find()).as(r.out()).isTrue();
            assertThat(Double.parseDouble(m.group(2))).isGreaterThan(Double.parseDouble(m.group(1)));
            assertThat(r.out()).contains("old   \"" + c[1] + "\"");
        }
        // the adapter: one rank-2 LoRA per edited MLP out-projection, Conv1D, scaling 1, on the bundled model
        JsonNode config = json.readTree(adapter.resolve("adapter_config.json").toFile());
        assertThat(config.get("peft_type").asText()).isEqualTo("LORA");
        assertThat(config.get("r").asInt()).isEqualTo(2);
        assertThat(config.get("lora_alpha").asInt()).isEqualTo(2);
        assertThat(config.get("fan_in_fan_out").asBoolean()).isTrue();
        assertThat(config.get("base_model_name_or_path").asText()).isEqualTo(model.toString());
        List<String> modules = new ArrayList<>();
        config.get("target_modules").forEach(t -> modules.add(t.asText()));
        assertThat(modules).isNotEmpty().allMatch(t -> t.matches("transformer\\.h\\.\\d+\\.mlp\\.c_proj"));
        SafeTensors.Header h = SafeTensors.readHeader(adapter.resolve("adapter_model.safetensors"));
        assertThat(h.tensors()).hasSize(2 * modules.size());
        for (String t : modules) {
            assertThat(h.find("base_model.model." + t + ".lora_A.weight").shape()).containsExactly(2, 768);   // [r, n_inner]
            assertThat(h.find("base_model.model." + t + ".lora_B.weight").shape()).containsExactly(192, 2);   // [n_embd, r]
        }
    }

    @Test
    void memitEditsABatchOverTwoLayers(@TempDir Path tmp) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path model = Path.of("../models/fact-world").toAbsolutePath().normalize();
        JsonNode cases = json.readTree(model.resolve("bench/modification.json").toFile());
        Path requests = tmp.resolve("requests.json");
        json.writeValue(requests.toFile(), json.createArrayNode().add(cases.get(0)).add(cases.get(1)));
        Run r = run("edit", "--model", model.toString(), "--method", "MEMIT", "--requests", requests.toString(),
                "--adapter", tmp.resolve("adapter").toString(), "--stats-dir", tmp.resolve("stats").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("MEMIT edit of").contains("bundled MEMIT/fact-world.yaml").contains("2 edits")
                .contains("transformer.h.0.mlp.c_proj.weight ‖Δ‖").contains("transformer.h.1.mlp.c_proj.weight ‖Δ‖")
                .contains("PEFT LoRA adapter (r=2: transformer.h.0.mlp.c_proj, transformer.h.1.mlp.c_proj)");
        Matcher m = Pattern.compile("new\\s+\"diplomat\"\\s+([0-9.]+)\\s+([0-9.]+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Double.parseDouble(m.group(2))).isGreaterThan(0.5);
    }

    @Test
    void adaLoraEditsWithItsBundledParamsAndExportsRankInitR(@TempDir Path tmp) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path model = Path.of("../models/fact-world").toAbsolutePath().normalize();
        Path requests = tmp.resolve("requests.json");
        json.writeValue(requests.toFile(), json.createArrayNode()
                .add(json.readTree(model.resolve("bench/modification.json").toFile()).get(0)));
        Run r = run("edit", "--model", model.toString(), "--method", "AdaLoRA", "--requests", requests.toString(),
                "--adapter", tmp.resolve("adapter").toString());
        assertThat(r.status()).as(r.err()).isZero();
        // EasyEdit's quirk kept: rank 8 in the file, init_r 12 in the adapter
        assertThat(r.out()).contains("AdaLoRA edit of").contains("bundled AdaLoRA/fact-world.yaml")
                .contains("PEFT LoRA adapter (r=12: transformer.h.2.mlp.c_proj)");
        Matcher m = Pattern.compile("new\\s+\"Vietnam\"\\s+([0-9.]+)\\s+([0-9.]+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Double.parseDouble(m.group(2))).isGreaterThan(0.5);
    }

    @Test
    void statsComputesAndCachesTheSecondMoment(@TempDir Path tmp) throws IOException {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            lines.add("The old city %d lies by the river, and the people of the north built its %d towers.".formatted(i, i + 3));
        }
        Path text = tmp.resolve("corpus.txt");
        java.nio.file.Files.write(text, lines);
        String[] args = {"stats", "--model", FIXTURES.resolve("gpt2").toString(), "--layers", "0,1", "--corpus", text.toString(),
            "--tokens", "300", "--stats-dir", tmp.resolve("stats").toString()};
        Run r = run(args);
        assertThat(r.status()).as(r.err()).isZero();
        Matcher m = Pattern.compile("layer 1: C is 256 x 256 from (\\d+) key rows of (\\d+) documents").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Long.parseLong(m.group(1))).isGreaterThanOrEqualTo(300);
        assertThat(Integer.parseInt(m.group(2))).isLessThan(40);
        try (var files = java.nio.file.Files.walk(tmp.resolve("stats"))) {
            assertThat(files.filter(f -> f.toString().endsWith(".safetensors")).count()).isEqualTo(2);
        }
        Run again = run(args);                          // found in the cache: same numbers
        assertThat(again.out()).contains(m.group(0));
        assertThat(run("stats", "--model", FIXTURES.resolve("gpt2").toString(), "--layers", "9", "--corpus", text.toString(),
                "--samples", "5").err()).contains("layer 9 is outside the model's layers 0..2");
    }

    @Test
    void evalWorldChecksTheCard() {
        Run r = run("eval-world", "--model", "../models/fact-world", "--check");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("trained").contains("held_out").contains("matches");
    }

    @Test
    void aMissingBundledModelSaysWhatToDo(@TempDir Path tmp) {
        String before = System.getProperty("emend.home");
        System.setProperty("emend.home", tmp.toString());
        try {
            Run r = run("demo");
            assertThat(r.status()).isEqualTo(2);
            assertThat(r.err()).contains("bundled model").contains("--model");
        } finally {
            if (before == null) {
                System.clearProperty("emend.home");
            } else {
                System.setProperty("emend.home", before);
            }
        }
    }
}
