package dev.emend.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.Fixtures;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editor;
import dev.emend.edit.Editors;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.world.WorldCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The evaluation core end to end: ROME with the bundled fact-world params on the first 20 modification cases of the
 * bundled benchmark, every metric on (teacher-forced, fluency, generation protocol), single mode and sequential mode
 * (all 20 edits stacked, evaluated after all). Single-mode reliability must reach 0.95; after each run every
 * parameter is bit-identical; the JSON report carries EasyEdit's keys.
 */
class FactWorldBenchmarkTest {
    static final int CASES = 20;
    static LanguageModel model;
    static List<EditRequest> requests;

    @TempDir
    static Path tmp;

    @BeforeAll
    static void load() throws IOException {
        Path dir = Fixtures.factWorld();
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("bench/modification.json")),
                "the fact-world model is not in " + dir);
        model = ModelLoader.load(dir);
        JsonNode cases = new ObjectMapper().readTree(dir.resolve("bench/modification.json").toFile());
        requests = new ArrayList<>();
        for (int i = 0; i < CASES; i++) {
            requests.add(EditRequest.fromJson(cases.get(i)));
        }
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    static Editor rome() {
        EditContext ctx = EditContext.builder().optStatsDir(tmp.resolve("stats"))
                .optCorpus(WorldCorpus.STATS_CORPUS, WorldCorpus.statsCorpus(Fixtures.factWorld()).orElseThrow()).build();
        return Editors.standard().createBundled("ROME", model, "fact-world", ctx);
    }

    static String line(String label, EvalReport r) {
        Summary s = r.summary();
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT,
                "fact-world ROME %s, %d cases: rewrite_acc %.3f -> %.3f, rephrase_acc %.3f -> %.3f, locality %s (mean %.3f), "
                        + "portability %s -> %s",
                label, s.cases(), s.pre().rewriteAcc(), s.post().rewriteAcc(), s.pre().rephraseAcc(), s.post().rephraseAcc(),
                fmt(s.post().locality()), s.post().localityMean(), fmt(s.pre().portability()), fmt(s.post().portability())));
        if (s.post().fluency() != null) {
            b.append(String.format(Locale.ROOT, ", fluency %.3f -> %.3f", s.pre().fluency(), s.post().fluency()));
        }
        if (s.post().generation() != null) {
            Summary.GenerationSummary pre = s.pre().generation();
            Summary.GenerationSummary post = s.post().generation();
            b.append(String.format(Locale.ROOT, ", generated rewrite EM %.3f -> %.3f (F1 %.3f -> %.3f), rephrase EM %.3f -> %.3f, "
                            + "locality answers unchanged %s",
                    pre.rewrite().exactMatch(), post.rewrite().exactMatch(), pre.rewrite().f1(), post.rewrite().f1(),
                    pre.rephrase().exactMatch(), post.rephrase().exactMatch(), fmtMatch(post.locality())));
        }
        b.append(String.format(Locale.ROOT, "; %.2f s per edit", s.time()));
        return b.toString();
    }

    static String fmt(Map<String, Double> m) {
        StringBuilder b = new StringBuilder("{");
        m.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append(k).append(' ').append(String.format(Locale.ROOT, "%.3f", v)));
        return b.append('}').toString();
    }

    static String fmtMatch(Map<String, Summary.Match> m) {
        StringBuilder b = new StringBuilder("{");
        m.forEach((k, v) -> b.append(b.length() > 1 ? ", " : "").append(k).append(' ')
                .append(String.format(Locale.ROOT, "%.3f", v.exactMatch())));
        return b.append('}').toString();
    }

    @Test
    void romeSingleEditsAreReliableAndRevertedBitExactly() throws IOException {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        EvalOptions options = EvalOptions.defaults().withFluency(true).withGeneration(true);
        long start = System.nanoTime();
        EvalReport report = new EditBenchmark(model, rome(), options).run(requests, EditBenchmark.Mode.SINGLE);
        System.out.println(line("single", report) + String.format(Locale.ROOT, "; run %.1f s",
                (System.nanoTime() - start) / 1e9));

        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        assertThat(report.summary().failed()).isZero();
        assertThat(report.summary().post().rewriteAcc()).as("ROME post rewrite_acc").isGreaterThanOrEqualTo(0.95);
        assertThat(report.summary().pre().rewriteAcc()).as("the new targets are not what the model said")
                .isLessThan(report.summary().post().rewriteAcc());
        assertThat(report.summary().post().locality()).containsKeys("Neighborhood", "Relation_Specificity");
        for (CaseResult c : report.cases()) {
            String prompt = model.tokenizer().decode(model.tokenizer().encode(c.request().filledPrompt(), true), true);
            assertThat(c.post().fluency().text()).as("the scored text includes the prompt").startsWith(prompt);
            assertThat(c.post().generation().rewrite().get(0).reference()).isEqualTo(c.request().targetNew());
        }

        Path file = tmp.resolve("rome-single.json");
        report.write(file);
        JsonNode json = new ObjectMapper().readTree(file.toFile());
        assertThat(json.get("cases")).hasSize(CASES);
        JsonNode first = json.get("cases").get(0);
        assertThat(first.get("post").get("rewrite_acc").get(0).asDouble()).isEqualTo(report.cases().get(0).post().rewriteAcc().get(0));
        assertThat(first.get("post").get("locality").fieldNames()).toIterable().allMatch(k -> k.endsWith("_acc"));
        assertThat(json.get("summary").get("post").get("rewrite_acc").asDouble()).isEqualTo(report.summary().post().rewriteAcc());
    }

    @Test
    void romeSequentialEditsAreEvaluatedAfterAllAndRevertedBitExactly() {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        long start = System.nanoTime();
        EvalReport report = new EditBenchmark(model, rome(), EvalOptions.defaults()).run(requests, EditBenchmark.Mode.SEQUENTIAL);
        System.out.println(line("sequential (after all)", report) + String.format(Locale.ROOT, "; run %.1f s",
                (System.nanoTime() - start) / 1e9));
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        assertThat(report.summary().cases()).isEqualTo(CASES);
        assertThat(report.summary().post().rewriteAcc()).isGreaterThan(report.summary().pre().rewriteAcc());
    }
}
