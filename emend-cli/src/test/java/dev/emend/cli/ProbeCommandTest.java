package dev.emend.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code emend probe} on the fact-world model: the three tasks on the hand-written samples, and a multiple-choice file
 * built from fact-world facts before and after ROME edits of those facts (accuracy 0 → 1, then reverted).
 */
class ProbeCommandTest {
    static final Path FACT_WORLD = Path.of("../models/fact-world");
    static final Path SAMPLES = Path.of("../emend-core/src/test/resources/general");
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void needsModel() {
        Assumptions.assumeTrue(Files.isRegularFile(FACT_WORLD.resolve("bench/modification.json")), "no fact-world model");
    }

    static EditCommandTest.Run run(String... args) {
        return EditCommandTest.run(args);
    }

    @Test
    void eachTaskPrintsItsScores() {
        EditCommandTest.Run mc = run("probe", "--model", FACT_WORLD.toString(), "--task", "mc", "--data",
                SAMPLES.resolve("piqa.jsonl").toString(), "--labels", SAMPLES.resolve("piqa-labels.lst").toString());
        assertThat(mc.status()).as(mc.err()).isZero();
        assertThat(mc.out()).contains("piqa on").contains("3 items").containsPattern("acc\\s+[01]\\.\\d{4}")
                .containsPattern("acc_norm\\s+[01]\\.\\d{4}");
        EditCommandTest.Run qa = run("probe", "--model", FACT_WORLD.toString(), "--task", "triviaqa", "--data",
                SAMPLES.resolve("triviaqa-rc.json").toString(), "--limit", "1", "--max-new-tokens", "4");
        assertThat(qa.status()).as(qa.err()).isZero();
        assertThat(qa.out()).contains("triviaqa on").contains("1 items").contains("exact_match").contains("f1");
        EditCommandTest.Run xsum = run("probe", "--model", FACT_WORLD.toString(), "--task", "xsum", "--data",
                SAMPLES.resolve("xsum.jsonl").toString(), "--max-new-tokens", "6");
        assertThat(xsum.status()).as(xsum.err()).isZero();
        assertThat(xsum.out()).contains("xsum on").contains("2 items").contains("rouge1").contains("rouge2").contains("rougeL");
    }

    @Test
    void editsAreProbedBeforeAndAfterThenReverted(@TempDir Path tmp) throws IOException {
        JsonNode cases = JSON.readTree(FACT_WORLD.resolve("bench/modification.json").toFile());
        StringBuilder csqa = new StringBuilder();
        ArrayNode requests = JSON.createArrayNode();
        for (int i = 0; i < 2; i++) {
            JsonNode c = cases.get(i);
            ObjectNode q = JSON.createObjectNode();
            q.put("id", "fact-" + i).put("answerKey", "B");
            ObjectNode question = q.putObject("question");
            question.put("stem", c.get("prompt").asText());
            ArrayNode choices = question.putArray("choices");
            choices.addObject().put("label", "A").put("text", c.get("ground_truth").asText());
            choices.addObject().put("label", "B").put("text", c.get("target_new").asText());
            csqa.append(JSON.writeValueAsString(q)).append('\n');
            requests.add(c);
        }
        Path data = tmp.resolve("facts.jsonl");
        Files.writeString(data, csqa);
        Path reqs = tmp.resolve("requests.json");
        JSON.writeValue(reqs.toFile(), requests);
        EditCommandTest.Run r = run("probe", "--model", FACT_WORLD.toString(), "--task", "mc", "--data", data.toString(),
                "--template", "{question}", "--requests", reqs.toString(), "--stats-dir", tmp.resolve("stats").toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("commonsenseqa on").contains("ROME, 2 edits").contains("edits reverted");
        Matcher m = Pattern.compile("acc\\s+([0-9.]+)\\s+([0-9.]+)\\s+([-+][0-9.]+)").matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).isZero();
        assertThat(Double.parseDouble(m.group(2))).isEqualTo(1.0);
        assertThat(m.group(3)).isEqualTo("+1.0000");
    }

    @Test
    void problemsAreOneLine() {
        EditCommandTest.Run task = run("probe", "--model", FACT_WORLD.toString(), "--task", "arc", "--data",
                SAMPLES.resolve("piqa.jsonl").toString());
        assertThat(task.status()).isEqualTo(2);
        assertThat(task.err()).startsWith("error: ").contains("not one of mc, triviaqa, xsum");
        EditCommandTest.Run labels = run("probe", "--model", FACT_WORLD.toString(), "--task", "mc", "--data",
                SAMPLES.resolve("piqa.jsonl").toString());
        assertThat(labels.err()).startsWith("error: ").contains("record 0").contains("--labels");
        EditCommandTest.Run method = run("probe", "--model", FACT_WORLD.toString(), "--task", "mc", "--data",
                SAMPLES.resolve("commonsenseqa.jsonl").toString(), "--method", "MEMIT");
        assertThat(method.err()).startsWith("error: ").contains("--requests");
        EditCommandTest.Run format = run("probe", "--model", FACT_WORLD.toString(), "--task", "xsum", "--data",
                SAMPLES.resolve("xsum.jsonl").toString(), "--format", "piqa");
        assertThat(format.err()).contains("--format and --labels are for --task mc");
    }
}
