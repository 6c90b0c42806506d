package dev.emend.eval.general;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.Fixtures;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editor;
import dev.emend.edit.Editors;
import dev.emend.model.GenerationConfig;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.world.WorldCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe on the bundled fact-world model, where the answers are known: multiple-choice questions and open questions
 * are built from its facts ({@code bench/modification.json}: the prompt, with the true object and the case's new object
 * as the options), so the unedited model must pick the true object, and after ROME edits of some facts it must pick
 * their new objects there while the other facts keep theirs.
 */
class GeneralProbeFactWorldTest {
    static LanguageModel model;
    static JsonNode cases;

    @TempDir
    static Path stats;

    @BeforeAll
    static void load() throws IOException {
        Path dir = Fixtures.factWorld();
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("bench/modification.json")), "the fact-world model is not in " + dir);
        model = ModelLoader.load(dir);
        cases = new ObjectMapper().readTree(dir.resolve("bench/modification.json").toFile());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    /** Cases [from, to) as two-option questions; the answer is the true object, or the new one if {@code answerNew}. */
    static List<MultipleChoice> questions(int from, int to, boolean answerNew) {
        List<MultipleChoice> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            JsonNode c = cases.get(i);
            out.add(new MultipleChoice(c.get("case_id").asText(), c.get("prompt").asText(),
                    List.of(c.get("ground_truth").asText(), c.get("target_new").asText()), answerNew ? 1 : 0));
        }
        return out;
    }

    static List<OpenQuestion> open(int from, int to, String field) {
        List<OpenQuestion> out = new ArrayList<>();
        for (int i = from; i < to; i++) {
            JsonNode c = cases.get(i);
            out.add(new OpenQuestion(c.get("case_id").asText(), c.get("prompt").asText(), List.of(c.get(field).asText())));
        }
        return out;
    }

    @Test
    void uneditedModelPicksTheTrueObjects() {
        // fact-world's word-level vocabulary has no "Question:"; its facts are plain sentences, so the prompt is the fact's
        MultipleChoiceTask mc = new MultipleChoiceTask("facts", questions(0, 40, false), "{question}", 16);
        TriviaQaTask qa = TriviaQaTask.of("facts-qa", open(0, 40, "ground_truth")).withTemplate("{question}");
        ProbeReport r = GeneralProbe.run(model, List.of(mc, qa), 0);
        System.out.printf("fact-world, 40 facts: acc %.3f, acc_norm %.3f, exact match %.3f, F1 %.3f (%.2f s, %.2f s)%n",
                r.task("facts").metric("acc"), r.task("facts").metric("acc_norm"), r.task("facts-qa").metric("exact_match"),
                r.task("facts-qa").metric("f1"), r.task("facts").seconds(), r.task("facts-qa").seconds());
        assertThat(r.task("facts").items()).isEqualTo(40);
        assertThat(r.task("facts").metric("acc")).isGreaterThanOrEqualTo(0.95);
        assertThat(r.task("facts").metric("acc_norm")).isGreaterThanOrEqualTo(0.9);
        assertThat(r.task("facts-qa").metric("exact_match")).isGreaterThanOrEqualTo(0.9);
        assertThat(GeneralProbe.run(model, List.of(mc), 7).task("facts").items()).isEqualTo(7);
    }

    @Test
    void romeEditsMoveTheEditedFactsOnly() {
        Map<String, byte[]> weights = EditTesting.snapshot(model);
        EditContext ctx = EditContext.builder().optStatsDir(stats)
                .optCorpus(WorldCorpus.STATS_CORPUS, WorldCorpus.statsCorpus(Fixtures.factWorld()).orElseThrow()).build();
        Editor rome = Editors.standard().createBundled("ROME", model, "fact-world", ctx);
        List<EditRequest> requests = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            requests.add(EditRequest.fromJson(cases.get(i)));
        }
        List<ProbeTask> tasks = List.of(
                new MultipleChoiceTask("edited", questions(0, 3, true), "{question}", 16),
                TriviaQaTask.of("edited-qa", open(0, 3, "target_new")).withTemplate("{question}"),
                new MultipleChoiceTask("others", questions(10, 40, false), "{question}", 16));
        ProbeComparison c = GeneralProbe.beforeAfter(model, tasks, 0, rome, requests);
        System.out.println("fact-world, 3 ROME edits: before " + c.before() + "\nafter " + c.after() + "\ndeltas " + c.deltas());
        assertThat(c.method()).isEqualTo("ROME");
        assertThat(c.edits()).isEqualTo(3);
        assertThat(c.before().task("edited").metric("acc")).isZero();
        assertThat(c.after().task("edited").metric("acc")).isEqualTo(1.0);
        assertThat(c.delta("edited-qa", "exact_match")).isGreaterThanOrEqualTo(2 / 3.0);
        assertThat(c.after().task("others").metric("acc")).isGreaterThanOrEqualTo(0.9);
        assertThat(c.deltas().get("others").get("acc")).isGreaterThanOrEqualTo(-0.1);
        assertThat(EditTesting.differing(weights, EditTesting.snapshot(model))).as("reverted bit-exactly").isEmpty();
    }

    @Test
    void xsumFitsLongDocumentsIntoTheContext() {
        List<Document> docs = GeneralData.xsum(GeneralDataTest.sample("xsum.jsonl"));
        XSumTask task = XSumTask.of("xsum", docs).withGeneration(GenerationConfig.greedy(8).withStopStrings(List.of("\n")));
        int budget = model.config().maxPositions() - 8;
        String words = "the old bridge in the rain ".repeat(40);
        int[] full = model.tokenizer().encode(words + "\nTL;DR:", true);
        int[] ids = task.fit(model, new Document("long", words, "s"), budget);
        assertThat(full.length).isGreaterThan(budget);
        assertThat(ids.length).isLessThanOrEqualTo(budget).isGreaterThan(budget - 4);
        assertThat(java.util.Arrays.copyOf(ids, 10)).containsExactly(java.util.Arrays.copyOf(full, 10));
        int[] tail = model.tokenizer().encode("\nTL;DR:", false);
        assertThat(java.util.Arrays.copyOfRange(ids, ids.length - tail.length, ids.length)).containsExactly(tail);
        TaskScores s = task.run(model, 0);
        assertThat(s.items()).isEqualTo(2);
        assertThat(s.metrics().keySet()).containsExactly("rouge1", "rouge2", "rougeL");
        assertThat(s.metrics().values()).allSatisfy(v -> assertThat(v).isBetween(0.0, 1.0));
    }
}
