package dev.emend.edit.lora;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.emend.EditException;
import dev.emend.edit.EditContext;
import dev.emend.edit.EditRequest;
import dev.emend.edit.EditResult;
import dev.emend.edit.EditStats;
import dev.emend.edit.Editor;
import dev.emend.edit.EditorFactory;
import dev.emend.edit.OptimizationStep;
import dev.emend.edit.WeightDelta;
import dev.emend.edit.ft.TorchAdam;
import dev.emend.edit.locate.TargetTokens;
import dev.emend.edit.locate.ValueOptimizer;
import dev.emend.model.ForwardRequest;
import dev.emend.model.ForwardResult;
import dev.emend.model.LanguageModel;
import dev.emend.model.WeightRef;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA as an editor (algorithms §6; EasyEdit {@code models/lora/lora_main.py} with {@code lora_type: lora}): low-rank
 * adapters on the {@code target_modules} of {@code layers} are trained with Adam on the requests while every model
 * weight stays frozen.
 *
 * <pre>
 *   per target W [out,in]:  A [r,in] ~ U(−1/√in, 1/√in)  (PEFT's kaiming_uniform_(a=√5), seeded)    B [out,r] = 0
 *   forward with W' = W + (s·B)·A,  s = lora_alpha / rank      (passed as a parameter override)
 *   for epoch in 1..num_steps:
 *     for each batch of batch_size requests:
 *       loss = mean of −log p over all target tokens of the batch (HF CE with prompt and pad masked)
 *       backward to A and B only, Adam step (coupled weight_decay)           (every batch; no threshold, no early stop)
 *   commit Δ = L·R with L = s·B [out,r] and R = A [r,in] as a {@link WeightDelta.LowRank} per target
 * </pre>
 *
 * The committed factors are exactly the product the forward used during training ({@code s·B} is rounded to float32
 * the same way), so {@link dev.emend.edit.PeftAdapter} exports what was trained: {@code lora_B = s·B},
 * {@code lora_A = A}, with its scaling 1.
 *
 * <p>Each request is scored as FT-M does (prompt with special tokens, then the target's tokens with a leading space
 * where the tokenizer marks word starts, {@link TargetTokens}; target token j scored at position
 * {@code |prompt| − 1 + j}), which is EasyEdit's {@code "{p} {t}"} with the prompt tokens masked. Unlike FT-M's
 * per-request mean, the batch loss is HF's token mean over the whole batch, as EasyEdit's LoRA computes it.
 *
 * <p>Deviations: {@code lora_dropout} is read but not applied (dropout 0): the adapter enters the forward pass as a
 * changed weight, which cannot drop the adapter's input alone. EasyEdit's {@code kl_factor} and
 * {@code norm_constraint} are unused there and must be 0 / false here. AdaLoRA ({@code lora_type: adalora}) is not
 * implemented.
 *
 * <p>Training runs on factors owned here; the model's weights are written only at the commit, so a diverging run (a
 * non-finite loss or factor) throws {@link EditException} and leaves the model exactly as it was.
 */
public final class LoraEditor implements Editor {
    private final LanguageModel model;
    private final LoraParams params;
    private final EditContext context;
    private final List<LoraTargets.Target> targets;

    /**
     * @param model the model (must compute in float32)
     * @param params params, checked against the model here
     * @param context listener
     */
    public LoraEditor(LanguageModel model, LoraParams params, EditContext context) {
        params.checkAgainst(model.architecture());
        this.model = model;
        this.params = params;
        this.context = context;
        this.targets = LoraTargets.select(model.architecture(), params);
    }

    /** @return the factory registered as "LoRA" */
    public static EditorFactory<LoraParams> factory() {
        return EditorFactory.of(LoraParams.LORA, LoraParams.class, LoraEditor::new);
    }

    @Override
    public String method() {
        return LoraParams.LORA;
    }

    /** @return the params */
    public LoraParams params() {
        return params;
    }

    /** @return the adapted projections */
    public List<LoraTargets.Target> targets() {
        return targets;
    }

    /**
     * One adapter's factors, row-major.
     *
     * @param target the adapted projection
     * @param a A [r, in]
     * @param b B [out, r]
     */
    public record Factors(LoraTargets.Target target, float[] a, float[] b) {}

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
     * @param factors the trained A and B per target
     * @param batchLoss every batch's loss, in order
     * @param epochLoss every epoch's mean loss (weighted by batch size)
     */
    public record Computation(List<EditRequest> requests, List<Factors> factors, List<Double> batchLoss,
            List<Double> epochLoss) {}

    /**
     * PEFT's initialisation, seeded with {@code seed}: A uniform in ±1/√in (kaiming_uniform_ with a = √5), B zero.
     *
     * @return the initial factors of every target
     */
    public List<Factors> initialFactors() {
        Random rnd = new Random(params.seed());
        int r = params.rank();
        List<Factors> out = new ArrayList<>();
        for (LoraTargets.Target t : targets) {
            int in = (int) t.weight().inFeatures();
            double bound = 1.0 / Math.sqrt(in);
            float[] a = new float[r * in];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) ((2 * rnd.nextDouble() - 1) * bound);
            }
            out.add(new Factors(t, a, new float[(int) t.weight().outFeatures() * r]));
        }
        return out;
    }

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
     * The objective with the given adapters (no gradient).
     *
     * @param requests the requests
     * @param factors adapters, or an empty list for the model as it is
     * @return the token-mean −log p of the targets
     */
    public double loss(List<EditRequest> requests, List<Factors> factors) {
        List<Example> ex = requests.stream().map(this::example).toList();
        try (NDManager work = model.manager().newSubManager(); NDScope ignored = new NDScope()) {
            Map<String, NDArray> base = baseWeights(factors, work);
            Map<String, NDArray[]> leaves = new LinkedHashMap<>();
            for (Factors f : factors) {
                leaves.put(f.target().weight().name(), arrays(f, work));
            }
            return objective(ex, overrides(base, leaves)).getFloat();
        }
    }

    /**
     * The loss and its autograd gradient with respect to every A and B (for checks).
     *
     * @param loss the loss
     * @param a ∂loss/∂A per target, [r, in] row-major
     * @param b ∂loss/∂B per target, [out, r] row-major
     */
    record Gradient(double loss, List<float[]> a, List<float[]> b) {}

    Gradient gradient(List<EditRequest> requests, List<Factors> factors) {
        ValueOptimizer.requireDifferentiable(model);
        List<Example> ex = requests.stream().map(this::example).toList();
        boolean grad = JniUtils.isGradMode();
        try (NDManager work = model.manager().newSubManager(); NDScope ignored = new NDScope()) {
            Map<String, NDArray> base = baseWeights(factors, work);
            Map<String, NDArray[]> leaves = new LinkedHashMap<>();
            for (Factors f : factors) {
                NDArray[] ab = arrays(f, work);
                ab[0].setRequiresGradient(true);
                ab[1].setRequiresGradient(true);
                leaves.put(f.target().weight().name(), ab);
            }
            double loss;
            try (GradientCollector gc = collector(Engine.getInstance())) {
                NDArray l = objective(ex, overrides(base, leaves));
                loss = l.getFloat();
                gc.backward(l);
            }
            List<float[]> ga = new ArrayList<>();
            List<float[]> gb = new ArrayList<>();
            for (NDArray[] ab : leaves.values()) {
                ga.add(ab[0].getGradient().toFloatArray());
                gb.add(ab[1].getGradient().toFloatArray());
            }
            return new Gradient(loss, ga, gb);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * Trains without changing any weight.
     *
     * @param requests the requests, at least one
     * @return the trained factors and the loss trace
     * @throws EditException if the loss or a factor stops being finite, or a prompt does not fit the model
     */
    public Computation compute(List<EditRequest> requests) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException("LoRA needs at least one request");
        }
        ValueOptimizer.requireDifferentiable(model);
        List<Example> examples = requests.stream().map(this::example).toList();
        List<Factors> init = initialFactors();
        int bs = params.batchSize();
        List<Double> batchLoss = new ArrayList<>();
        List<Double> epochLoss = new ArrayList<>();
        Engine engine = Engine.getInstance();
        boolean grad = JniUtils.isGradMode();
        try (NDManager work = model.manager().newSubManager(); TorchAdam adam = new TorchAdam(work, params.lr(), params.weightDecay())) {
            Map<String, NDArray> base = baseWeights(init, work);
            Map<String, NDArray[]> current = new LinkedHashMap<>();
            for (Factors f : init) {
                current.put(f.target().weight().name(), arrays(f, work));
            }
            int total = params.numSteps() * ((examples.size() + bs - 1) / bs);
            for (int epoch = 0; epoch < params.numSteps(); epoch++) {
                double sum = 0;
                for (int start = 0; start < examples.size(); start += bs) {
                    List<Example> batch = examples.subList(start, Math.min(examples.size(), start + bs));
                    double loss;
                    try (NDScope ignored = new NDScope()) {
                        Map<String, NDArray[]> leaves = new LinkedHashMap<>();
                        current.forEach((name, ab) -> {
                            NDArray a = ab[0].duplicate();
                            NDArray b = ab[1].duplicate();
                            a.setRequiresGradient(true);
                            b.setRequiresGradient(true);
                            leaves.put(name, new NDArray[] {a, b});
                        });
                        try (GradientCollector gc = collector(engine)) {
                            NDArray l = objective(batch, overrides(base, leaves));
                            loss = l.getFloat();
                            if (!Double.isFinite(loss)) {
                                throw new EditException(("LoRA diverged at epoch %d: the loss is %s; lower lr. The model "
                                        + "is unchanged").formatted(epoch, loss));
                            }
                            gc.backward(l);
                        }
                        for (Map.Entry<String, NDArray[]> e : current.entrySet()) {
                            NDArray[] leaf = leaves.get(e.getKey());
                            adam.step(e.getKey() + "#A", e.getValue()[0], leaf[0].getGradient());
                            adam.step(e.getKey() + "#B", e.getValue()[1], leaf[1].getGradient());
                        }
                    }
                    for (Map.Entry<String, NDArray[]> e : current.entrySet()) {
                        requireFinite(e.getKey(), e.getValue(), epoch);
                    }
                    batchLoss.add(loss);
                    sum += loss * batch.size();
                    context.listener().onStep(new OptimizationStep(batchLoss.size() - 1, total, loss, loss, 0, 0,
                            Math.exp(-loss), 0));
                }
                epochLoss.add(sum / examples.size());
            }
            List<Factors> trained = new ArrayList<>();
            for (Factors f : init) {
                NDArray[] ab = current.get(f.target().weight().name());
                trained.add(new Factors(f.target(), ab[0].toFloatArray(), ab[1].toFloatArray()));
            }
            return new Computation(List.copyOf(requests), List.copyOf(trained), List.copyOf(batchLoss),
                    List.copyOf(epochLoss));
        } catch (IllegalArgumentException e) {
            throw new EditException("cannot compute the edit: %s. The model is unchanged".formatted(e.getMessage()), e);
        } finally {
            JniUtils.setGradMode(grad);
        }
    }

    /**
     * The committed update of one adapter: {@code L = s·B} (float32 products, as in training), {@code R = A}.
     *
     * @param f trained factors
     * @return the low-rank update
     */
    public WeightDelta.LowRank update(Factors f) {
        float s = (float) params.scaling();
        float[] left = new float[f.b().length];
        for (int i = 0; i < left.length; i++) {
            left[i] = f.b()[i] * s;
        }
        return new WeightDelta.LowRank(f.target().weight(), params.rank(), left, f.a().clone());
    }

    @Override
    public EditResult apply(EditRequest request) {
        return applyAll(List.of(request));
    }

    /** Trains one set of adapters on all requests together (batches of {@code batch_size}) and commits one patch. */
    @Override
    public EditResult applyAll(List<EditRequest> requests) {
        long start = System.nanoTime();
        Computation c = compute(requests);
        WeightDelta.Builder builder = WeightDelta.builder(model);
        double normSq = 0;
        for (Factors f : c.factors()) {
            WeightDelta.LowRank u = update(f);
            normSq += u.norm() * u.norm();
            builder.add(u);
        }
        WeightDelta delta = builder.build();
        context.listener().onStage("commit");
        delta.apply();
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> values = new LinkedHashMap<>();
        values.put("epochs", (double) c.epochLoss().size());
        values.put("steps", (double) c.batchLoss().size());
        values.put("initial_loss", c.batchLoss().get(0));
        values.put("final_loss", c.epochLoss().get(c.epochLoss().size() - 1));
        values.put("update_norm", Math.sqrt(normSq));
        values.put("adapters", (double) c.factors().size());
        values.put("rank", (double) params.rank());
        return new EditResult(requests, delta, new EditStats(c.batchLoss(), values, seconds));
    }

    /** Float32 copies of the adapted weights (stored orientation), owned by {@code work}. */
    private Map<String, NDArray> baseWeights(List<Factors> factors, NDManager work) {
        Map<String, NDArray> base = new LinkedHashMap<>();
        for (Factors f : factors) {
            String name = f.target().weight().name();
            base.put(name, persistent(Tensors.convert(model.weights().get(name), DataType.FLOAT32, work), work));
        }
        return base;
    }

    private NDArray[] arrays(Factors f, NDManager work) {
        WeightRef w = f.target().weight();
        int r = params.rank();
        NDArray a = persistent(Tensors.create(work, f.a(), new Shape(r, w.inFeatures())), work);
        NDArray b = persistent(Tensors.create(work, f.b(), new Shape(w.outFeatures(), r)), work);
        return new NDArray[] {a, b};
    }

    /** W + fromMath((s·B)·A) per adapted weight; differentiable in A and B. */
    private Map<String, NDArray> overrides(Map<String, NDArray> base, Map<String, NDArray[]> factors) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (LoraTargets.Target t : targets) {
            String name = t.weight().name();
            NDArray[] ab = factors.get(name);
            if (ab == null) {
                continue;
            }
            NDArray w = base.get(name);
            NDArray delta = ab[1].mul(Tensors.scalar(ab[1], params.scaling())).matMul(ab[0]);   // [out,in]
            out.put(name, w.add(t.weight().orientation().fromMath(delta)));
        }
        return out;
    }

    /**
     * The batch objective as a differentiable scalar: −Σ log p(target tokens) / (number of target tokens).
     */
    NDArray objective(List<Example> batch, Map<String, NDArray> overrides) {
        int b = batch.size();
        List<int[]> rows = new ArrayList<>();
        int maxTarget = 0;
        int tokens = 0;
        for (Example e : batch) {
            int[] row = new int[e.prompt().length + e.target().length];
            System.arraycopy(e.prompt(), 0, row, 0, e.prompt().length);
            System.arraycopy(e.target(), 0, row, e.prompt().length, e.target().length);
            rows.add(row);
            maxTarget = Math.max(maxTarget, e.target().length);
            tokens += e.target().length;
        }
        if (tokens == 0) {
            throw new EditException("the targets have no tokens; LoRA has nothing to train on");
        }
        int[][] positions = new int[b][maxTarget];
        long[] labels = new long[b * maxTarget];
        float[] weights = new float[b * maxTarget];
        for (int i = 0; i < b; i++) {
            Example e = batch.get(i);
            int[] t = e.target();
            for (int j = 0; j < maxTarget; j++) {
                int jj = Math.min(j, Math.max(t.length - 1, 0));
                positions[i][j] = e.prompt().length - 1 + jj;
                labels[i * maxTarget + j] = t.length == 0 ? 0 : t[jj];
                weights[i * maxTarget + j] = j < t.length ? (float) (1.0 / tokens) : 0f;
            }
        }
        TokenBatch tb = TokenBatch.of(rows, TokenBatch.Side.RIGHT, model.tokenizer().specials().padOrFallback());
        ForwardRequest.Builder req = ForwardRequest.builder(tb).logitsAt(positions);
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

    private void requireFinite(String name, NDArray[] ab, int epoch) {
        float s;
        try (NDScope ignored = new NDScope()) {
            s = ab[0].abs().sum().add(ab[1].abs().sum()).getFloat();
        }
        if (!Float.isFinite(s)) {
            throw new EditException(("LoRA diverged at epoch %d: the adapter of %s is no longer finite; lower lr. "
                    + "The model is unchanged").formatted(epoch, name));
        }
    }

    private static NDArray persistent(NDArray a, NDManager owner) {
        NDScope.unregister(a);
        a.attach(owner);
        return a;
    }

    private static GradientCollector collector(Engine engine) {
        try {
            return engine.newGradientCollector();
        } catch (IllegalStateException e) {
            throw new EditException("another gradient computation is running (DJL allows one GradientCollector per JVM); "
                    + "run edits one at a time", e);
        }
    }
}
