package dev.emend.edit.locate;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.emend.Fixtures;
import dev.emend.edit.EditListener;
import dev.emend.edit.OptimizationStep;
import dev.emend.model.ForwardRequest;
import dev.emend.model.ForwardResult;
import dev.emend.model.HookPoint;
import dev.emend.model.Hooks;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The v* optimisation runs its steps from a kept {@code ResumeState} (the slots from each row's fact token on, from
 * the injection point on). Its numbers are those of full forward passes: v_init is the clean activation at the
 * injection point, and the losses at δ = 0 and after one Adam step equal the NLL and KL that a full pass of every
 * prompt computes, at ROME's injection point (MLP output) and MEMIT's (block output).
 */
class ValueOptimizerTest {
    static final List<String> TEMPLATES = List.of("{}", "The quick brown fox. {}", "Because it is late. {}",
            "I said so. {}");

    @ParameterizedTest
    @CsvSource({"gpt2, MLP_OUT", "gpt2, RESID_POST", "llama, MLP_OUT", "llama, RESID_POST"})
    void stepsFromTheKeptStateMatchFullPasses(String name, HookPoint.Site site) {
        try (LanguageModel m = ModelLoader.load(Fixtures.tiny(name)); NDScope ignored = new NDScope()) {
            HookPoint at = new HookPoint(site, 1);
            int[] target = TargetTokens.encode(m.tokenizer(), "the tower");
            assertThat(target.length).isGreaterThan(1);
            ValueOptimizer.Problem p = ValueOptimizer.Problem.of(m.tokenizer(),
                    TEMPLATES.stream().map(t -> t.replace("{}", "{} is in the city of")).toList(), "Eiffel Tower",
                    FactToken.SUBJECT_LAST, target);
            // 2 steps: the loss at δ = 0, one Adam step, the loss at δ1 (the last iteration takes no step)
            ValueOptimizer.Settings s = new ValueOptimizer.Settings(at, 2, 0.5, 0.5, 0.0625, 4, Double.NEGATIVE_INFINITY);
            List<OptimizationStep> steps = new ArrayList<>();
            ValueOptimizer.Result r = ValueOptimizer.optimize(m, s, p, Map.of(), new EditListener() {
                @Override
                public void onStep(OptimizationStep step) {
                    steps.add(step);
                }
            });
            assertThat(steps).hasSize(2);

            Full zero = full(m, p, at, new float[m.config().hiddenSize()], null);
            assertThat(Fixtures.maxAbsDiff(r.vInit(), zero.vInit)).isLessThanOrEqualTo(1e-6);
            assertThat(steps.get(0).nll()).isCloseTo(zero.nll, org.assertj.core.data.Offset.offset(1e-5 * zero.nll));
            Full one = full(m, p, at, r.delta(), zero.klLogProbs);
            assertThat(Fixtures.maxAbsDiff(r.delta(), new float[r.delta().length])).as("one step moved δ").isPositive();
            assertThat(steps.get(1).nll()).isCloseTo(one.nll, org.assertj.core.data.Offset.offset(1e-5 * one.nll));
            assertThat(steps.get(1).kl()).isCloseTo(one.kl, org.assertj.core.data.Offset.offset(1e-5 + 1e-4 * one.kl));
        }
    }

    record Full(float[] vInit, double nll, double kl, float[] klLogProbs) {}

    /** NLL and KL of δ from one full forward of every prompt, δ added at each fact token. */
    static Full full(LanguageModel m, ValueOptimizer.Problem p, HookPoint at, float[] delta, float[] klBefore) {
        int t = p.target().length;
        List<int[]> rows = new ArrayList<>();
        List<int[]> facts = new ArrayList<>();
        for (SubjectLocator.Located r : p.rewriting()) {
            rows.add(r.append(Arrays.copyOf(p.target(), t - 1)).ids());
            facts.add(new int[] {r.index()});
        }
        SubjectLocator.Located kl = p.kl().get(0);
        rows.add(kl.ids());
        facts.add(new int[] {kl.index()});
        TokenBatch batch = TokenBatch.of(rows, TokenBatch.Side.RIGHT, 0);
        NDArray d = Tensors.create(m.manager(), delta, new Shape(delta.length));
        ForwardResult res = m.forward(ForwardRequest.builder(batch)
                .hooks(Hooks.builder().addAt(at, facts.toArray(int[][]::new), d).capture(at).build()).build());
        float[] logits = res.logits().logSoftmax(2).toFloatArray();                               // [B,T,V]
        int v = m.config().vocabSize();
        int len = batch.length();
        double nll = 0;
        for (int i = 0; i < p.rewriting().size(); i++) {
            int start = p.rewriting().get(i).ids().length - 1;
            for (int j = 0; j < t; j++) {
                nll -= logits[((i * len) + start + j) * v + p.target()[j]] / t;
            }
        }
        nll /= p.rewriting().size();
        int klRow = p.rewriting().size();
        float[] lp = Arrays.copyOfRange(logits, (klRow * len + kl.index()) * v, (klRow * len + kl.index() + 1) * v);
        double klTerm = 0;
        if (klBefore != null) {
            for (int k = 0; k < v; k++) {
                klTerm += Math.exp(lp[k]) * (lp[k] - klBefore[k]);
            }
            klTerm *= 0.0625;
        }
        NDArray clean = res.cache().get(at);
        int idx = p.rewriting().get(0).index();
        float[] vInit = clean.get("0, " + idx).sub(d).toFloatArray();
        return new Full(vInit, nll, klTerm, lp);
    }
}
