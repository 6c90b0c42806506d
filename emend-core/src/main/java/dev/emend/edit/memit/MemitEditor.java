package dev.emend.edit.memit;

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
import dev.emend.edit.locate.Linalg;
import dev.emend.edit.locate.NullSpace;
import dev.emend.edit.locate.PendingWeights;
import dev.emend.edit.locate.SubjectLocator;
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
 * MEMIT and AlphaEdit: many facts at once, the change spread over a range of MLP out-projections. {@link #applyAll}
 * reads as the algorithm (algorithms §3.3, §4.4):
 * <ol>
 *   <li>per request, the target residual {@code z = h + δ} at the block output of the last edited layer {@code L_R}
 *       (the value optimisation of §1.5, on the model as committed);</li>
 *   <li>for each layer {@code l_i} ascending, on the model with the lower layers' pending updates: keys {@code K}
 *       (template-group means), the current {@code h} at {@code L_R} on the bare prompts, the residual
 *       {@code R = (Z − H)/(|layers| − i)}, and the layer's least-squares update (MEMIT: {@code λC}-regularised;
 *       AlphaEdit: projected onto the null space of C, against the keys of earlier live edits);</li>
 *   <li>commit all layers as one {@link WeightDelta}.</li>
 * </ol>
 * Nothing is written before step 3, so a failure leaves the model exactly as it was.
 *
 * <p>AlphaEdit's accumulated keys ({@code cache_c}) are kept per committed patch, with the keys of each layer read on
 * the edited model, and only patches that are still applied count: reverting an edit removes its keys, so
 * independent single edits need no "reset_cache" and sequential runs accumulate as in the paper.
 */
public final class MemitEditor implements Editor {
    /** The early-stopping threshold of the z optimisation ({@code compute_z.py}). */
    public static final double EARLY_STOP_LOSS = 5e-2;

    private final LanguageModel model;
    private final MemitParams params;
    private final EditContext context;
    private final KeyStatistics statistics;
    private final List<LiveKeys> history = new ArrayList<>();
    private ContextTemplates templates;

    /** Keys an AlphaEdit patch wrote, per layer, read on the edited model. */
    private record LiveKeys(WeightDelta patch, Map<Integer, double[][]> keys) {}

    /**
     * Creates the editor.
     *
     * @param model the model
     * @param params params, checked against the model's architecture here
     * @param context statistics cache, corpora, seed, listener
     */
    public MemitEditor(LanguageModel model, MemitParams params, EditContext context) {
        params.checkAgainst(model.architecture());
        this.model = model;
        this.params = params;
        this.context = context;
        this.statistics = new KeyStatistics(model, context, params.statisticsSource());
        context.contextTemplates().ifPresent(t -> templates = ContextTemplates.fixed(t));
    }

    /**
     * The factory for {@code Editors}.
     *
     * @param method "MEMIT" or "AlphaEdit"
     * @return a factory that refuses params of the other method
     */
    public static EditorFactory<MemitParams> factory(String method) {
        return EditorFactory.of(method, MemitParams.class, MemitEditor::new);
    }

    @Override
    public String method() {
        return params.algName();
    }

    /** @return the params */
    public MemitParams params() {
        return params;
    }

    /**
     * One request's target.
     *
     * @param request the request
     * @param prompts its rewriting prompts, one per context template (the first is the bare prompt)
     * @param value the z optimisation ({@code vStar} is z)
     */
    public record Target(EditRequest request, List<String> prompts, ValueOptimizer.Result value) {}

    /**
     * Everything computed for one layer.
     *
     * @param layer the block
     * @param keys K, one template-weighted key per request [n][F]
     * @param residuals R_i, the share of Z − H this layer writes [n][D]
     * @param update Δ_i
     */
    public record LayerComputation(int layer, double[][] keys, double[][] residuals, WeightDelta.LowRank update) {}

    /**
     * The result of the compute half.
     *
     * @param targets per request
     * @param contextTemplates the templates used
     * @param layers per edited layer, ascending
     * @param keysAfter AlphaEdit: per layer, the keys read on the fully edited model (empty for MEMIT)
     */
    public record Computation(List<Target> targets, List<String> contextTemplates, List<LayerComputation> layers,
            Map<Integer, double[][]> keysAfter) {}

    @Override
    public EditResult apply(EditRequest request) {
        return applyAll(List.of(request));
    }

    @Override
    public EditResult applyAll(List<EditRequest> requests) {
        long start = System.nanoTime();
        Computation c = compute(requests);
        WeightDelta.Builder b = WeightDelta.builder(model);
        for (LayerComputation lc : c.layers()) {
            b.add(lc.update());
        }
        WeightDelta delta = b.build();
        context.listener().onStage("commit");
        delta.apply();
        if (params.alphaEdit()) {
            history.add(new LiveKeys(delta, c.keysAfter()));
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("edits", (double) requests.size());
        values.put("z_layer", (double) zLayer());
        values.put("mean_final_loss", c.targets().stream().mapToDouble(t -> t.value().finalLoss()).average().orElse(Double.NaN));
        values.put("mean_target_prob", c.targets().stream()
                .mapToDouble(t -> t.value().trace().get(t.value().trace().size() - 1).targetProbability()).average().orElse(Double.NaN));
        for (LayerComputation lc : c.layers()) {
            values.put("update_norm_" + lc.layer(), lc.update().norm());
        }
        values.put("context_templates", (double) c.contextTemplates().size());
        if (params.alphaEdit()) {
            values.put("live_keys", (double) previousKeys(params.sortedLayers().get(0)).size());
        }
        List<Double> loss = c.targets().stream().flatMap(t -> t.value().trace().stream()).map(s -> s.loss()).toList();
        return new EditResult(requests, delta, new EditStats(loss, values, seconds));
    }

    /**
     * Computes the edit of a batch without changing any weight.
     *
     * @param requests the rewrites
     * @return targets, keys, residuals and updates per layer
     * @throws EditException if a subject is not found, the statistics are singular or an optimisation diverges
     */
    public Computation compute(List<EditRequest> requests) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("no requests to edit");
        }
        try {
            return computeUnchecked(requests);
        } catch (IllegalArgumentException e) {
            throw new EditException("cannot compute the edit: %s. The model is unchanged".formatted(e.getMessage()), e);
        }
    }

    private Computation computeUnchecked(List<EditRequest> requests) {
        ValueOptimizer.requireDifferentiable(model);
        EditListener listener = context.listener();
        ContextTemplates ct = contextTemplates();
        int zLayer = zLayer();
        List<Target> targets = new ArrayList<>();
        for (EditRequest r : requests) {                                                   // 1. z per request
            listener.onStage("z");
            List<String> prompts = ct.around(r.template());
            int[] target = TargetTokens.encode(model.tokenizer(), r.targetNew());
            ValueOptimizer.Settings settings = new ValueOptimizer.Settings(HookPoint.residPost(zLayer), params.vNumGradSteps(),
                    params.vLr(), params.vWeightDecay(), params.klFactor(), params.clampNormFactor(), EARLY_STOP_LOSS);
            ValueOptimizer.Problem problem = ValueOptimizer.Problem.of(model.tokenizer(), prompts, r.subject(),
                    params.factToken(), target);
            targets.add(new Target(r, prompts, ValueOptimizer.optimize(model, settings, problem, Map.of(), listener)));
        }
        List<SubjectLocator.Located> templated = new ArrayList<>();
        List<SubjectLocator.Located> bare = new ArrayList<>();
        for (Target t : targets) {
            for (String p : t.prompts()) {
                templated.add(SubjectLocator.locate(model.tokenizer(), p, t.request().subject(), params.factToken()));
            }
            bare.add(templated.get(templated.size() - t.prompts().size()));
        }
        List<Integer> layers = params.sortedLayers();
        List<LayerComputation> out = new ArrayList<>();
        Map<Integer, double[][]> keysAfter = new LinkedHashMap<>();
        try (PendingWeights pending = new PendingWeights(model)) {
            for (int i = 0; i < layers.size(); i++) {                                      // 2. layers ascending
                int layer = layers.get(i);
                listener.onStage("keys");
                double[][] k = keys(layer, templated, ct, pending.overrides());             // [n][F]
                float[][] h = KeyComputer.read(model, List.of(HookPoint.residPost(zLayer)), bare, pending.overrides())[0];
                double[][] r = new double[targets.size()][];                                // R_i [n][D]
                for (int j = 0; j < r.length; j++) {
                    float[] z = targets.get(j).value().vStar();
                    r[j] = new double[z.length];
                    for (int d = 0; d < z.length; d++) {
                        r[j][d] = ((double) z[d] - h[j][d]) / (layers.size() - i);
                    }
                }
                WeightRef w = model.architecture().weight(HookPoint.Site.MLP_POST, layer);
                listener.onStage("solve");
                WeightDelta.LowRank update = params.alphaEdit()
                        ? LeastSquaresUpdate.alphaEdit(w, nullSpace(layer), params.l2(), k, previousKeys(layer), r)
                        : LeastSquaresUpdate.memit(w, params.mom2Adjustment() ? cholesky(layer) : null,
                                params.mom2UpdateWeight(), k, r);
                out.add(new LayerComputation(layer, k, r, update));
                pending.add(update);
            }
            if (params.alphaEdit()) {                                                      // keys on the edited model
                listener.onStage("keys after");
                for (int layer : layers) {
                    keysAfter.put(layer, keys(layer, templated, ct, pending.overrides()));
                }
            }
        }
        return new Computation(List.copyOf(targets), ct.templates(), List.copyOf(out), keysAfter);
    }

    /** K at one layer: per request, the key averaged within each template group, then over the groups. */
    private double[][] keys(int layer, List<SubjectLocator.Located> templated, ContextTemplates ct,
            Map<String, NDArray> overrides) {
        KeyComputer.Keys all = KeyComputer.compute(model, layer, templated, overrides);
        int per = ct.size();
        int n = templated.size() / per;
        double[][] k = new double[n][];
        for (int j = 0; j < n; j++) {
            float[][] rows = java.util.Arrays.copyOfRange(all.keys(), j * per, (j + 1) * per);
            float[] mean = new KeyComputer.Keys(rows, rows).groupMeanKey(ct.groups());
            k[j] = new double[mean.length];
            for (int q = 0; q < mean.length; q++) {
                k[j][q] = mean[q];
            }
        }
        return k;
    }

    /** @return the keys of earlier AlphaEdit edits at this layer whose patches are still applied */
    private List<double[]> previousKeys(int layer) {
        List<double[]> out = new ArrayList<>();
        for (LiveKeys lk : history) {
            if (lk.patch().isApplied()) {
                out.addAll(List.of(lk.keys().get(layer)));
            }
        }
        return out;
    }

    private int zLayer() {
        List<Integer> layers = params.sortedLayers();
        return layers.get(layers.size() - 1);
    }

    /** @return the context templates, generating them on first use */
    public ContextTemplates contextTemplates() {
        if (templates == null) {
            context.listener().onStage("context templates");
            templates = ContextTemplates.generate(model, params.contextTemplateLengthParams(), context.seed());
        }
        return templates;
    }

    private Linalg.SpdSolver cholesky(int layer) {
        return statistics.derived("cholesky", layer, Linalg::cholesky);
    }

    /**
     * @param layer a block
     * @return AlphaEdit's null space of that layer's C (computed on first use)
     */
    public NullSpace nullSpace(int layer) {
        return statistics.derived("null space", layer, c -> NullSpace.of(c, params.nullspaceThreshold()));
    }
}
