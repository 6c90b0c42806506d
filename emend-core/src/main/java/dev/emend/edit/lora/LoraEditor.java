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
import dev.emend.edit.Autograd;
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
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * LoRA and AdaLoRA as editors (algorithms §6; EasyEdit {@code models/lora/lora_main.py} with {@code lora_type: lora}
 * or {@code adalora}): low-rank adapters on the {@code target_modules} of {@code layers} are trained with Adam on the
 * requests while every model weight stays frozen. The two differ only in the adapter's form, its initialisation and
 * AdaLoRA's orthogonality penalty; data, loss, optimiser, loop and commit are shared.
 *
 * <pre>
 *   per target W [out,in]:  A [r,in] ~ U(−1/√in, 1/√in)  (PEFT's kaiming_uniform_(a=√5), seeded)    B [out,r] = 0
 *   forward with W' = W + (s·B)·A,  s = lora_alpha / rank      (applied as x·Wᵀ + s·(x·Aᵀ)·Bᵀ, PEFT's form)
 *   for epoch in 1..num_steps:
 *     for each batch of batch_size requests:
 *       loss = mean of −log p over all target tokens of the batch (HF CE with prompt and pad masked)
 *       backward to A and B only, Adam step (coupled weight_decay)           (every batch; no threshold, no early stop)
 *   commit Δ = L·R with L = s·B [out,r] and R = A [r,in] as a {@link WeightDelta.LowRank} per target
 * </pre>
 *
 * AdaLoRA (Zhang et al., arXiv:2303.10512; PEFT {@code tuners/adalora}), in PEFT's names Q = {@code lora_A},
 * P = {@code lora_B}, Λ = {@code lora_E}:
 *
 * <pre>
 *   per target W [out,in]:  Q [r,in], P [out,r] ~ N(0, 0.02²) (seeded)    Λ [r] = 0     r = init_r (rank is ignored)
 *   forward with W' = W + ((s·P) ⊙ Λᵀ)·Q,  s = lora_alpha / (init_r + 1e-5)   (as a low-rank term, like LoRA)
 *   loss = token-mean −log p  +  orth_reg_weight · (1/2T) Σ_t (‖Q_t Q_tᵀ − I‖_F + ‖P_tᵀ P_t − I‖_F)   (T targets)
 *   Adam on P, Q and Λ; commit L = (s·P) ⊙ Λᵀ [out,r], R = Q [r,in]
 * </pre>
 *
 * The penalty is PEFT's {@code AdaLoraModel.forward}: one Frobenius norm per {@code lora_A} and per {@code lora_B}
 * matrix, summed and divided by their number (2T), added to the model's loss. PEFT computes the adapter as
 * {@code (x @ (Q*Λ)ᵀ @ Pᵀ)·α / (ranknum + 1e-5)}; Emend folds the factors into the weight in another order, equal up
 * to float32 rounding. Rank pruning ({@code update_and_allocate}) is not implemented: EasyEdit never calls it, so its
 * AdaLoRA keeps all {@code init_r} singular values, as here.
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
 * {@code norm_constraint} are unused there and must be 0 / false here.
 *
 * <p>Training runs on factors owned here; the model's weights are written only at the commit, so a diverging run (a
 * non-finite loss or factor) throws {@link EditException} and leaves the model exactly as it was.
 */
public final class LoraEditor implements Editor {
    /** PEFT's AdaLoRA {@code reset_lora_parameters}: P and Q ~ N(0, 0.02²). */
    static final double ADALORA_INIT_STD = 0.02;
    private static final String[] FACTOR_KEYS = {"#A", "#B", "#E"};

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

    /**
     * @param method {@link LoraParams#LORA} or {@link LoraParams#ADALORA}
     * @return the factory registered under that name
     */
    public static EditorFactory<LoraParams> factory(String method) {
        if (!LoraParams.LORA.equals(method) && !LoraParams.ADALORA.equals(method)) {
            throw new IllegalArgumentException("LoraEditor serves LoRA and AdaLoRA, not " + method);
        }
        return EditorFactory.of(method, LoraParams.class, LoraEditor::new);
    }

    @Override
    public String method() {
        return params.method();
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
     * One adapter's factors, row-major, in PEFT's names.
     *
     * @param target the adapted projection
     * @param a {@code lora_A}: LoRA's A, AdaLoRA's Q [r, in]
     * @param b {@code lora_B}: LoRA's B, AdaLoRA's P [out, r]
     * @param e {@code lora_E}: AdaLoRA's Λ [r]; empty for LoRA
     */
    public record Factors(LoraTargets.Target target, float[] a, float[] b, float[] e) {
        /**
         * Plain LoRA factors.
         *
         * @param target the adapted projection
         * @param a A [r, in]
         * @param b B [out, r]
         */
        public Factors(LoraTargets.Target target, float[] a, float[] b) {
            this(target, a, b, new float[0]);
        }
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
     * @param factors the trained A and B per target
     * @param batchLoss every batch's loss, in order
     * @param epochLoss every epoch's mean loss (weighted by batch size)
     */
    public record Computation(List<EditRequest> requests, List<Factors> factors, List<Double> batchLoss,
            List<Double> epochLoss) {}

    /**
     * PEFT's initialisation, seeded with {@code seed}. LoRA: A uniform in ±1/√in (kaiming_uniform_ with a = √5), B
     * zero. AdaLoRA: Q and P normal with standard deviation 0.02, Λ zero.
     *
     * @return the initial factors of every target
     */
    public List<Factors> initialFactors() {
        Random rnd = new Random(params.seed());
        int r = params.adapterRank();
        List<Factors> out = new ArrayList<>();
        for (LoraTargets.Target t : targets) {
            int in = (int) t.weight().inFeatures();
            float[] a = new float[r * in];
            float[] b = new float[(int) t.weight().outFeatures() * r];
            if (params.adaLora()) {
                fillNormal(a, rnd);
                fillNormal(b, rnd);
                out.add(new Factors(t, a, b, new float[r]));
            } else {
                double bound = 1.0 / Math.sqrt(in);
                for (int i = 0; i < a.length; i++) {
                    a[i] = (float) ((2 * rnd.nextDouble() - 1) * bound);
                }
                out.add(new Factors(t, a, b));
            }
        }
        return out;
    }

    private static void fillNormal(float[] x, Random rnd) {
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (ADALORA_INIT_STD * rnd.nextGaussian());
        }
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
     * The training objective with the given adapters (no gradient).
     *
     * @param requests the requests
     * @param factors adapters, or an empty list for the model as it is
     * @return the token-mean −log p of the targets, plus for AdaLoRA {@code orth_reg_weight} times the
     *     {@link #orthogonality orthogonality penalty} (0 without adapters, as in PEFT)
     */
    public double loss(List<EditRequest> requests, List<Factors> factors) {
        return evaluate(requests, factors, true);
    }

    /**
     * The model's part of the objective: the token-mean −log p of the targets with the given adapters, without
     * AdaLoRA's penalty (equal to {@link #loss} for LoRA).
     *
     * @param requests the requests
     * @param factors adapters, or an empty list for the model as it is
     * @return the token-mean −log p
     */
    public double nll(List<EditRequest> requests, List<Factors> factors) {
        return evaluate(requests, factors, false);
    }

    private double evaluate(List<EditRequest> requests, List<Factors> factors, boolean withPenalty) {
        List<Example> ex = requests.stream().map(this::example).toList();
        try (NDManager work = model.manager().newSubManager(); NDScope ignored = new NDScope()) {
            Map<String, NDArray[]> leaves = new LinkedHashMap<>();
            for (Factors f : factors) {
                leaves.put(f.target().weight().name(), arrays(f, work));
            }
            NDArray nll = objective(ex, adapters(leaves));
            return (withPenalty ? total(nll, leaves.values()) : nll).getFloat();
        }
    }

    /**
     * AdaLoRA's orthogonality penalty as PEFT computes it (float32, before {@code orth_reg_weight}): the mean over all
     * {@code lora_A} and {@code lora_B} matrices of {@code ‖QQᵀ − I‖_F} resp. {@code ‖PᵀP − I‖_F}.
     *
     * @param factors the adapters
     * @return the penalty; 0 for no adapters
     */
    public double orthogonality(List<Factors> factors) {
        try (NDManager work = model.manager().newSubManager(); NDScope ignored = new NDScope()) {
            List<NDArray[]> arrays = new ArrayList<>();
            for (Factors f : factors) {
                arrays.add(arrays(f, work));
            }
            return arrays.isEmpty() ? 0 : orthogonality(arrays).getFloat();
        }
    }

    /** (1/2T) Σ_t (‖A_t A_tᵀ − I‖_F + ‖B_tᵀ B_t − I‖_F), a differentiable scalar (PEFT AdaLoraModel.forward). */
    private NDArray orthogonality(Collection<NDArray[]> adapters) {
        NDArray sum = null;
        int matrices = 0;
        for (NDArray[] f : adapters) {
            NDArray aaT = f[0].matMul(f[0].transpose());                                    // [r,r]
            NDArray bTb = f[1].transpose().matMul(f[1]);                                    // [r,r]
            for (NDArray cov : new NDArray[] {aaT, bTb}) {
                NDArray eye = model.manager().eye((int) cov.getShape().get(0));             // [r,r]
                NDArray fro = cov.sub(eye).square().sum().sqrt();                           // []
                sum = sum == null ? fro : sum.add(fro);
                matrices++;
            }
        }
        return sum.div(Tensors.scalar(sum, matrices));
    }

    /** nll, plus {@code orth_reg_weight ·} the penalty for AdaLoRA with adapters. */
    private NDArray total(NDArray nll, Collection<NDArray[]> adapters) {
        if (!params.adaLora() || adapters.isEmpty()) {
            return nll;
        }
        return nll.add(orthogonality(adapters).mul(Tensors.scalar(nll, params.orthRegWeight())));
    }

    /**
     * The loss ({@link #loss}) and its autograd gradient with respect to every factor (for checks).
     *
     * @param loss the loss
     * @param a ∂loss/∂A per target, [r, in] row-major
     * @param b ∂loss/∂B per target, [out, r] row-major
     * @param e ∂loss/∂Λ per target, [r] (empty arrays for LoRA)
     */
    record Gradient(double loss, List<float[]> a, List<float[]> b, List<float[]> e) {}

    Gradient gradient(List<EditRequest> requests, List<Factors> factors) {
        ValueOptimizer.requireDifferentiable(model);
        List<Example> ex = requests.stream().map(this::example).toList();
        boolean grad = JniUtils.isGradMode();
        try (NDManager work = model.manager().newSubManager(); NDScope ignored = new NDScope()) {
            Map<String, NDArray[]> leaves = new LinkedHashMap<>();
            for (Factors f : factors) {
                NDArray[] ab = arrays(f, work);
                for (NDArray x : ab) {
                    x.setRequiresGradient(true);
                }
                leaves.put(f.target().weight().name(), ab);
            }
            double loss;
            try (GradientCollector gc = Autograd.collector(Engine.getInstance())) {
                NDArray l = total(objective(ex, adapters(leaves)), leaves.values());
                loss = l.getFloat();
                gc.backward(l);
            }
            List<List<float[]>> g = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (NDArray[] ab : leaves.values()) {
                for (int k = 0; k < 3; k++) {
                    g.get(k).add(k < ab.length ? ab[k].getGradient().toFloatArray() : new float[0]);
                }
            }
            return new Gradient(loss, g.get(0), g.get(1), g.get(2));
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
        return compute(requests, initialFactors());
    }

    /** {@link #compute(List)} from given start factors (one per target, in order; for parity checks). */
    Computation compute(List<EditRequest> requests, List<Factors> init) {
        if (requests.isEmpty()) {
            throw new IllegalArgumentException(method() + " needs at least one request");
        }
        ValueOptimizer.requireDifferentiable(model);
        List<Example> examples = requests.stream().map(this::example).toList();
        int bs = params.batchSize();
        List<Double> batchLoss = new ArrayList<>();
        List<Double> epochLoss = new ArrayList<>();
        Engine engine = Engine.getInstance();
        boolean grad = JniUtils.isGradMode();
        try (NDManager work = model.manager().newSubManager(); TorchAdam adam = new TorchAdam(work, params.lr(), params.weightDecay())) {
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
                    double nll;
                    try (NDScope ignored = new NDScope()) {
                        Map<String, NDArray[]> leaves = new LinkedHashMap<>();
                        current.forEach((name, factors) -> {
                            NDArray[] leaf = new NDArray[factors.length];
                            for (int k = 0; k < leaf.length; k++) {
                                leaf[k] = factors[k].duplicate();
                                leaf[k].setRequiresGradient(true);
                            }
                            leaves.put(name, leaf);
                        });
                        try (GradientCollector gc = Autograd.collector(engine)) {
                            NDArray n = objective(batch, adapters(leaves));
                            NDArray l = total(n, leaves.values());
                            loss = l.getFloat();
                            nll = n.getFloat();
                            if (!Double.isFinite(loss)) {
                                throw new EditException(("%s diverged at epoch %d: the loss is %s; lower lr. The model "
                                        + "is unchanged").formatted(method(), epoch, loss));
                            }
                            gc.backward(l);
                        }
                        for (Map.Entry<String, NDArray[]> e : current.entrySet()) {
                            NDArray[] leaf = leaves.get(e.getKey());
                            for (int k = 0; k < leaf.length; k++) {
                                adam.step(e.getKey() + FACTOR_KEYS[k], e.getValue()[k], leaf[k].getGradient());
                            }
                        }
                    }
                    for (Map.Entry<String, NDArray[]> e : current.entrySet()) {
                        requireFinite(e.getKey(), e.getValue(), epoch);
                    }
                    batchLoss.add(loss);
                    sum += loss * batch.size();
                    // AdaLoRA's orthogonality penalty is reported in the regulariser's place
                    context.listener().onStep(new OptimizationStep(batchLoss.size() - 1, total, loss, nll, 0, loss - nll,
                            Math.exp(-nll), 0));
                }
                epochLoss.add(sum / examples.size());
            }
            List<Factors> trained = new ArrayList<>();
            for (Factors f : init) {
                NDArray[] ab = current.get(f.target().weight().name());
                float[] e = ab.length > 2 ? ab[2].toFloatArray() : new float[0];
                trained.add(new Factors(f.target(), ab[0].toFloatArray(), ab[1].toFloatArray(), e));
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
     * The committed update of one adapter: {@code L = s·B} for LoRA, {@code L = (s·P) ⊙ Λᵀ} for AdaLoRA (float32
     * products in that order, as in training), {@code R = A} (Q).
     *
     * @param f trained factors
     * @return the low-rank update
     */
    public WeightDelta.LowRank update(Factors f) {
        float s = (float) params.scaling();
        int r = params.adapterRank();
        float[] left = new float[f.b().length];
        for (int i = 0; i < left.length; i++) {
            left[i] = f.b()[i] * s;
            if (params.adaLora()) {
                left[i] *= f.e()[i % r];
            }
        }
        return new WeightDelta.LowRank(f.target().weight(), r, left, f.a().clone());
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
        values.put("rank", (double) params.adapterRank());
        if (params.adaLora()) {
            values.put("orthogonality", orthogonality(c.factors()));
        }
        return new EditResult(requests, delta, new EditStats(c.batchLoss(), values, seconds));
    }

    /** {A [r,in], B [out,r]}, and Λ [1,r] for AdaLoRA, owned by {@code work}. */
    private NDArray[] arrays(Factors f, NDManager work) {
        WeightRef w = f.target().weight();
        int r = params.adapterRank();
        NDArray a = Autograd.persistent(Tensors.create(work, f.a(), new Shape(r, w.inFeatures())), work);
        NDArray b = Autograd.persistent(Tensors.create(work, f.b(), new Shape(w.outFeatures(), r)), work);
        if (!params.adaLora()) {
            return new NDArray[] {a, b};
        }
        NDArray e = Autograd.persistent(Tensors.create(work, f.e(), new Shape(1, r)), work);
        return new NDArray[] {a, b, e};
    }

    /**
     * The adapters as low-rank forward terms: per adapted weight, L = s·B (LoRA) or (s·P) ⊙ Λᵀ (AdaLoRA) and R = A, so
     * the layer computes x·Wᵀ + (x·Aᵀ)·Lᵀ, as PEFT's LoRA forward does (W + L·A is never formed); differentiable in
     * every factor.
     */
    private Map<String, ForwardRequest.LowRank> adapters(Map<String, NDArray[]> factors) {
        Map<String, ForwardRequest.LowRank> out = new LinkedHashMap<>();
        for (LoraTargets.Target t : targets) {
            String name = t.weight().name();
            NDArray[] ab = factors.get(name);
            if (ab == null) {
                continue;
            }
            NDArray left = ab[1].mul(Tensors.scalar(ab[1], params.scaling()));                // [out,r]
            if (ab.length > 2) {
                left = left.mul(ab[2]);                                                     // [out,r] ⊙ [1,r]
            }
            out.put(name, new ForwardRequest.LowRank(left, ab[0]));                         // [out,r], [r,in]
        }
        return out;
    }

    /**
     * The batch objective as a differentiable scalar: −Σ log p(target tokens) / (number of target tokens).
     */
    NDArray objective(List<Example> batch, Map<String, ForwardRequest.LowRank> adapters) {
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
            throw new EditException("the targets have no tokens; %s has nothing to train on".formatted(method()));
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
        adapters.forEach(req::lowRank);
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

    private void requireFinite(String name, NDArray[] factors, int epoch) {
        float s = 0;
        try (NDScope ignored = new NDScope()) {
            for (NDArray x : factors) {
                s += x.abs().sum().getFloat();
            }
        }
        if (!Float.isFinite(s)) {
            throw new EditException(("%s diverged at epoch %d: the adapter of %s is no longer finite; lower lr. "
                    + "The model is unchanged").formatted(method(), epoch, name));
        }
    }
}
