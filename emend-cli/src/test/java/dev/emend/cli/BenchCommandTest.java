package dev.emend.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code emend bench} on the fact-world model with ROME (6 cases, with the generation protocol), rerun as a resume
 * with nothing left to do, refused on a changed configuration; then {@code emend report} over it, whose HTML holds
 * KnowEdit's table and the heatmap image.
 */
class BenchCommandTest {
    static final Path FACT_WORLD = Path.of("../models/fact-world");

    @Test
    void benchThenReport(@TempDir Path tmp) throws IOException {
        Assumptions.assumeTrue(Files.isRegularFile(FACT_WORLD.resolve("bench/modification.json")), "no fact-world model");
        long t0 = System.nanoTime();
        Path out = tmp.resolve("rome");
        String[] bench = {"bench", "--model", FACT_WORLD.toString(), "--method", "ROME", "--data",
            FACT_WORLD.resolve("bench/modification.json").toString(), "--limit", "6", "--generation", "--out", out.toString(),
            "--cache-dir", tmp.resolve("cache").toString(), "--stats-dir", tmp.resolve("stats").toString()};
        EditCommandTest.Run r = EditCommandTest.run(bench);
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.err()).contains("data: 6 requests from 400 records").contains("pre-edit").contains("edit ").contains("ETA")
                .contains("6/6");
        assertThat(r.out()).contains("ROME on modification (knowedit), 6 cases, single mode").contains("Edit Succ. ")
                .contains("results: ");
        List<String> lines = Files.readAllLines(out.resolve("cases.jsonl"));
        assertThat(lines).hasSize(6);
        JsonNode summary = new ObjectMapper().readTree(out.resolve("summary.json").toFile());
        assertThat(summary.get("summary").get("cases").asInt()).isEqualTo(6);
        assertThat(summary.get("summary").get("post").get("rewrite_acc").asDouble()).isGreaterThanOrEqualTo(0.8);

        EditCommandTest.Run again = EditCommandTest.run(bench);
        assertThat(again.status()).as(again.err()).isZero();
        assertThat(again.err()).contains("resuming").contains("6 of 6 cases done").contains("pre-edit (cached)");
        assertThat(Files.readAllLines(out.resolve("cases.jsonl"))).isEqualTo(lines);

        String[] changed = bench.clone();
        changed[8] = "5";
        EditCommandTest.Run refused = EditCommandTest.run(changed);
        assertThat(refused.status()).isEqualTo(2);
        assertThat(refused.err()).startsWith("error: ").contains("holds a run with another configuration").contains("limit");

        Path reportDir = tmp.resolve("report");
        EditCommandTest.Run rep = EditCommandTest.run("report", out.toString(), "--out", reportDir.toString());
        assertThat(rep.status()).as(rep.err()).isZero();
        assertThat(rep.out()).contains("Edit Succ.").contains("report of 1 run");
        String html = Files.readString(reportDir.resolve("report.html"), StandardCharsets.UTF_8);
        assertThat(html).contains("<table id=\"knowedit\">").contains("Edit Succ.").contains("Locality").contains("<th>ROME</th>");
        Matcher m = Pattern.compile("<img id=\"heatmap\" alt=\"[^\"]*\" src=\"data:image/svg\\+xml;base64,([A-Za-z0-9+/=]+)\">")
                .matcher(html);
        assertThat(m.find()).as("the heatmap is inline").isTrue();
        String svg = new String(Base64.getDecoder().decode(m.group(1)), StandardCharsets.UTF_8);
        assertThat(svg).startsWith("<svg").contains("mlp.c_proj").contains("layer");
        assertThat(html).contains("<table id=\"failures\">");
        assertThat(reportDir.resolve("report.md")).content().contains("| modification | Edit Succ. |");
        System.out.printf("emend bench (6 ROME cases, twice) and emend report on fact-world: %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    /**
     * ConvSent and Sanitation scored with their own metrics (es/dd, Sanitation's answers) end to end with FT-M on the
     * fact-world model, and KnowEdit's table built from them: Edit Succ. = es, Locality ↓ = dd for ConvSent.
     */
    @Test
    void convSentAndSanitationUseTheirOwnScores(@TempDir Path tmp) throws IOException {
        Path knowEdit = Path.of("../../shared/data/knowedit").toAbsolutePath().normalize();
        Assumptions.assumeTrue(Files.isRegularFile(FACT_WORLD.resolve("config.json")), "no fact-world model");
        Assumptions.assumeTrue(Files.isRegularFile(knowEdit.resolve("ConvSent-val.json")), "no shared KnowEdit data");
        long t0 = System.nanoTime();
        Path convSent = tmp.resolve("convsent");
        EditCommandTest.Run cs = EditCommandTest.run("bench", "--model", FACT_WORLD.toString(), "--method", "FT-M", "--data",
                knowEdit.resolve("ConvSent-val.json").toString(), "--limit", "3", "--out", convSent.toString(),
                "--cache-dir", tmp.resolve("cache").toString());
        assertThat(cs.status()).as(cs.err()).isZero();
        assertThat(cs.out()).contains("FT-M on ConvSent (convsent), 3 cases").contains("Locality ↓ ").containsPattern(
                "es \\d\\.\\d{3} -> \\d\\.\\d{3}, dd \\d");
        ObjectMapper json = new ObjectMapper();
        for (String line : Files.readAllLines(convSent.resolve("cases.jsonl"))) {
            JsonNode post = json.readTree(line).get("post");
            double es = post.get("es").asDouble();
            assertThat(es).isEqualTo(post.get("z_sent").asDouble() * post.get("z_topic").asDouble());
            assertThat(post.get("z_sent").asDouble()).isEqualTo(
                    1 / (1 + Math.exp(post.get("other_logprob").asDouble() - post.get("target_logprob").asDouble())));
            assertThat(post.get("dd").asDouble()).as("FT-M changes the next topic's distributions").isPositive();
        }
        JsonNode summary = json.readTree(convSent.resolve("summary.json").toFile()).get("summary").get("post");
        assertThat(summary.get("es").asDouble()).isBetween(0.0, 1.0);

        Path sanitation = tmp.resolve("sanitation");
        EditCommandTest.Run san = EditCommandTest.run("bench", "--model", FACT_WORLD.toString(), "--method", "FT-M", "--data",
                knowEdit.resolve("Sanitation-trivia_qa-train.json").toString(), "--limit", "3", "--out", sanitation.toString(),
                "--cache-dir", tmp.resolve("cache").toString());
        assertThat(san.status()).as(san.err()).isZero();
        assertThat(san.out()).contains("FT-M on Sanitation (sanitation), 3 cases").contains("sanitation success ");
        JsonNode line = json.readTree(Files.readAllLines(sanitation.resolve("cases.jsonl")).get(0));
        JsonNode z = line.get("post").get("sanitation");
        assertThat(z.get("forget").get("reference").asText()).isEqualTo("I don't know.");
        assertThat(z.get("retain_acc")).hasSize(6);
        double sum = 0;
        int n = 0;
        for (String l : Files.readAllLines(sanitation.resolve("cases.jsonl"))) {
            for (JsonNode a : json.readTree(l).get("post").get("sanitation").get("retain_acc")) {
                sum += a.asDouble();
                n++;
            }
        }
        JsonNode sanSummary = json.readTree(sanitation.resolve("summary.json").toFile()).get("summary").get("post").get("sanitation");
        assertThat(n).as("453 retain questions dealt over 80: 6 each for the first cases").isEqualTo(18);
        assertThat(sanSummary.get("retain_acc").asDouble()).as("pooled over questions, as EasyEdit").isCloseTo(sum / n,
                org.assertj.core.api.Assertions.within(1e-12));

        Path reportDir = tmp.resolve("report");
        EditCommandTest.Run rep = EditCommandTest.run("report", convSent.toString(), sanitation.toString(), "--out",
                reportDir.toString());
        assertThat(rep.status()).as(rep.err()).isZero();
        String md = Files.readString(reportDir.resolve("report.md"), StandardCharsets.UTF_8);
        assertThat(md).contains(String.format(java.util.Locale.ROOT, "| ConvSent | Edit Succ. | %.2f |", 100 * summary.get("es").asDouble()))
                .contains(String.format(java.util.Locale.ROOT, "|  | Locality ↓ | %.2f |", 100 * summary.get("dd").asDouble()))
                .contains("Locality ↓ is dd");
        System.out.printf("emend bench ConvSent and Sanitation (3 FT-M cases each) and emend report on fact-world: %.1f s%n",
                (System.nanoTime() - t0) / 1e9);
    }

    @Test
    void badOptionsAreOneLine(@TempDir Path tmp) {
        EditCommandTest.Run mode = EditCommandTest.run("bench", "--model", FACT_WORLD.toString(), "--data",
                FACT_WORLD.resolve("bench/modification.json").toString(), "--mode", "parallel", "--out", tmp.toString());
        assertThat(mode.status()).isEqualTo(2);
        assertThat(mode.err()).startsWith("error: --mode 'parallel' is not one of");
        EditCommandTest.Run format = EditCommandTest.run("bench", "--model", FACT_WORLD.toString(), "--data",
                FACT_WORLD.resolve("bench/modification.json").toString(), "--format", "csv", "--out", tmp.toString());
        assertThat(format.err()).startsWith("error: unknown data format 'csv'");
        EditCommandTest.Run report = EditCommandTest.run("report", tmp.toString(), "--out", tmp.resolve("r").toString());
        assertThat(report.err()).startsWith("error: ").contains("has no cases.jsonl");
    }
}
