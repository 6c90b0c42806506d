package dev.emend.edit.locate;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import dev.emend.EditException;
import dev.emend.edit.Autograd;
import dev.emend.edit.EditListener;
import dev.emend.edit.OptimizationStep;
import dev.emend.model.ForwardRequest;
import dev.emend.model.ForwardResult;
import dev.emend.model.HookPoint;
import dev.emend.model.Hooks;
import dev.emend.model.LanguageModel;
import dev.emend.model.ResumeState;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Optimises the value that makes the model say the new target (algorithms §1.5; ROME {@code compute_v.py}, MEMIT
 * {@code compute_z.py}): a free vector {@code δ} [D] is added at the fact token of every prompt at one hook point
 * (ROME: the MLP output of the edited layer; MEMIT: the block output), and minimised is
 *
 * <pre>
 *   loss = NLL + KL + WD
 *   NLL  = mean_j −(1/T) Σ_m log P(o*_m | c_j(prompt), o*_{&lt;m})        over the rewriting prompts
 *   KL   = kl_factor · Σ_v P_δ(v) (log P_δ(v) − log P_0(v))                at the subject of "{s} is a"
 *   WD   = v_weight_decay · ‖δ‖ / ‖v_init‖²                                (un-squared ‖δ‖, as the code does)
 * </pre>
 *
 * with Adam (β 0.9/0.999, ε 1e-8, bias correction; written out to match {@code torch.optim.Adam}) for at most
 * {@code steps} iterations, stopping when the loss is below {@code earlyStopLoss} (the last iteration computes the loss
 * and takes no step); after each step δ is projected onto the ball of radius {@code clamp · ‖v_init‖}. The result is
 * {@code v* = v_init + δ}, where {@code v_init} is the clean value at the fact token of the first (bare) prompt.
 *
 * <p>The model must compute in float32: DJL cannot differentiate the casts of a float16 forward pass.
 *
 * <p>δ enters at one hook point, so everything the forward pass computes before that point is the same in every
 * step, and by causality so is every slot of a row before its first δ or scored position. One pass without gradients
 * keeps that part ({@link ResumeState}, cut to a {@linkplain ResumeState#suffix suffix} per row); each step resumes
 * there and computes only the rest: the layers from the injection point on, for the slots from the fact token on,
 * attending to the kept keys and values of the earlier slots, with logits only at the scored positions.
 *
 * <p>δ lives in Java between steps; each step creates it as a fresh leaf, so nothing persists across the step's
 * scope. The weight-decay term and its gradient ({@code wd·δ/(‖δ‖‖v_init‖²)}, 0 at δ=0, as torch's norm backward)
 * are computed here in double precision; autograd differentiates NLL + KL only.
 */
public final class ValueOptimizer {
    private ValueOptimizer() {}

    /**
     * Optimisation settings.
     *
     * @param injection where δ is added (ROME: {@code mlpOut(layer)}; MEMIT: {@code residPost(layer)})
     * @param steps {@code v_num_grad_steps}
     * @param lr {@code v_lr}
     * @param weightDecay {@code v_weight_decay}
     * @param klFactor {@code kl_factor}
     * @param clampNormFactor {@code clamp_norm_factor}
     * @param earlyStopLoss stop when the loss is below this (ROME: 5e-2)
     */
    public record Settings(HookPoint injection, int steps, double lr, double weightDecay, double klFactor,
            double clampNormFactor, double earlyStopLoss) {
        /** Validates ranges. */
        public Settings {
            if (steps < 1 || !(lr > 0) || !(weightDecay >= 0) || !(klFactor >= 0) || !(clampNormFactor > 0)) {
                throw new IllegalArgumentException("invalid value-optimisation settings: steps %d, lr %s, weight decay %s, kl %s, clamp %s"
                        .formatted(steps, lr, weightDecay, klFactor, clampNormFactor));
            }
        }
    }

    /**
     * The prompts of one optimisation.
     *
     * @param rewriting rewriting prompts (the first is the bare prompt), tokenised without the target
     * @param target the target's tokens o*_1..o*_T
     * @param kl essence prompts ("{s} is a"), whose next-token distribution at the fact token is kept close
     */
    public record Problem(List<SubjectLocator.Located> rewriting, int[] target, List<SubjectLocator.Located> kl) {
        /** Requires prompts and a target. */
        public Problem {
            if (rewriting.isEmpty() || target.length == 0) {
                throw new IllegalArgumentException("a value optimisation needs rewriting prompts and a non-empty target");
            }
            rewriting = List.copyOf(rewriting);
            kl = List.copyOf(kl);
            target = target.clone();
        }

        /**
         * Builds the prompts as ROME does: each context template around the request, filled with the subject; the
         * KL prompt "{} is a".
         *
         * @param tok the tokenizer
         * @param templates rewriting templates with one {} for the subject; the first is the bare request
         * @param subject the subject
         * @param token the fact-token strategy
         * @param target the target's tokens
         * @return the problem
         */
        public static Problem of(Tokenizer tok, List<String> templates, String subject, FactToken token, int[] target) {
            List<SubjectLocator.Located> rw = new ArrayList<>();
            for (String t : templates) {
                rw.add(SubjectLocator.locate(tok, t, subject, token));
            }
            List<SubjectLocator.Located> kl = List.of(SubjectLocator.locate(tok, "{} is a", subject, token));
            return new Problem(rw, target, kl);
        }
    }

    /**
     * The outcome.
     *
     * @param vInit the clean value at the fact token of the bare prompt [D]
     * @param delta the optimised δ [D]
     * @param vStar {@code v_init + δ} [D]
     * @param trace one entry per iteration
     */
    public record Result(float[] vInit, float[] delta, float[] vStar, List<OptimizationStep> trace) {
        /** @return the last iteration's loss */
        public double finalLoss() {
            return trace.get(trace.size() - 1).loss();
        }
    }

    /**
     * Runs the optimisation. The model's weights are not touched.
     *
     * @param model the model
     * @param s settings
     * @param p prompts and target
     * @param overrides parameter overrides for every forward pass (may be empty)
     * @param listener receives each step
     * @return v* and the trace
     * @throws EditException if the loss or gradient stops being finite, or the gradient collector is busy
     */
    public static Result optimize(LanguageModel model, Settings s, Problem p, Map<String, NDArray> overrides,
            EditListener listener) {
        int d = model.config().hiddenSize();
        int n = p.rewriting().size();
        int t = p.target().length;
        List<int[]> rows = new ArrayList<>();
        List<int[]> labelPositions = new ArrayList<>();
        int[][] factPositions = new int[n + p.kl().size()][];
        int[] prefix = Arrays.copyOf(p.target(), t - 1);
        for (int i = 0; i < n; i++) {
            SubjectLocator.Located r = p.rewriting().get(i);
            rows.add(r.append(prefix).ids());
            int[] pos = new int[t];
            for (int j = 0; j < t; j++) {
                pos[j] = r.ids().length - 1 + j;       // logits here predict o*_{j+1}
            }
            labelPositions.add(pos);
            factPositions[i] = new int[] {r.index()};
        }
        for (int i = 0; i < p.kl().size(); i++) {
            SubjectLocator.Located r = p.kl().get(i);
            rows.add(r.ids());
            int[] pos = new int[t];
            Arrays.fill(pos, r.index());
            labelPositions.add(pos);
            factPositions[n + i] = new int[] {r.index()};
        }
        int b = rows.size();
        TokenBatch batch = TokenBatch.of(rows, TokenBatch.Side.RIGHT, model.tokenizer().specials().padOrFallback());
        long[] labels = new long[b * t];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < t; j++) {
                labels[i * t + j] = p.target()[j];
            }
        }
        int[][] logitPositions = labelPositions.toArray(int[][]::new);
        // δ changes nothing in row r before from[r]: its first δ or scored slot
        int[] from = new int[b];
        int[][] factShifted = new int[b][];
        int[][] logitShifted = new int[b][];
        for (int i = 0; i < b; i++) {
            from[i] = Math.min(Arrays.stream(factPositions[i]).min().orElseThrow(), Arrays.stream(logitPositions[i]).min().orElseThrow());
            int f = from[i];
            factShifted[i] = Arrays.stream(factPositions[i]).map(x -> x - f).toArray();
            logitShifted[i] = Arrays.stream(logitPositions[i]).map(x -> x - f).toArray();
        }

        double[] delta = new double[d];
        double[] m1 = new double[d];
        double[] m2 = new double[d];
        float[] vInit = null;
        float[] klInit = null;                       // log P_0 at the KL prompts' fact token [m*V]
        double vInitNormSq = 0;
        List<OptimizationStep> trace = new ArrayList<>();
        requireDifferentiable(model);
        Engine engine = Engine.getInstance();
        boolean grad = JniUtils.isGradMode();
        try (NDScope kept = new NDScope()) {   // holds the resume state for every step
            // the part no step changes, once, without gradients; v_init is the clean value at the injection point
            JniUtils.setGradMode(false);
            ForwardRequest.Builder pre = ForwardRequest.builder(batch).noLogits()
                    .hooks(Hooks.builder().capture(s.injection()).build()).saveResume(s.injection(), true);
            overrides.forEach(pre::override);
            ForwardResult clean = model.forward(pre.build());
            vInit = KeyComputer.rowsAt(model, clean.cache().get(s.injection()), new int[] {factPositions[0][0]})[0];
            vInitNormSq = normSq(vInit);
            if (!(vInitNormSq > 0) || !Double.isFinite(vInitNormSq)) {
                throw new EditException("the value at the fact token has norm %s; nothing to optimise from"
                        .formatted(Math.sqrt(vInitNormSq)));
            }
            ResumeState state = clean.resume().suffix(from);
            clean.close();
            for (int it = 0; it < s.steps(); it++) {
                double nll;
                double kl;
                double prob;
                double[] gradient = null;
                try (NDScope ignored = new NDScope()) {
                    NDArray deltaArray = Tensors.create(model.manager(), toFloats(delta), new Shape(d));   // [D] leaf
                    deltaArray.setRequiresGradient(true);
                    Hooks hooks = Hooks.builder().addAt(s.injection(), factShifted, deltaArray).build();
                    ForwardRequest.Builder req = ForwardRequest.builder(state.batch()).resume(state).hooks(hooks)
                            .logitsAt(logitShifted);
                    overrides.forEach(req::override);
                    try (GradientCollector gc = Autograd.collector(engine)) {
                        ForwardResult r = model.forward(req.build());
                        NDArray logits = r.logits();                                                    // [B,T,V]
                        if (logits.getDataType() != DataType.FLOAT32) {
                            logits = logits.toType(DataType.FLOAT32, false);
                        }
                        NDArray lp = logits.logSoftmax(2);                                              // [B,T,V]
                        NDArray labelArray = Tensors.create(model.manager(), labels, new Shape(b, t, 1));
                        NDArray picked = lp.gather(labelArray, 2).reshape(b, t);                       // [B,T]
                        NDArray nllEach = picked.get("0:" + n).sum(new int[] {1}).neg()
                                .div(Tensors.scalar(picked, t));                                       // [n]
                        NDArray loss = nllEach.mean();
                        NDArray klTerm = null;
                        if (!p.kl().isEmpty()) {
                            NDArray klLp = lp.get(n + ":, 0, :");                                       // [m,V]
                            if (klInit == null) {
                                klInit = klLp.toFloatArray();
                            }
                            NDArray lp0 = Tensors.create(model.manager(), klInit, klLp.getShape());
                            klTerm = klLp.exp().mul(klLp.sub(lp0)).sum()
                                    .mul(Tensors.scalar(klLp, s.klFactor() / p.kl().size()));          // batchmean
                            loss = loss.add(klTerm);
                        }
                        float[] each = nllEach.toFloatArray();
                        nll = 0;
                        prob = 0;
                        for (float e : each) {
                            nll += e / n;
                            prob += Math.exp(-e) / n;
                        }
                        kl = klTerm == null ? 0 : klTerm.getFloat();
                        double dn = Math.sqrt(normSq(delta));
                        double wd = s.weightDecay() * dn / vInitNormSq;
                        double total = nll + kl + wd;
                        OptimizationStep step = new OptimizationStep(it, s.steps(), total, nll, kl, wd, prob, dn);
                        trace.add(step);
                        listener.onStep(step);
                        if (!Double.isFinite(total)) {
                            throw new EditException(("the v* optimisation diverged at step %d: loss %s (nll %s, kl %s, "
                                    + "weight decay %s); lower v_lr or clamp_norm_factor. The model is unchanged")
                                    .formatted(it, total, nll, kl, wd));
                        }
                        if (total < s.earlyStopLoss() || it == s.steps() - 1) {
                            break;
                        }
                        gc.backward(loss);
                        float[] g = deltaArray.getGradient().toFloatArray();
                        gradient = new double[d];
                        for (int i = 0; i < d; i++) {
                            gradient[i] = g[i] + (dn > 0 ? s.weightDecay() * delta[i] / (dn * vInitNormSq) : 0);
                            if (!Double.isFinite(gradient[i])) {
                                throw new EditException("the v* gradient is not finite at step %d; lower v_lr. The model is unchanged"
                                        .formatted(it));
                            }
                        }
                    }
                }
                adamStep(delta, gradient, m1, m2, it + 1, s.lr());
                double maxNorm = s.clampNormFactor() * Math.sqrt(vInitNormSq);
                double dn = Math.sqrt(normSq(delta));
                if (dn > maxNorm) {
                    for (int i = 0; i < d; i++) {
                        delta[i] = delta[i] * maxNorm / dn;
                    }
                }
            }
        } finally {
            JniUtils.setGradMode(grad);
        }
        float[] df = toFloats(delta);
        float[] vStar = new float[d];
        for (int i = 0; i < d; i++) {
            vStar[i] = vInit[i] + df[i];
        }
        return new Result(vInit, df, vStar, List.copyOf(trace));
    }

    /**
     * Checks that gradients can flow through the model's forward pass: it must compute in float32, since the fp16
     * pass casts attention scores and logits to float32 with {@code toType}, which DJL does not differentiate
     * (djl-notes §1), so no gradient would reach δ.
     *
     * @param model the model
     * @throws EditException if it computes in another type, with the remedy
     */
    public static void requireDifferentiable(LanguageModel model) {
        if (model.weights().computeType() != DataType.FLOAT32) {
            throw new EditException(("gradient-based edits need a float32 model, but this one computes in %s; load it "
                    + "in float32 (--dtype fp32) to edit, then save in any dtype").formatted(model.weights().computeType()));
        }
    }

    /** torch.optim.Adam (β1 0.9, β2 0.999, ε 1e-8, no weight decay, no amsgrad), one step. */
    static void adamStep(double[] p, double[] g, double[] m, double[] v, int step, double lr) {
        double b1 = 0.9;
        double b2 = 0.999;
        double bc1 = 1 - Math.pow(b1, step);
        double bc2 = 1 - Math.pow(b2, step);
        double stepSize = lr / bc1;
        double sqrtBc2 = Math.sqrt(bc2);
        for (int i = 0; i < p.length; i++) {
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double denom = Math.sqrt(v[i]) / sqrtBc2 + 1e-8;
            p[i] -= stepSize * m[i] / denom;
        }
    }


    private static double normSq(float[] x) {
        double s = 0;
        for (float f : x) {
            s += (double) f * f;
        }
        return s;
    }

    private static double normSq(double[] x) {
        double s = 0;
        for (double f : x) {
            s += f * f;
        }
        return s;
    }

    private static float[] toFloats(double[] x) {
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }
}
