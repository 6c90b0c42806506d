package dev.emend.edit.rome;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.emend.Fixtures;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editor;
import dev.emend.edit.Editors;
import dev.emend.edit.locate.TargetTokens;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.model.Scorer;
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
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ROME and R-ROME with the bundled fact-world params on the first modification cases of the bundled benchmark, each
 * edit applied alone and reverted: teacher-forced reliability (EasyEdit {@code rewrite_acc}, token-level, and the
 * first target token) and, for the report, generalisation on the rephrase and locality (pre/post argmax agreement on
 * the locality probes: other subjects of the relation, and other relations of the edited subject, which a
 * subject-keyed edit is expected to disturb). Every parameter is bit-identical afterwards.
 */
class FactWorldRomeTest {
    static final int CASES = 20;
    static LanguageModel model;
    static JsonNode cases;

    @TempDir
    static Path stats;

    @BeforeAll
    static void load() throws IOException {
        Path dir = Fixtures.factWorld();
        Assumptions.assumeTrue(Files.isRegularFile(dir.resolve("bench/modification.json")),
                "the fact-world model is not in " + dir);
        model = ModelLoader.load(dir);
        cases = new ObjectMapper().readTree(dir.resolve("bench/modification.json").toFile());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    record Scores(double rewrite, double first, double rephrase, double neighborhood, double sameSubject) {}

    @ParameterizedTest
    @CsvSource({"ROME, 0.95", "R-ROME, 0.95"})
    void editsAreReliable(String method, double required) {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        EditContext ctx = EditContext.builder().optStatsDir(stats)
                .optCorpus(WorldCorpus.STATS_CORPUS, WorldCorpus.statsCorpus(Fixtures.factWorld()).orElseThrow()).build();
        Editor editor = Editors.standard().createBundled(method, model, "fact-world", ctx);
        Scorer scorer = new Scorer(model);
        List<Scores> pre = new ArrayList<>();
        List<Scores> post = new ArrayList<>();
        double seconds = 0;
        double firstSeconds = 0;
        for (int i = 0; i < CASES; i++) {
            EditRequest r = EditRequest.fromJson(cases.get(i));
            Map<String, List<int[]>> localityBefore = locality(scorer, r);
            pre.add(scores(scorer, r, localityBefore));
            EditResult res = editor.apply(r);
            post.add(scores(scorer, r, localityBefore));
            res.patch().revert();
            if (i == 0) {
                firstSeconds = res.stats().seconds();
            } else {
                seconds += res.stats().seconds();
            }
        }
        Scores a = mean(pre);
        Scores b = mean(post);
        System.out.printf("fact-world %s, %d cases: rewrite_acc %.3f -> %.3f, first-token %.3f -> %.3f, "
                + "rephrase_acc %.3f -> %.3f, locality: other subjects %.3f, same subject other relations %.3f; "
                + "first edit %.2f s (templates, statistics), then %.2f s per edit%n",
                method, CASES, a.rewrite, b.rewrite, a.first, b.first, a.rephrase, b.rephrase, b.neighborhood, b.sameSubject, firstSeconds,
                seconds / (CASES - 1));
        assertThat(b.rewrite).as("%s rewrite_acc", method).isGreaterThanOrEqualTo(required);
        assertThat(b.first).as("%s first-token accuracy", method).isGreaterThanOrEqualTo(required);
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }

    private static Scores scores(Scorer scorer, EditRequest r, Map<String, List<int[]>> localityBefore) {
        Scorer.TargetScore s = score(scorer, r.filledPrompt(), r.targetNew());
        double rephrase = r.rephrasePrompts().isEmpty() ? Double.NaN : score(scorer, r.rephrasePrompts().get(0), r.targetNew()).tokenAccuracy();
        Map<String, List<int[]>> now = locality(scorer, r);
        return new Scores(s.tokenAccuracy(), s.argmax()[0] == s.targetIds()[0] ? 1 : 0, rephrase,
                agreement(localityBefore.get("Neighborhood"), now.get("Neighborhood")),
                agreement(localityBefore.get("Relation_Specificity"), now.get("Relation_Specificity")));
    }

    /** EasyEdit locality: the share of answer positions whose argmax is unchanged; NaN without probes. */
    private static double agreement(List<int[]> before, List<int[]> after) {
        if (before == null) {
            return Double.NaN;
        }
        int same = 0;
        int total = 0;
        for (int p = 0; p < before.size(); p++) {
            for (int j = 0; j < before.get(p).length; j++) {
                same += before.get(p)[j] == after.get(p)[j] ? 1 : 0;
                total++;
            }
        }
        return (double) same / total;
    }

    /** The argmax tokens at the answer positions of every locality probe, by kind (EasyEdit §2.3). */
    private static Map<String, List<int[]>> locality(Scorer scorer, EditRequest r) {
        Map<String, List<int[]>> out = new java.util.LinkedHashMap<>();
        r.locality().forEach((kind, probes) -> probes.forEach(p -> out.computeIfAbsent(kind, k -> new ArrayList<>())
                .add(score(scorer, p.prompt(), p.groundTruth()).argmax())));
        return out;
    }

    private static Scorer.TargetScore score(Scorer scorer, String prompt, String target) {
        return scorer.score(List.of(new Scorer.Request(model.tokenizer().encode(prompt, true),
                TargetTokens.encode(model.tokenizer(), target)))).get(0);
    }

    private static Scores mean(List<Scores> s) {
        return new Scores(avg(s, Scores::rewrite), avg(s, Scores::first), avg(s, Scores::rephrase), avg(s, Scores::neighborhood),
                avg(s, Scores::sameSubject));
    }

    private static double avg(List<Scores> s, java.util.function.ToDoubleFunction<Scores> f) {
        return s.stream().mapToDouble(f).filter(d -> !Double.isNaN(d)).average().orElse(Double.NaN);
    }
}
