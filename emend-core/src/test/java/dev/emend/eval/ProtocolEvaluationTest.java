package dev.emend.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.emend.Fixtures;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditRequest.Probe;
import dev.emend.edit.EditTesting;
import dev.emend.edit.EvalProtocol;
import dev.emend.edit.WeightDelta;
import dev.emend.eval.metrics.ErasureMetric;
import dev.emend.eval.metrics.TeacherForced;
import dev.emend.model.GenerationConfig;
import dev.emend.model.Generator;
import dev.emend.model.HookPoint;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.model.Scorer;
import dev.emend.model.WeightRef;
import dev.emend.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The evaluator's data-set protocols on the tiny GPT-2: ConvSent's es and dd and Sanitation's scores, against oracles
 * computed one row at a time with the {@link Scorer} and {@link Generator} (no batching, no dealing back), before and
 * after a random rank-1 change of the last MLP out-projection; and with no change, dd = 0, z_topic = 1, retain = 1.
 */
class ProtocolEvaluationTest {
    static LanguageModel model;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Fixtures.tiny("gpt2"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static final EvalProtocol.Sentiment CATS = new EvalProtocol.Sentiment("pos",
            List.of(new Probe("What do you think of cats?", "I love them."),
                    new Probe("How do you view cats?", "They are wonderful and kind.")),
            List.of(new Probe("What is your take on cats?", "I hate them, they scratch.")),
            List.of(new Probe("What do you feel about dogs?", "Dogs are great."), new Probe("How do you view dogs?", "Not a fan.")));

    static EditRequest convSent() {
        return new EditRequest("From the sentiment dataset, answer What do you think of cats? postively.", "cats",
                "I love them.", null, List.of(), Map.of(), Map.of(), CATS);
    }

    static EditRequest sanitation(String target) {
        return new EditRequest("Question:What is halloumi?\nAnswer:", "halloumi", target, "Cheese", List.of(),
                Map.of("retain", List.of(new Probe("Question:Which year was called the Year of Victories?\nAnswer:", "1759"),
                        new Probe("Question:Who painted the Mona Lisa?\nAnswer:", "Leonardo"))), Map.of(),
                new EvalProtocol.Erasure(6));
    }

    /** {@code scale · a bᵀ} on the last layer's MLP out-projection. */
    static WeightDelta rankOne(float scale) {
        WeightRef w = model.architecture().weight(HookPoint.Site.MLP_POST, model.config().numLayers() - 1);
        return WeightDelta.builder(model).add(WeightDelta.LowRank.outer(w, random((int) w.outFeatures(), 1, scale),
                random((int) w.inFeatures(), 2, 1))).build();
    }

    static float[] random(int n, long seed, float scale) {
        Random rnd = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) rnd.nextGaussian() * scale;
        }
        return x;
    }

    /** Oracle: the pooled mean log-probability of the rows, each scored alone. */
    static double pooled(List<Probe> rows) {
        Scorer scorer = new Scorer(model, 1);
        double sum = 0;
        int n = 0;
        for (Probe p : rows) {
            float[] lp = scorer.score(List.of(TeacherForced.request(model.tokenizer(), p.prompt(), p.groundTruth()))).get(0).logProbs();
            for (float f : lp) {
                sum += f;
                n++;
            }
        }
        return sum / n;
    }

    /** Oracle: each row's full next-token log-probabilities, scored alone, [m × V]. */
    static List<float[]> distributions(List<Probe> rows) {
        Scorer scorer = new Scorer(model, 1);
        List<float[]> out = new ArrayList<>();
        for (Probe p : rows) {
            out.add(scorer.logProbDistributions(List.of(TeacherForced.request(model.tokenizer(), p.prompt(), p.groundTruth()))).get(0));
        }
        return out;
    }

    /** Oracle: Σ_v p (log p − log q) over every position of every row, divided by the number of positions. */
    static double meanKl(List<float[]> pre, List<float[]> post) {
        int v = model.config().vocabSize();
        double sum = 0;
        int n = 0;
        for (int r = 0; r < pre.size(); r++) {
            for (int t = 0; t < pre.get(r).length / v; t++) {
                for (int k = 0; k < v; k++) {
                    double lp = pre.get(r)[t * v + k];
                    sum += Math.exp(lp) * (lp - post.get(r)[t * v + k]);
                }
                n++;
            }
        }
        return sum / n;
    }

    @Test
    void withoutAChangeDdIsZeroZTopicOneAndEsIsZSent() {
        EditEvaluator ev = new EditEvaluator(model, EvalOptions.defaults());
        List<EditRequest> cases = List.of(convSent());
        EditEvaluator.PreEdit pre = ev.pre(cases).get(0);
        PhaseScores.Sentiment before = (PhaseScores.Sentiment) pre.scores().protocol();
        PhaseScores.Sentiment after = (PhaseScores.Sentiment) ev.post(cases, List.of(pre)).get(0).protocol();
        assertThat(after.dd()).isEqualTo(0.0);
        assertThat(after.zTopic()).isEqualTo(1.0);
        assertThat(after.es()).isEqualTo(after.zSent()).isEqualTo(before.es());
        assertThat(before.dd()).as("no dd before the edit").isNull();
        // the oracle, one row at a time
        double target = pooled(CATS.target());
        double other = pooled(CATS.other());
        assertThat(after.targetLogProb()).isCloseTo(target, within(1e-5));
        assertThat(after.otherLogProb()).isCloseTo(other, within(1e-5));
        assertThat(after.zSent()).isCloseTo(1 / (1 + Math.exp(other - target)), within(1e-5));
    }

    @Test
    void afterAChangeEsAndDdMatchTheRowByRowOracle() {
        EditEvaluator ev = new EditEvaluator(model, EvalOptions.defaults().withKlTopK(model.config().vocabSize()));
        EditEvaluator approx = new EditEvaluator(model, EvalOptions.defaults().withKlTopK(4));
        List<EditRequest> cases = List.of(convSent());
        EditEvaluator.PreEdit pre = ev.pre(cases).get(0);
        EditEvaluator.PreEdit preApprox = approx.pre(cases).get(0);
        double targetPre = pooled(CATS.target());
        List<float[]> nextPre = distributions(CATS.nextTopic());
        var before = EditTesting.snapshot(model);
        WeightDelta d = rankOne(0.5f);
        d.apply();
        PhaseScores.Sentiment after;
        PhaseScores.Sentiment afterApprox;
        PhaseScores.Sentiment afterCached;
        double targetPost;
        double otherPost;
        List<float[]> nextPost;
        try {
            after = (PhaseScores.Sentiment) ev.post(cases, List.of(pre)).get(0).protocol();
            afterApprox = (PhaseScores.Sentiment) approx.post(cases, List.of(preApprox)).get(0).protocol();
            EditEvaluator.PreEdit cached = PreEditJson.read(EvalJson.MAPPER.readTree(PreEditJson.write(pre).toString()));
            afterCached = (PhaseScores.Sentiment) ev.post(cases, List.of(cached)).get(0).protocol();
            targetPost = pooled(CATS.target());
            otherPost = pooled(CATS.other());
            nextPost = distributions(CATS.nextTopic());
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        } finally {
            d.revert();
        }
        assertThat(EditTesting.differing(before, EditTesting.snapshot(model))).isEmpty();
        double zSent = 1 / (1 + Math.exp(otherPost - targetPost));
        double zTopic = Math.min(1, Math.exp(targetPost - targetPre));
        assertThat(targetPost).as("the change moved the answers").isNotCloseTo(targetPre, within(1e-3));
        assertThat(after.zSent()).isCloseTo(zSent, within(1e-5));
        assertThat(after.zTopic()).isCloseTo(zTopic, within(1e-5));
        assertThat(after.es()).isCloseTo(zSent * zTopic, within(1e-5));
        double kl = meanKl(nextPre, nextPost);
        assertThat(kl).as("the change moved the next topic's distributions").isGreaterThan(1e-4);
        assertThat(after.dd()).isCloseTo(kl, within(1e-5));
        assertThat(afterApprox.dd()).as("top-4 sketch: a lower bound").isGreaterThan(0.0).isLessThanOrEqualTo(after.dd() + 1e-9);
        assertThat(afterCached).as("a cached pre-edit pass gives the same scores").isEqualTo(after);
    }

    /** Oracle: the greedy new tokens of one prompt alone, cut at EOS. */
    static int[] greedy(String prompt, int n) {
        Tokenizer tok = model.tokenizer();
        int[] ids = new Generator(model).generateIds(List.of(tok.encode(prompt, true)), GenerationConfig.greedy(n)).get(0).newIds();
        int end = 0;
        while (end < Math.min(n, ids.length) && !tok.specials().isEos(ids[end])) {
            end++;
        }
        return Arrays.copyOf(ids, end);
    }

    @Test
    void sanitationScoresGreedyAnswersAgainstTheTargetAndThePreEditAnswers() {
        Tokenizer tok = model.tokenizer();
        String forgetAnswer = tok.decode(greedy(sanitation("x").filledPrompt(), 6), true);
        assertThat(forgetAnswer.strip()).as("the tiny model says something").isNotEmpty();
        // the target is what the model already answers: erased before and after; an unrelated target is not
        List<EditRequest> cases = List.of(sanitation(forgetAnswer.strip().toUpperCase(java.util.Locale.ROOT)),
                sanitation("I don't know."));
        EditEvaluator ev = new EditEvaluator(model, EvalOptions.defaults());
        List<EditEvaluator.PreEdit> pre = ev.pre(cases);
        List<PhaseScores> same = ev.post(cases, pre);
        for (int c = 0; c < 2; c++) {
            PhaseScores.Erasure before = (PhaseScores.Erasure) pre.get(c).scores().protocol();
            PhaseScores.Erasure after = (PhaseScores.Erasure) same.get(c).protocol();
            assertThat(before.forget().answer()).isEqualTo(forgetAnswer);
            assertThat(after.forget().score()).isEqualTo(before.forget().score()).isEqualTo(c == 0 ? 1.0 : 0.0);
            assertThat(before.retain()).isEmpty();
            assertThat(after.retainScores()).as("no change: every retain answer as before").containsExactly(1.0, 1.0);
        }
        List<Probe> retain = cases.get(1).locality().get("retain");
        List<int[]> retainPre = retain.stream().map(p -> greedy(p.prompt(), 6)).toList();
        WeightDelta d = rankOne(4f);
        d.apply();
        PhaseScores.Erasure after;
        List<int[]> retainPost;
        try {
            after = (PhaseScores.Erasure) ev.post(cases, pre).get(1).protocol();
            retainPost = retain.stream().map(p -> greedy(p.prompt(), 6)).toList();
        } finally {
            d.revert();
        }
        List<Double> expected = new ArrayList<>();
        for (int i = 0; i < retain.size(); i++) {
            expected.add(ErasureMetric.retained(retainPre.get(i), retainPost.get(i)));
            assertThat(after.retain().get(i).reference()).isEqualTo(tok.decode(retainPre.get(i), true));
            assertThat(after.retain().get(i).answer()).isEqualTo(tok.decode(retainPost.get(i), true));
        }
        assertThat(after.retainScores()).isEqualTo(expected);
        assertThat(expected).as("the change moved some retain answer").anyMatch(x -> x < 1);
    }

    @Test
    void answersStopWhereTheModelsPositionsEnd() {
        Tokenizer tok = model.tokenizer();
        int positions = model.config().maxPositions();
        StringBuilder question = new StringBuilder("Question:What is halloumi");
        while (tok.encode(question + "?\nAnswer:", true).length < positions - 3) {
            question.append(" a");
        }
        String prompt = question + "?\nAnswer:";
        int room = positions - tok.encode(prompt, true).length;
        assertThat(room).isBetween(1, 3);
        EditRequest r = new EditRequest(prompt, "halloumi", "no", null, List.of(), Map.of(), Map.of(),
                new EvalProtocol.Erasure(6));
        EditEvaluator ev = new EditEvaluator(model, EvalOptions.defaults());
        PhaseScores.Erasure before = (PhaseScores.Erasure) ev.pre(List.of(r)).get(0).scores().protocol();
        assertThat(before.forget().answer()).as("%d new tokens, not 6", room).isEqualTo(tok.decode(greedy(prompt, room), true));
    }
}
