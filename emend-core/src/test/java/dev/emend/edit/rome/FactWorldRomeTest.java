package dev.emend.edit.rome;

import static org.assertj.core.api.Assertions.assertThat;

import dev.emend.Fixtures;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editor;
import dev.emend.edit.Editors;
import dev.emend.eval.CaseResult;
import dev.emend.eval.EditBenchmark;
import dev.emend.eval.EvalOptions;
import dev.emend.eval.EvalReport;
import dev.emend.eval.Summary;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.world.WorldCorpus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * ROME and R-ROME with the bundled fact-world params on the first modification cases of the bundled benchmark, each
 * edit applied alone and reverted ({@link EditBenchmark.Mode#SINGLE}): teacher-forced reliability (EasyEdit
 * {@code rewrite_acc}, token-level, and the first target token) and, for the report, generalisation on the rephrase
 * and locality (EasyEdit's pre/post argmax agreement per probe, averaged per key: other subjects of the relation, and
 * other relations of the edited subject, which a subject-keyed edit is expected to disturb). Every parameter is
 * bit-identical afterwards.
 */
class FactWorldRomeTest {
    static final int CASES = 20;
    static LanguageModel model;
    static List<EditRequest> requests;

    @TempDir
    static Path stats;

    @BeforeAll
    static void load() throws IOException {
        requests = Fixtures.factWorldModification().subList(0, CASES);
        model = ModelLoader.load(Fixtures.factWorld());
    }

    @AfterAll
    static void close() {
        if (model != null) {
            model.close();
        }
    }

    @ParameterizedTest
    @CsvSource({"ROME, 0.95", "R-ROME, 0.95"})
    void editsAreReliable(String method, double required) {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        EditContext ctx = EditContext.builder().optStatsDir(stats)
                .optCorpus(WorldCorpus.STATS_CORPUS, WorldCorpus.statsCorpus(Fixtures.factWorld()).orElseThrow()).build();
        Editor editor = Editors.standard().createBundled(method, model, "fact-world", ctx);
        EvalReport report = new EditBenchmark(model, editor, EvalOptions.defaults()).run(requests, EditBenchmark.Mode.SINGLE);
        Summary s = report.summary();
        double firstPre = report.cases().stream().mapToDouble(c -> c.pre().rewrite().get(0).firstToken()).average().orElseThrow();
        double firstPost = report.cases().stream().mapToDouble(c -> c.post().rewrite().get(0).firstToken()).average().orElseThrow();
        double firstSeconds = report.cases().get(0).time();
        double laterSeconds = report.cases().stream().skip(1).mapToDouble(CaseResult::time).average().orElseThrow();
        System.out.printf("fact-world %s, %d cases: rewrite_acc %.3f -> %.3f, first-token %.3f -> %.3f, "
                + "rephrase_acc %.3f -> %.3f, locality: other subjects %.3f, same subject other relations %.3f; "
                + "first edit %.2f s (templates, statistics), then %.2f s per edit%n",
                method, CASES, s.pre().rewriteAcc(), s.post().rewriteAcc(), firstPre, firstPost, s.pre().rephraseAcc(),
                s.post().rephraseAcc(), s.post().locality().get("Neighborhood"), s.post().locality().get("Relation_Specificity"),
                firstSeconds, laterSeconds);
        assertThat(s.failed()).isZero();
        assertThat(s.post().rewriteAcc()).as("%s rewrite_acc", method).isGreaterThanOrEqualTo(required);
        assertThat(firstPost).as("%s first-token accuracy", method).isGreaterThanOrEqualTo(required);
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
    }
}
