package dev.emend.eval.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.emend.EmendException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report on hand-written results folders: KnowEdit's numbers, the heatmap rows, the error types of failed edits
 * (and "needs --generation" without generated text), the Markdown and the self-contained HTML.
 */
class BenchReportTest {
    static final ObjectMapper JSON = new ObjectMapper();

    /** A case line: rewrite accuracy, locality and portability per case, an optional generated answer and norms. */
    static String line(int id, String target, double rewrite, Double locality, Double portability, String answer,
            Map<String, Double> norms) {
        ObjectNode o = JSON.createObjectNode();
        o.put("case_id", id);
        o.putObject("requested_rewrite").put("prompt", "p" + id).put("subject", "s").put("target_new", target)
                .put("ground_truth", "Paris");
        o.put("time", 0.5);
        o.putObject("pre").putArray("rewrite_acc").add(0.0);
        ObjectNode post = o.putObject("post");
        post.putArray("rewrite_acc").add(rewrite);
        if (locality != null) {
            post.putObject("locality").putArray("Neighborhood_acc").add(locality);
        }
        if (portability != null) {
            post.putObject("portability").putArray("Subject_Aliasing_acc").add(portability);
        }
        if (answer != null) {
            post.putObject("generation").putArray("rewrite").addObject().put("prompt", "p").put("answer", answer)
                    .put("reference", target).put("exact_match", 0.0).put("f1", 0.0);
        }
        ObjectNode n = o.putObject("update_norms");
        norms.forEach(n::put);
        return o.toString();
    }

    static Path folder(Path dir, String method, String mode, String dataset, int requests, List<String> lines) throws IOException {
        Files.createDirectories(dir);
        ObjectNode run = JSON.createObjectNode();
        run.putObject("config").put("method", method).put("mode", mode).put("batch_size", 1);
        run.putObject("info").put("dataset", dataset).put("requests", requests);
        Files.writeString(dir.resolve("run.json"), run.toString());
        Files.writeString(dir.resolve("cases.jsonl"), String.join("\n", lines) + "\n");
        return dir;
    }

    @Test
    void theReportHoldsKnowEditsNumbersTheHeatmapAndTheErrorTypes(@TempDir Path tmp) throws IOException {
        String w0 = "transformer.h.0.mlp.c_proj.weight";
        String w1 = "transformer.h.1.mlp.c_proj.weight";
        Path rome = folder(tmp.resolve("rome-zsre"), "ROME", "single", "ZsRE", 5, List.of(
                line(0, "Lyon", 1.0, 0.5, 1.0, "Lyon", Map.of(w0, 2.0)),
                line(1, "New York City", 0.5, 1.0, 0.0, "New York", Map.of(w0, 4.0)),
                line(2, "Rome", 0.0, 1.0, null, "the the the", Map.of(w0, 6.0)),
                line(3, "Rome", 0.0, 1.0, null, "Paris", Map.of(w0, 8.0)),
                line(4, "Rome", 0.5, 1.0, null, "Rome, Italy", Map.of(w0, 10.0))));
        // a second method, interrupted after 2 of 4 cases, without --generation
        Path memit = folder(tmp.resolve("memit-zsre"), "MEMIT", "batch", "ZsRE", 4, List.of(
                line(0, "Lyon", 1.0, 1.0, 0.5, null, Map.of(w0, 1.0, w1, 3.0)),
                line(1, "Nice", 0.0, 0.0, 0.5, null, Map.of(w0, 1.0, w1, 3.0))));
        BenchReport report = BenchReport.read(List.of(rome, memit));

        BenchReport.Table t = report.knowEditTable();
        assertThat(t.columns()).containsExactly("ROME", "MEMIT (batch 1)");
        assertThat(t.rows()).extracting(BenchReport.Row::metric).containsExactly("Edit Succ.", "Portability", "Locality");
        assertThat(t.rows().get(0).dataset()).isEqualTo("ZsRE");
        assertThat(t.rows().get(0).cells()).containsExactly("40.00", "50.00");
        assertThat(t.rows().get(1).cells()).as("portability over the cases that have it").containsExactly("50.00", "50.00");
        assertThat(t.rows().get(2).cells()).containsExactly("90.00", "50.00");
        assertThat(t.notes()).anyMatch(n -> n.contains("Fluency is left out"));

        Map<String, double[]> w = report.weightChanges();
        assertThat(w.keySet()).containsExactly("ROME · ZsRE · mlp.c_proj", "MEMIT (batch 1) · ZsRE · mlp.c_proj");
        assertThat(w.get("ROME · ZsRE · mlp.c_proj")).containsExactly(6.0, 0.0);
        assertThat(w.get("MEMIT (batch 1) · ZsRE · mlp.c_proj")).containsExactly(1.0, 3.0);

        FailedEdits.Breakdown b = FailedEdits.of(report.runs().get(0));
        assertThat(b.failed()).isEqualTo(4);
        assertThat(b.needsGeneration()).isFalse();
        assertThat(b.counts()).isEqualTo(Map.of(FailedEdits.Kind.MISSING_TARGET_TOKENS, 1,
                FailedEdits.Kind.MEANINGLESS_OR_REPEATED, 1, FailedEdits.Kind.UNRELATED, 1, FailedEdits.Kind.TARGET_GENERATED, 1));
        assertThat(b.keptOldAnswer()).as("'Paris' is the old answer").isEqualTo(1);
        FailedEdits.Breakdown m = FailedEdits.of(report.runs().get(1));
        assertThat(m.failed()).isEqualTo(1);
        assertThat(m.needsGeneration()).isTrue();
        assertThat(report.runs().get(1).complete()).isFalse();

        Path out = tmp.resolve("report");
        report.write(out);
        String md = Files.readString(out.resolve("report.md"));
        assertThat(md).contains("| Dataset | Metric | ROME | MEMIT (batch 1) |").contains("| ZsRE | Edit Succ. | 40.00 | 50.00 |")
                .contains("![Mean ‖ΔW‖ per edit, by layer and module](heatmap.svg)").contains("2 of 4 cases, incomplete")
                .contains("needs --generation").contains("1 (25%)").contains("generated \"the the the\"");
        assertThat(out.resolve("heatmap.svg")).exists();
        assertThat(out.resolve("scores-2.svg")).exists();
        String html = Files.readString(out.resolve("report.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").contains("<style>").doesNotContain("<link").doesNotContain("src=\"http")
                .contains("<table id=\"knowedit\">").contains("<td>40.00</td>");
        Matcher img = Pattern.compile("<img id=\"heatmap\" alt=\"[^\"]*\" src=\"data:image/svg\\+xml;base64,([A-Za-z0-9+/=]+)\">")
                .matcher(html);
        assertThat(img.find()).isTrue();
        String svg = new String(Base64.getDecoder().decode(img.group(1)), StandardCharsets.UTF_8);
        assertThat(svg).isEqualTo(Files.readString(out.resolve("heatmap.svg"))).contains("<svg").contains("layer")
                .contains("ROME · ZsRE · mlp.c_proj");
        assertThat(html).contains("<img id=\"scores-1\"").contains("<img id=\"scores-2\"");
    }

    @Test
    void theRulesSortAnswers() {
        assertThat(FailedEdits.meaninglessOrRepeated("")).isTrue();
        assertThat(FailedEdits.meaninglessOrRepeated("...")).isTrue();
        assertThat(FailedEdits.meaninglessOrRepeated("Paris Paris")).isTrue();
        assertThat(FailedEdits.meaninglessOrRepeated("a b a b a b")).isTrue();
        assertThat(FailedEdits.meaninglessOrRepeated("New York City")).isFalse();
        assertThat(FailedEdits.targetRecall("New York", "New York City")).isEqualTo(2.0 / 3);
        assertThat(FailedEdits.targetRecall("the University of Michigan", "University of Michigan")).isEqualTo(1.0);
        assertThat(FailedEdits.targetRecall("Berlin", "Rome")).isZero();
    }

    @Test
    void aFolderWithoutResultsIsRefused(@TempDir Path tmp) {
        assertThatThrownBy(() -> BenchReport.read(List.of(tmp))).isInstanceOf(EmendException.class)
                .hasMessageContaining("has no cases.jsonl");
        assertThat(RunResults.ParamName.parse("model.layers.17.mlp.down_proj.weight"))
                .isEqualTo(new RunResults.ParamName(17, "mlp.down_proj"));
        assertThat(RunResults.ParamName.parse("lm_head.weight")).isEqualTo(new RunResults.ParamName(-1, "lm_head"));
    }
}
