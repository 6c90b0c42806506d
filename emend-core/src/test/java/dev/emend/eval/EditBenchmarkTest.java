package dev.emend.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.emend.EditException;
import dev.emend.Fixtures;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditStats;
import dev.emend.edit.EditTesting;
import dev.emend.edit.Editor;
import dev.emend.edit.WeightDelta;
import dev.emend.model.HookPoint;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.model.WeightRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The editing loop on the tiny GPT-2 with a stand-in editor (a scaled random rank-1 update of the last MLP
 * out-projection, a different one per call): an edit that changes nothing leaves every score as it was and locality
 * at exactly 1; the three modes evaluate on the model states they promise; failed edits are recorded; the model is
 * bit-identical after every run.
 */
class EditBenchmarkTest {
    static LanguageModel model;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Fixtures.tiny("gpt2"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    /** Adds {@code scale · a bᵀ} (seeded by the call count) to the last layer's MLP out-projection; "fail" throws. */
    static final class RandomRankOneEditor implements Editor {
        final float scale;
        final List<Integer> appliedBefore = new ArrayList<>();
        final List<WeightDelta> patches = new ArrayList<>();

        RandomRankOneEditor(float scale) {
            this.scale = scale;
        }

        @Override
        public String method() {
            return "RANDOM-RANK-ONE";
        }

        @Override
        public EditResult apply(EditRequest r) {
            if (r.targetNew().equals("fail")) {
                throw new EditException("refusing to edit '" + r.prompt() + "'");
            }
            appliedBefore.add((int) patches.stream().filter(WeightDelta::isApplied).count());
            WeightRef w = model.architecture().weight(HookPoint.Site.MLP_POST, model.config().numLayers() - 1);
            int call = patches.size() + 1;
            WeightDelta d = WeightDelta.builder(model).add(WeightDelta.LowRank.outer(w,
                    random((int) w.outFeatures(), call, scale), random((int) w.inFeatures(), 100 + call, 1))).build();
            d.apply();
            patches.add(d);
            return new EditResult(List.of(r), d, new EditStats(List.of(), Map.of(), 0.25));
        }

        static float[] random(int n, long seed, float scale) {
            Random rnd = new Random(seed);
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) rnd.nextGaussian() * scale;
            }
            return x;
        }
    }

    static EditRequest request(String target) {
        return new EditRequest("The capital of France is", "France", target, "Paris", List.of("France's capital city is"),
                Map.of("Neighborhood", List.of(new EditRequest.Probe("The capital of Spain is", "Madrid"),
                                new EditRequest.Probe("Berlin is in", "Germany")),
                        "Relation_Specificity", List.of(new EditRequest.Probe("France is in", "Europe"))),
                Map.of("Subject_Aliasing", List.of(new EditRequest.Probe("The capital of the French Republic is", target))));
    }

    static EvalReport run(Editor editor, List<EditRequest> requests, EditBenchmark.Mode mode, EvalOptions options) {
        Map<String, byte[]> before = EditTesting.snapshot(model);
        EvalReport report = new EditBenchmark(model, editor, options).run(requests, mode);
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).as("bit-identical after %s", mode).isEmpty();
        return report;
    }

    static List<int[]> predictions(PhaseScores s) {
        List<int[]> out = new ArrayList<>();
        s.rewrite().forEach(m -> out.add(m.predicted()));
        s.rephrase().forEach(m -> out.add(m.predicted()));
        s.portability().values().forEach(l -> l.forEach(m -> out.add(m.predicted())));
        return out;
    }

    @Test
    void anEditThatChangesNothingKeepsEveryScoreAndLocalityIsOne() {
        EvalOptions options = EvalOptions.defaults().withFluency(true).withGeneration(true);
        EvalReport r = run(new RandomRankOneEditor(0f), List.of(request("Rome"), request("Lyon")), EditBenchmark.Mode.SINGLE, options);
        for (CaseResult c : r.cases()) {
            assertThat(c.post().rewriteAcc()).isEqualTo(c.pre().rewriteAcc());
            assertThat(c.post().rephraseAcc()).isEqualTo(c.pre().rephraseAcc());
            assertThat(c.post().portabilityAcc()).isEqualTo(c.pre().portabilityAcc());
            assertThat(c.pre().locality()).isEmpty();
            assertThat(c.post().locality()).containsOnlyKeys("Neighborhood", "Relation_Specificity");
            assertThat(c.post().locality().get("Neighborhood")).containsExactly(1.0, 1.0);
            assertThat(c.post().locality().get("Relation_Specificity")).containsExactly(1.0);
            assertThat(c.post().fluency().text()).as("same seed, same model").isEqualTo(c.pre().fluency().text());
            assertThat(c.post().fluency().ngramEntropy()).isEqualTo(c.pre().fluency().ngramEntropy());
            assertThat(c.post().fluency().text()).startsWith("The capital of France is");
            c.post().generation().locality().values().forEach(l -> l.forEach(a -> {
                assertThat(a.exactMatch()).as("post answer equals pre answer '%s'", a.reference()).isEqualTo(1.0);
                assertThat(a.f1()).isEqualTo(1.0);
            }));
            assertThat(c.post().generation().rewrite().get(0).reference()).isEqualTo(c.request().targetNew());
            assertThat(c.time()).isEqualTo(0.25);
        }
        assertThat(r.summary().post().locality()).containsEntry("Neighborhood", 1.0).containsEntry("Relation_Specificity", 1.0);
        assertThat(r.summary().post().localityMean()).isEqualTo(1.0);
        assertThat(r.summary().post().rewriteAcc()).isEqualTo(r.summary().pre().rewriteAcc());
    }

    @Test
    void modesEvaluateOnTheModelStatesTheyPromise() {
        List<EditRequest> twice = List.of(request("Rome"), request("Rome"));
        RandomRankOneEditor singleEditor = new RandomRankOneEditor(50f);
        EvalReport single = run(singleEditor, twice, EditBenchmark.Mode.SINGLE, EvalOptions.defaults());
        RandomRankOneEditor afterAllEditor = new RandomRankOneEditor(50f);
        EvalReport afterAll = run(afterAllEditor, twice, EditBenchmark.Mode.SEQUENTIAL, EvalOptions.defaults());
        RandomRankOneEditor eachEditor = new RandomRankOneEditor(50f);
        EvalReport each = run(eachEditor, twice, EditBenchmark.Mode.SEQUENTIAL_EVAL_EACH, EvalOptions.defaults());

        assertThat(singleEditor.appliedBefore).as("single: each edit on the unedited model").containsExactly(0, 0);
        assertThat(afterAllEditor.appliedBefore).as("sequential: on the edited model").containsExactly(0, 1);
        assertThat(eachEditor.appliedBefore).containsExactly(0, 1);

        PhaseScores editOne = each.cases().get(0).post();            // edit 1 applied
        PhaseScores editsOneAndTwo = each.cases().get(1).post();     // edits 1 and 2 applied
        assertThat(predictions(editOne)).as("the two model states differ (precondition)")
                .usingRecursiveFieldByFieldElementComparator().isNotEqualTo(predictions(editsOneAndTwo));
        assertThat(predictions(single.cases().get(0).post())).usingRecursiveFieldByFieldElementComparator()
                .isEqualTo(predictions(editOne));
        assertThat(predictions(afterAll.cases().get(0).post())).as("after all: case 0 sees both edits")
                .usingRecursiveFieldByFieldElementComparator().isEqualTo(predictions(editsOneAndTwo));
        assertThat(predictions(afterAll.cases().get(1).post())).usingRecursiveFieldByFieldElementComparator()
                .isEqualTo(predictions(editsOneAndTwo));
        assertThat(afterAll.cases().get(0).post().locality()).isEqualTo(editsOneAndTwo.locality());
        for (EvalReport r : List.of(single, afterAll, each)) {
            assertThat(r.cases().get(0).pre().rewriteAcc()).as("pre is always the unedited model")
                    .isEqualTo(single.cases().get(1).pre().rewriteAcc());
        }
    }

    @Test
    void noCasesGiveAnEmptyReport() {
        EvalReport r = run(new RandomRankOneEditor(1f), List.of(), EditBenchmark.Mode.SEQUENTIAL, EvalOptions.defaults().withGeneration(true));
        assertThat(r.cases()).isEmpty();
        assertThat(r.summary().post().rewriteAcc()).isNull();
        assertThat(r.toJson().get("summary").get("post").has("rewrite_acc")).isFalse();
    }

    @Test
    void failedEditsAreRecordedAndLeftOutOfTheMeans() {
        List<EditRequest> requests = List.of(request("Rome"), request("fail"), request("Lyon"));
        for (EditBenchmark.Mode mode : EditBenchmark.Mode.values()) {
            EvalReport r = run(new RandomRankOneEditor(50f), requests, mode, EvalOptions.defaults());
            assertThat(r.cases()).extracting(CaseResult::failed).containsExactly(false, true, false);
            assertThat(r.cases().get(1).error()).contains("refusing to edit");
            assertThat(r.cases().get(1).post()).isNull();
            assertThat(r.summary().cases()).isEqualTo(3);
            assertThat(r.summary().failed()).isEqualTo(1);
            double mean = (r.cases().get(0).post().rewriteAcc().get(0) + r.cases().get(2).post().rewriteAcc().get(0)) / 2;
            assertThat(r.summary().post().rewriteAcc()).isEqualTo(mean);
        }
    }

    /** A run interrupted by its listener after {@code k} units, resumed with the cases done: same results, each case once. */
    @Test
    void aPlanResumesWithTheCasesDoneAndReportsEachUnitOnce() {
        List<EditRequest> requests = List.of(request("Rome"), request("fail"), request("Lyon"), request("Nice"), request("Pau"));
        for (EditBenchmark.Mode mode : EditBenchmark.Mode.values()) {
            int batch = mode == EditBenchmark.Mode.BATCH ? 2 : 1;
            EvalReport whole = new EditBenchmark(model, new RandomRankOneEditor(50f), EvalOptions.defaults()).run(requests, mode, batch);

            Map<String, byte[]> before = EditTesting.snapshot(model);
            List<CaseResult> seen = new ArrayList<>();
            List<Integer> units = new ArrayList<>();
            RandomRankOneEditor first = new RandomRankOneEditor(50f);
            EditBenchmark.Plan plan = EditBenchmark.Plan.of(batch).withListener((results, edit) -> {
                seen.addAll(results);
                units.add(results.size());
                assertThat(edit == null).isEqualTo(results.get(0).failed());
                if (seen.size() >= 2) {
                    throw new IllegalStateException("interrupted");
                }
            });
            EditBenchmark bench = new EditBenchmark(model, first, EvalOptions.defaults());
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> bench.run(requests, mode, plan)).hasMessage("interrupted");
            assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).as("restored after the interruption").isEmpty();
            java.util.Set<Integer> done = new java.util.HashSet<>();
            seen.forEach(c -> done.add(c.caseId()));

            RandomRankOneEditor second = new RandomRankOneEditor(50f);
            List<CaseResult> rest = new ArrayList<>();
            EvalReport resumed = new EditBenchmark(model, second, EvalOptions.defaults()).run(requests, mode,
                    EditBenchmark.Plan.of(batch).withDone(done).withListener((results, edit) -> rest.addAll(results)));
            assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
            assertThat(resumed.cases()).isEqualTo(rest);
            List<Integer> ids = new ArrayList<>();
            seen.forEach(c -> ids.add(c.caseId()));
            rest.forEach(c -> ids.add(c.caseId()));
            assertThat(ids).as(mode + ": every case exactly once").containsExactlyInAnyOrder(0, 1, 2, 3, 4);
            List<CaseResult> merged = new ArrayList<>(seen);
            merged.addAll(rest);
            merged.sort(java.util.Comparator.comparingInt(CaseResult::caseId));
            boolean sequential = mode == EditBenchmark.Mode.SEQUENTIAL_EVAL_EACH || mode == EditBenchmark.Mode.SEQUENTIAL;
            for (int i = 0; i < requests.size(); i++) {
                CaseResult a = whole.cases().get(i);
                CaseResult b = merged.get(i);
                assertThat(b.failed()).isEqualTo(a.failed());
                // the stand-in editor's update depends on its call count, so only the sequential modes, which replay
                // every call, reproduce the uninterrupted model states
                if (!a.failed() && sequential) {
                    assertThat(predictions(b.post())).as("%s case %d scored on the same model state", mode, i)
                            .usingRecursiveFieldByFieldElementComparator().isEqualTo(predictions(a.post()));
                }
            }
            if (sequential) {
                assertThat(second.appliedBefore).as("the done edits are applied again first").containsExactly(0, 1, 2, 3);
            }
            if (mode == EditBenchmark.Mode.BATCH) {
                assertThat(units).as("one call per batch").containsExactly(2);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> new EditBenchmark(model, new RandomRankOneEditor(1f),
                        EvalOptions.defaults()).run(requests, mode, EditBenchmark.Plan.of(2).withDone(java.util.Set.of(0))))
                        .hasMessageContaining("only partly done");
            }
        }
    }
}
