package dev.emend.edit.rome;

import ai.djl.ndarray.NDArray;
import dev.emend.EditException;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditListener;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditStats;
import dev.emend.edit.Editor;
import dev.emend.edit.EditorFactory;
import dev.emend.edit.WeightDelta;
import dev.emend.edit.locate.ContextTemplates;
import dev.emend.edit.locate.KeyComputer;
import dev.emend.edit.locate.KeyStatistics;
import dev.emend.edit.locate.PendingWeights;
import dev.emend.edit.locate.Linalg;
import dev.emend.edit.locate.RankOneUpdate;
import dev.emend.edit.locate.TargetTokens;
import dev.emend.edit.locate.ValueOptimizer;
import dev.emend.model.HookPoint;
import dev.emend.model.LanguageModel;
import dev.emend.model.WeightRef;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ROME and R-ROME on one model. {@link #apply} reads as the algorithm (algorithms §2.5):
 * <ol>
 *   <li>context templates (generated once per editor by the unedited model, seeded);</li>
 *   <li>keys: {@code k̄} = mean over the templates of the key at the subject, {@code u = C⁻¹k̄/‖C⁻¹k̄‖};</li>
 *   <li>{@code v*} by the value optimisation at the MLP output of the layer;</li>
 *   <li>{@code r = (v* − m)/(k·u)} with the key mode's {@code k, m}; {@code Δ = r uᵀ};</li>
 *   <li>commit {@code Δ} as a {@link WeightDelta}.</li>
 * </ol>
 * Steps 1–4 never write a weight (several layers are chained through per-call overrides), so a failure leaves the
 * model exactly as it was. Layer statistics are computed once per layer per editor from the model as it was then,
 * as in the reference code (they are never refreshed after edits).
 */
public final class RomeEditor implements Editor {
    /** ROME's early-stopping threshold on the v* loss ({@code compute_v.py}). */
    public static final double EARLY_STOP_LOSS = 5e-2;
    /**
     * An early-stopping threshold that never triggers (the loss is never below it): every edit runs all
     * {@code v_num_grad_steps} steps. For benchmarks that time a fixed amount of work (BENCHMARKS.md, "ROME: seconds
     * per edit"); EasyEdit has no such key, so it is an editor option, not a params key.
     */
    public static final double NO_EARLY_STOP = Double.NEGATIVE_INFINITY;

    private final LanguageModel model;
    private final RomeParams params;
    private final EditContext context;
    private final KeyStatistics statistics;
    private final double earlyStopLoss;
    private ContextTemplates templates;

    /**
     * Creates the editor.
     *
     * @param model the model
     * @param params params, checked against the model's architecture here
     * @param context statistics cache, corpora, seed, listener
     */
    public RomeEditor(LanguageModel model, RomeParams params, EditContext context) {
        this(model, params, context, EARLY_STOP_LOSS);
    }

    /**
     * Creates the editor with another early-stopping threshold than ROME's {@link #EARLY_STOP_LOSS}.
     *
     * @param model the model
     * @param params params, checked against the model's architecture here
     * @param context statistics cache, corpora, seed, listener
     * @param earlyStopLoss the v* optimisation stops once its loss is below this; {@link #NO_EARLY_STOP} never stops
     *     it early
     */
    public RomeEditor(LanguageModel model, RomeParams params, EditContext context, double earlyStopLoss) {
        if (Double.isNaN(earlyStopLoss) || earlyStopLoss == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("the early-stopping loss must be a number below +inf, got " + earlyStopLoss);
        }
        params.checkAgainst(model.architecture());
        this.model = model;
        this.params = params;
        this.context = context;
        this.statistics = new KeyStatistics(model, context, new KeyStatistics.Source(params.mom2Dataset(),
                params.mom2NSamples(), params.mom2Dtype(), params.statsDir()));
        this.earlyStopLoss = earlyStopLoss;
        context.contextTemplates().ifPresent(t -> templates = ContextTemplates.fixed(t));
    }

    /**
     * The factory for {@code Editors}.
     *
     * @param method "ROME" or "R-ROME"
     * @return a factory that refuses params of the other method
     */
    public static EditorFactory<RomeParams> factory(String method) {
        return EditorFactory.of(method, RomeParams.class, RomeEditor::new);
    }

    @Override
    public String method() {
        return params.algName();
    }

    /** @return the params */
    public RomeParams params() {
        return params;
    }

    /**
     * Everything computed for one layer.
     *
     * @param layer the block
     * @param weight the rewritten out-projection
     * @param keys keys and values at the subject in every context template (row 0: the bare prompt)
     * @param u the key direction [F]
     * @param value the v* optimisation
     * @param key the key the update maps exactly (k₀ or k̄) [F]
     * @param current that key's value before the update (m₀ or m̄) [D]
     * @param factors u, r and the division factor
     */
    public record LayerComputation(int layer, WeightRef weight, KeyComputer.Keys keys, double[] u,
            ValueOptimizer.Result value, float[] key, float[] current, RankOneUpdate.Factors factors) {
        /** @return Δ = r uᵀ */
        public WeightDelta.LowRank update() {
            return factors.toUpdate(weight);
        }
    }

    /**
     * The result of the compute half.
     *
     * @param request the request
     * @param target the target's tokens
     * @param contextTemplates the templates used
     * @param layers per edited layer, in order
     */
    public record Computation(EditRequest request, int[] target, List<String> contextTemplates,
            List<LayerComputation> layers) {}

    /**
     * Computes the edit without changing any weight.
     *
     * @param request the rewrite
     * @return keys, v*, factors per layer
     * @throws EditException if the subject is not found, the statistics are singular or the optimisation diverges
     */
    public Computation compute(EditRequest request) {
        try {
            return computeUnchecked(request);
        } catch (IllegalArgumentException e) {
            // e.g. a prompt longer than the model's context: the request cannot be edited as given
            throw new EditException("cannot compute the edit: %s. The model is unchanged".formatted(e.getMessage()), e);
        }
    }

    private Computation computeUnchecked(EditRequest request) {
        ValueOptimizer.requireDifferentiable(model);
        EditListener listener = context.listener();
        int[] target = TargetTokens.encode(model.tokenizer(), request.targetNew());
        List<String> prompts = contextTemplates().around(request.template());
        List<LayerComputation> out = new ArrayList<>();
        try (PendingWeights pending = new PendingWeights(model)) {
            Map<String, NDArray> overrides = pending.overrides();
            for (int layer : params.layers().stream().sorted().toList()) {
                WeightRef w = model.architecture().weight(HookPoint.Site.MLP_POST, layer);
                listener.onStage("keys");
                KeyComputer.Keys keys = KeyComputer.compute(model, layer, prompts, request.subject(), params.factToken(), overrides);
                RomeParams.KeyMode mode = params.keyMode();
                float[] direction = mode == RomeParams.KeyMode.PROMPT ? keys.keys()[0] : keys.meanKey();
                Linalg.SpdSolver c = params.mom2Adjustment() ? secondMoment(layer) : null;
                double[] u = RankOneUpdate.direction(direction, c);

                listener.onStage("v*");
                ValueOptimizer.Settings settings = new ValueOptimizer.Settings(HookPoint.mlpOut(layer), params.vNumGradSteps(),
                        params.vLr(), params.vWeightDecay(), params.klFactor(), params.clampNormFactor(), earlyStopLoss);
                ValueOptimizer.Problem problem = ValueOptimizer.Problem.of(model.tokenizer(), prompts, request.subject(),
                        params.factToken(), target);
                ValueOptimizer.Result v = ValueOptimizer.optimize(model, settings, problem, overrides, listener);

                float[] k = mode == RomeParams.KeyMode.RANDOM_PREFIX ? keys.meanKey() : keys.keys()[0];
                float[] m = mode == RomeParams.KeyMode.RANDOM_PREFIX ? keys.meanValue() : keys.values()[0];
                RankOneUpdate.Factors f = RankOneUpdate.solve(u, k, m, v.vStar());
                LayerComputation lc = new LayerComputation(layer, w, keys, u, v, k, m, f);
                out.add(lc);
                if (out.size() < params.layers().size()) {
                    pending.add(lc.update());
                }
            }
        }
        return new Computation(request, target, contextTemplates().templates(), List.copyOf(out));
    }

    @Override
    public EditResult apply(EditRequest request) {
        long start = System.nanoTime();
        Computation c = compute(request);
        WeightDelta.Builder b = WeightDelta.builder(model);
        for (LayerComputation lc : c.layers()) {
            b.add(lc.update());
        }
        WeightDelta delta = b.build();
        context.listener().onStage("commit");
        delta.apply();
        double seconds = (System.nanoTime() - start) / 1e9;
        LayerComputation last = c.layers().get(c.layers().size() - 1);
        ValueOptimizer.Result v = last.value();
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("layer", (double) last.layer());
        values.put("v_init_norm", norm(v.vInit()));
        values.put("delta_norm", norm(v.delta()));
        values.put("v_star_norm", norm(v.vStar()));
        values.put("division_factor", last.factors().divisionFactor());
        values.put("update_norm", last.factors().norm());
        values.put("steps", (double) v.trace().size());
        values.put("final_loss", v.finalLoss());
        values.put("target_prob", v.trace().get(v.trace().size() - 1).targetProbability());
        values.put("context_templates", (double) c.contextTemplates().size());
        List<Double> loss = c.layers().stream().flatMap(l -> l.value().trace().stream()).map(s -> s.loss()).toList();
        return new EditResult(List.of(request), delta, new EditStats(loss, values, seconds));
    }

    /** @return the context templates, generating them on first use */
    public ContextTemplates contextTemplates() {
        if (templates == null) {
            context.listener().onStage("context templates");
            templates = ContextTemplates.generate(model, params.contextTemplateLengthParams(), context.seed());
        }
        return templates;
    }

    private Linalg.SpdSolver secondMoment(int layer) {
        return statistics.derived("cholesky", layer, Linalg::cholesky);
    }

    private static double norm(float[] x) {
        double s = 0;
        for (float f : x) {
            s += (double) f * f;
        }
        return Math.sqrt(s);
    }
}
