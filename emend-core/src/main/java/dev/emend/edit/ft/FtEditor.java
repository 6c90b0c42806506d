package dev.emend.edit.ft;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.emend.ConfigException;
import dev.emend.EditException;
import dev.emend.edit.Autograd;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditStats;
import dev.emend.edit.Editor;
import dev.emend.edit.EditorFactory;
import dev.emend.edit.OptimizationStep;
import dev.emend.edit.WeightDelta;
import dev.emend.edit.locate.TargetTokens;
import dev.emend.edit.locate.ValueOptimizer;
import dev.emend.model.ForwardRequest;
import dev.emend.model.ForwardResult;
import dev.emend.model.LanguageModel;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * FT-L and FT-M (algorithms §5; EasyEdit {@code models/ft/ft_main.py}): the parameters selected by
 * {@code rewrite_module_tmp} in {@code layers} are trained with Adam on the requests.
 *
 * <pre>
 *   for epoch in 1..num_steps:
 *     for each batch of batch_size requests:
 *       loss = objective(batch)                         (per-request mean over target tokens, then batch mean)
 *       if loss ≥ 1e-2: backward, Adam step (coupled weight_decay)
 *       if norm_constraint ε: W ← clamp(W, W0 − ε, W0 + ε)
 *     stop when the epoch's mean loss (weighted by batch size) is below 1e-2
 *   Δ = W − W0, committed as a WeightDelta
 * </pre>
 *
 * FT-L ({@code prompt_last}) runs the prompt alone and scores <em>every</em> target token from the logits of the last
 * prompt position; target tokens equal to the tokenizer's unk id are left out (EasyEdit's mask). FT-M
 * ({@code target_new}) runs prompt + target and scores target token j from position {@code |prompt| − 1 + j}
 * (teacher forcing, loss masked to the target). Prompts are encoded with special tokens and targets with a leading
 * space where the tokenizer marks word starts ({@link TargetTokens}), as the evaluation scores them.
 *
 * <p>Training runs on copies of the parameters passed to the forward pass as overrides; the model's weights are
 * written only at the commit, so a diverging run (a non-finite loss or weight) throws {@link EditException} and leaves
 * the model exactly as it was. {@link #applyAll} trains on all requests together, in batches of {@code batch_size},
 * as EasyEdit's batch edit does; {@link #apply} trains on one.
 */
public final class FtEditor implements Editor {
    /** EasyEdit's threshold: no step below this batch loss, and stop when the epoch mean is below it. */
    public static final double LOSS_THRESHOLD = 1e-2;
    /** A threshold that never skips a step nor stops early: exactly {@code num_steps} epochs (speed benchmarks). */
    public static final double NO_EARLY_STOP = Double.NEGATIVE_INFINITY;

    private final LanguageModel model;
    private final FtParams params;
    private final EditContext context;
    private final List<TrainableParameters.Parameter> trainable;
    private final double lossThreshold;

    /**
     * @param model the model (must compute in float32)
     * @param params params, checked against the model here
     * @param context listener
     */
    public FtEditor(LanguageModel model, FtParams params, EditContext context) {
        this(model, params, context, LOSS_THRESHOLD);
    }

    /**
     * Creates the editor with another threshold than EasyEdit's {@link #LOSS_THRESHOLD}.
     *
     * @param model the model (must compute in float32)
     * @param params params, checked against the model here
     * @param context listener
     * @param lossThreshold no step for a batch loss below this, and stop once an epoch's mean is below it;
     *     {@link #NO_EARLY_STOP} always steps and runs all {@code num_steps} epochs
     */
    public FtEditor(LanguageModel model, FtParams params, EditContext context, double lossThreshold) {
        if (Double.isNaN(lossThreshold) || lossThreshold == Double.POSITIVE_INFINITY) {
            throw new IllegalArgumentException("the loss threshold must be a number below +inf, got " + lossThreshold);
        }
        params.checkAgainst(model.architecture());
        this.model = model;
        this.params = params;
        this.context = context;
        this.lossThreshold = lossThreshold;
        Map<String, TrainableParameters.Parameter> byName = new LinkedHashMap<>();
        for (int layer : params.layers()) {
            for (TrainableParameters.Parameter p : TrainableParameters.select(model.architecture(), params.rewriteModuleTmp(), layer)) {
                byName.putIfAbsent(p.ref().name(), p);
            }
        }
        this.trainable = List.copyOf(byName.values());
    }

    /**
     * @param method "FT-L" or "FT-M"
     * @return a factory that refuses params of the other objective
     */
    public static EditorFactory<FtParams> factory(String method) {
        return new EditorFactory<>() {
            @Override
            public String method() {
                return method;
            }

            @Override
            public Class<FtParams> paramsType() {
                return FtParams.class;
            }

            @Override
            public Editor create(LanguageModel model, FtParams params, EditContext context) {
                if (!method.equals(params.method())) {
                    throw new ConfigException(("the params say objective_optimization: %s, which is %s, but the method is %s; "
                            + "use objective_optimization: %s for %s").formatted(params.objectiveOptimization(),
                            params.method(), method, FtParams.FT_L.equals(method) ? FtParams.PROMPT_LAST : FtParams.TARGET_NEW,
                            method));
                }
                return new FtEditor(model, params, context);
            }
        };
    }

    @Override
    public String method() {
        return params.method();
    }

    /** @return the params */
    public FtParams params() {
        return params;
    }

    /** @return the trained parameters */
    public List<TrainableParameters.Parameter> trainable() {
        return trainable;
    }

    /**
     * One training example as token ids.
     *
     * @param prompt the prompt, with special tokens
     * @param target the target's tokens
     */
    public record Example(int[] prompt, int[] target) {}

    /**
     * The outcome of the training, nothing written.
     *
     * @param requests the requests
     * @param updates Δ = W − W0 per trained parameter
     * @param batchLoss every batch's loss, in order
     * @param epochLoss every epoch's mean loss
     * @param steps optimiser steps taken (batches at or above the threshold)
     */
    public record Computation(List<EditRequest> requests, List<WeightDelta.Dense> updates, List<Double> batchLoss,
            List<Double> epochLoss, int steps) {}

    /**
     * @param request a request
     * @return its prompt (with special tokens) and target tokens
     */
    public Example example(EditRequest request) {
        Tokenizer tok = model.tokenizer();
        int[] prompt = tok.encode(request.filledPrompt(), true);
        if (prompt.length == 0) {
            throw new EditException("the prompt '%s' has no tokens".formatted(request.filledPrompt()));
        }
        return new Example(prompt, TargetTokens.encode(tok, request.targetNew()));
    }

    /**
     * The objective on the model as it is (no gradient): per-request mean of −log p over the scored target tokens,
     * then the mean over the requests.
     *
     * @param requests the requests
     * @return the loss
     */
    public double loss(List<EditRequest> requests) {
        List<Example> ex = requests.stream().map(this::example).toList();
        try (NDScope ignored = new NDScope()) {
            return objective(ex, Map.of()).getFloat();
        }
    }

    /**
     * Trains without changing any weight.
     *
     * @param requests the requests, at least one
     * @return Δ per parameter and the loss trace
     * @throws EditException if the loss or a weight stops being finite, or a prompt does not fit the model
     */
    public Computation compute(List<EditRequest> requests) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("FT needs at least one request");
        }
        ValueOptimizer.requireDifferentiable(model);
        List<Example> examples = requests.stream().map(this::example).toList();
        int bs = params.batchSize();
        List<Double> batchLoss = new ArrayList<>();
        List<Double> epochLoss = new ArrayList<>();
        int steps = 0;
        Engine engine = Engine.getInstance();
        boolean grad = JniUtils.isGradMode();
        try (NDManager work = model.manager().newSubManager(); TorchAdam adam = new TorchAdam(work, params.lr(), params.weightDecay())) {
            Map<String, NDArray> current = new LinkedHashMap<>();
            Map<String, NDArray[]> box = new LinkedHashMap<>();
            for (TrainableParameters.Parameter p : trainable) {
                // a copy owned here: the loaded weights' manager is capped, and a mapped weight is read-only
                NDArray w0 = Autograd.persistent(Tensors.convert(model.weights().get(p.ref().name()), DataType.FLOAT32, work), work);
                current.put(p.ref().name(), w0);
                if (params.epsilon().isPresent()) {
                    try (NDScope ignored = new NDScope()) {
                        NDArray eps = Tensors.scalar(w0, params.epsilon().getAsDouble());
                        box.put(p.ref().name(), new NDArray[] {Autograd.persistent(w0.sub(eps), work), Autograd.persistent(w0.add(eps), work)});
                    }
                }
            }
            int total = params.numSteps() * ((examples.size() + bs - 1) / bs);
            for (int epoch = 0; epoch < params.numSteps(); epoch++) {
                double sum = 0;
                for (int start = 0; start < examples.size(); start += bs) {
                    List<Example> batch = examples.subList(start, Math.min(examples.size(), start + bs));
                    double loss;
                    Map<String, NDArray> gradients = new LinkedHashMap<>();
                    try (NDScope ignored = new NDScope()) {
                        Map<String, NDArray> leaves = new LinkedHashMap<>();
                        current.forEach((name, w) -> {
                            NDArray leaf = w.duplicate();
                            leaf.setRequiresGradient(true);
                            leaves.put(name, leaf);
                        });
                        try (GradientCollector gc = Autograd.collector(engine)) {
                            NDArray l = objective(batch, leaves);
                            loss = l.getFloat();
                            if (!Double.isFinite(loss)) {
                                throw new EditException(("%s diverged at epoch %d: the loss is %s; lower lr or set "
                                        + "norm_constraint. The model is unchanged").formatted(method(), epoch, loss));
                            }
                            if (loss >= lossThreshold) {
                                gc.backward(l);
                            }
                        }
                        if (loss >= lossThreshold) {
                            for (TrainableParameters.Parameter p : trainable) {
                                String name = p.ref().name();
                                NDArray g = leaves.get(name).getGradient();
                                adam.step(name, current.get(name), g);
                            }
                        }
                        if (!box.isEmpty()) {
                            for (Map.Entry<String, NDArray[]> e : box.entrySet()) {
                                NDArray w = current.get(e.getKey());
                                NDArray clamped = w.maximum(e.getValue()[0]).minimum(e.getValue()[1]);
                                current.put(e.getKey(), Autograd.persistent(clamped, work));
                                w.close();
                            }
                        }
                    }
                    if (loss >= lossThreshold) {
                        steps++;
                        for (Map.Entry<String, NDArray> e : current.entrySet()) {
                            requireFinite(e.getKey(), e.getValue(), epoch);
                        }
                    }
                    batchLoss.add(loss);
                    sum += loss * batch.size();
                    context.listener().onStep(new OptimizationStep(batchLoss.size() - 1, total, loss, loss, 0, 0,
                            Math.exp(-loss), 0));
                }
                double mean = sum / examples.size();
                epochLoss.add(mean);
                if (mean < lossThreshold) {
                    break;
                }
            }
            List<WeightDelta.Dense> updates = new ArrayList<>();
            for (TrainableParameters.Parameter p : trainable) {
                String name = p.ref().name();
                try (NDScope ignored = new NDScope()) {
                    NDArray d = current.get(name).sub(model.weights().get(name));           // stored orientation
                    NDArray math = p.isVector() ? d : p.ref().orientation().toMath(d);
                    updates.add(new WeightDelta.Dense(p.ref(), math.toFloatArray()));
                }
            }
            return new Computation(List.copyOf(requests), List.copyOf(updates), List.copyOf(batchLoss),
                    List.copyOf(epochLoss), steps);
        } catch (IllegalArgumentException e) {
            throw new EditException("cannot compute the edit: %s. The model is unchanged".formatted(e.getMessage()), e);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    @Override
    public EditResult apply(EditRequest request) {
        return applyAll(List.of(request));
    }

    /** Trains on all requests together (batches of {@code batch_size}) and commits one patch. */
    @Override
    public EditResult applyAll(List<EditRequest> requests) {
        long start = System.nanoTime();
        Computation c = compute(requests);
        WeightDelta.Builder b = WeightDelta.builder(model);
        c.updates().forEach(b::add);
        WeightDelta delta = b.build();
        context.listener().onStage("commit");
        delta.apply();
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> values = new LinkedHashMap<>();
        double normSq = 0;
        double maxAbs = 0;
        for (WeightDelta.Dense u : c.updates()) {
            normSq += u.norm() * u.norm();
            for (float v : u.values()) {
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
        }
        values.put("epochs", (double) c.epochLoss().size());
        values.put("steps", (double) c.steps());
        values.put("initial_loss", c.batchLoss().get(0));
        values.put("final_loss", c.epochLoss().get(c.epochLoss().size() - 1));
        values.put("update_norm", Math.sqrt(normSq));
        values.put("max_abs_update", maxAbs);
        values.put("parameters", (double) c.updates().size());
        return new EditResult(requests, delta, new EditStats(c.batchLoss(), values, seconds));
    }

    /**
     * The batch objective as a differentiable scalar.
     *
     * @param batch the examples
     * @param overrides parameter values for the forward pass
     * @return [] loss
     */
    NDArray objective(List<Example> batch, Map<String, NDArray> overrides) {
        boolean last = params.promptLast();
        int b = batch.size();
        int unk = model.tokenizer().specials().unk();
        List<int[]> rows = new ArrayList<>();
        int maxTarget = 0;
        for (Example e : batch) {
            if (last) {
                rows.add(e.prompt());
            } else {
                int[] row = new int[e.prompt().length + e.target().length];
                System.arraycopy(e.prompt(), 0, row, 0, e.prompt().length);
                System.arraycopy(e.target(), 0, row, e.prompt().length, e.target().length);
                rows.add(row);
            }
            maxTarget = Math.max(maxTarget, e.target().length);
        }
        int[][] positions = new int[b][maxTarget];
        long[] labels = new long[b * maxTarget];
        float[] weights = new float[b * maxTarget];
        for (int i = 0; i < b; i++) {
            Example e = batch.get(i);
            int[] t = e.target();
            int scored = 0;
            for (int j = 0; j < t.length; j++) {
                scored += last && t[j] == unk ? 0 : 1;
            }
            if (scored == 0) {
                throw new EditException("every target token is the unk token; FT-L has nothing to score");
            }
            for (int j = 0; j < maxTarget; j++) {
                int jj = Math.min(j, t.length - 1);
                positions[i][j] = e.prompt().length - 1 + (last ? 0 : jj);
                labels[i * maxTarget + j] = t[jj];
                boolean counts = j < t.length && !(last && t[j] == unk);
                weights[i * maxTarget + j] = counts ? (float) (1.0 / scored / b) : 0f;
            }
        }
        TokenBatch tokens = TokenBatch.of(rows, TokenBatch.Side.RIGHT, model.tokenizer().specials().padOrFallback());
        ForwardRequest.Builder req = ForwardRequest.builder(tokens).logitsAt(positions);
        overrides.forEach(req::override);
        ForwardResult r = model.forward(req.build());
        NDArray logits = r.logits();                                                         // [B,P,V]
        if (logits.getDataType() != DataType.FLOAT32) {
            logits = logits.toType(DataType.FLOAT32, false);
        }
        NDArray lp = logits.logSoftmax(2);
        NDArray lab = Tensors.create(model.manager(), labels, new Shape(b, maxTarget, 1));
        NDArray picked = lp.gather(lab, 2).reshape(b, maxTarget);                           // [B,P]
        NDArray w = Tensors.create(model.manager(), weights, new Shape(b, maxTarget));
        return picked.mul(w).sum().neg();
    }

    private void requireFinite(String name, NDArray w, int epoch) {
        float s;
        try (NDScope ignored = new NDScope()) {
            s = w.abs().sum().getFloat();
        }
        if (!Float.isFinite(s)) {
            throw new EditException(("%s diverged at epoch %d: %s is no longer finite; lower lr or set norm_constraint. "
                    + "The model is unchanged").formatted(method(), epoch, name));
        }
    }
}
