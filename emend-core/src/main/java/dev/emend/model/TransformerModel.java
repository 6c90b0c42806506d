package dev.emend.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import dev.emend.model.ModelLayout.Attention;
import dev.emend.model.ModelLayout.Block;
import dev.emend.model.ModelLayout.Linear;
import dev.emend.model.ModelLayout.Mlp;
import dev.emend.model.ModelLayout.Norm;
import dev.emend.tensor.Scopes;
import dev.emend.tensor.Tensors;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The forward pass of every supported family, written once over a {@link ModelConfig} and a {@link ModelLayout}.
 * Legend: B batch, T new tokens, K keys (past + new), D width, H heads, G query heads per key head, hd head width,
 * F MLP width, V vocabulary.
 *
 * <pre>
 *   x = embed(ids) (+ wpe(pos))                                   hook_embed
 *   for each block:                                               blocks.L.hook_resid_pre
 *     SEQUENTIAL            x += attn(ln1 x);  x += mlp(ln2 x)
 *     PARALLEL_SHARED_NORM  h = ln1 x;  x += attn(h) + mlp(h)
 *     PARALLEL              x += attn(ln1 x) + mlp(ln2 x)          blocks.L.hook_resid_post
 *   logits = head(norm x)                                         ln_final.hook_normalized
 * </pre>
 *
 * Activation-first operand order is deliberate: DJL attaches an op's result to its first operand's manager, and the
 * weight manager is capped, so {@code W.op(x)} would fail loudly instead of leaking.
 */
public final class TransformerModel implements LanguageModel {
    private final Path source;
    private final Architecture architecture;
    private final ModelConfig config;
    private final ModelLayout layout;
    private final Tokenizer tokenizer;
    private final WeightStore weights;
    private final NDManager activations;
    private final RotaryEmbedding rotary;
    private final PromptContext promptContext = new PromptContext();

    /**
     * Assembles a model from loaded parts; use {@link ModelLoader} to load one.
     *
     * @param source where it was loaded from
     * @param architecture the family's view of the checkpoint
     * @param tokenizer the tokenizer
     * @param weights loaded, sealed parameters
     * @param activations the manager for activations (a sub-manager of the model's root)
     */
    public TransformerModel(Path source, Architecture architecture, Tokenizer tokenizer, WeightStore weights,
            NDManager activations) {
        this.source = source;
        this.architecture = architecture;
        this.config = architecture.config();
        this.layout = architecture.layout();
        this.tokenizer = tokenizer;
        this.weights = weights;
        this.activations = activations;
        this.rotary = config.rotary() == null ? null : new RotaryEmbedding(config.rotary(), config.maxPositions());
    }

    @Override
    public ModelConfig config() {
        return config;
    }

    @Override
    public Architecture architecture() {
        return architecture;
    }

    @Override
    public Tokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public WeightStore weights() {
        return weights;
    }

    @Override
    public PromptContext promptContext() {
        return promptContext;
    }

    @Override
    public Path source() {
        return source;
    }

    @Override
    public NDManager manager() {
        return activations;
    }

    /** Thrown at the hook point a request stops after; carries nothing, costs no stack trace. */
    private static final class Stop extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Stop() {
            super(null, null, false, false);
        }
    }

    /** Per-call state: weights with overrides, masks, rotary tables, hooks, captures and the resume state. */
    private final class Pass {
        final ForwardRequest request;
        final Hooks hooks;
        final Map<HookPoint, NDArray> captured = new LinkedHashMap<>();
        final KvCache cache;
        final ResumeState resume;         // where this pass starts, or null
        final HookPoint savePoint;        // where this pass keeps a resume state, or null
        final List<NDArray> kept = new ArrayList<>();
        NDArray savedActivation;
        NDArray savedResidual;
        NDArray savedAttention;
        NDArray[] laterKeys;
        NDArray[] laterValues;
        NDArray bias;   // [B,1,T,K] additive attention mask, float32
        NDArray cos;    // [B,1,T,rd]
        NDArray sin;    // [B,1,T,rd]

        Pass(ForwardRequest request) {
            this.request = request;
            this.hooks = request.hooks();
            this.cache = request.cache();
            this.resume = request.resume();
            this.savePoint = request.saveResume();
            if (savePoint != null && request.saveLaterKeys()) {
                laterKeys = new NDArray[config.numLayers()];
                laterValues = new NDArray[config.numLayers()];
            }
        }

        NDArray w(String name) {
            NDArray o = request.overrides().get(name);
            return o != null ? o : weights.get(name);
        }

        /**
         * Keeps the resume state if asked to resume at {@code point}, then edits, captures, and maybe stops there.
         *
         * @param residual what {@code x} joins later in the block (see {@link ResumeState}), or null
         * @param attention the attention output a parallel block's MLP output joins, or null
         */
        NDArray at(HookPoint point, NDArray x, NDArray residual, NDArray attention) {
            if (point.equals(savePoint)) {
                savedActivation = keep(x);
                savedResidual = keep(residual);
                savedAttention = keep(attention);
            }
            return at(point, x);
        }

        /** An alias of x (a new handle on the same storage) that outlives the block's scope; null for null. */
        NDArray keep(NDArray x) {
            if (x == null) {
                return null;
            }
            NDArray a = alias(x);
            NDScope.unregister(a);
            kept.add(a);
            return a;
        }

        /** Keeps this layer's keys and values [B,KVH,T,hd] if a suffix of the resume state will attend to them. */
        void keepKeys(int layer, NDArray k, NDArray v) {
            if (laterKeys != null && ResumeState.attentionRunsAfter(savePoint, layer)) {
                laterKeys[layer] = keep(k);
                laterValues[layer] = keep(v);
            }
        }

        /** The state kept by this pass, or null. */
        ResumeState savedState() {
            if (savedActivation == null) {
                return null;
            }
            return new ResumeState(savePoint, request.batch(), savedActivation, savedResidual, savedAttention, null, null,
                    null, laterKeys, laterValues);
        }

        /** Edits, captures, and maybe stops at a hook point. */
        NDArray at(HookPoint point, NDArray x) {
            if (hooks.isEmpty() || !hooks.touches(point)) {
                return x;
            }
            NDArray y = hooks.applyEdits(point, x);
            if (hooks.captures().contains(point)) {
                NDScope.unregister(y); // survives the block's scope; handed to the caller's scope at the end
                captured.put(point, y);
            }
            if (point.equals(hooks.stopAfter())) {
                throw new Stop();
            }
            return y;
        }
    }

    @Override
    public ForwardResult forward(ForwardRequest request) {
        checkRequest(request);
        Pass pass = new Pass(request);
        NDArray logits;
        try (NDScope scope = new NDScope()) {
            try {
                logits = run(pass);
            } catch (Stop stop) {
                logits = null;
            } catch (RuntimeException e) {   // the kept aliases left every scope: free them
                pass.kept.forEach(NDArray::close);
                throw e;
            }
            // hand the results to the caller's scope: take them out of this one before it closes
            Scopes.release(logits);
            pass.captured.values().forEach(NDScope::unregister);
            pass.kept.forEach(NDScope::unregister);
        }
        Scopes.adopt(logits);
        pass.captured.values().forEach(NDScope::register);
        pass.kept.forEach(NDScope::register);
        if (pass.savePoint != null && pass.savedActivation == null) {
            throw new IllegalStateException(("the pass never reached %s, so no resume state was kept; it stopped before "
                    + "the point or resumed after it").formatted(pass.savePoint));
        }
        return new ForwardResult(logits, new ActivationCache(pass.captured), pass.savedState());
    }

    private void checkRequest(ForwardRequest r) {
        TokenBatch b = r.batch();
        KvCache c = r.cache();
        if (c != null && c.batchSize() != b.batchSize()) {
            throw new IllegalArgumentException("cache batch %d differs from request batch %d".formatted(c.batchSize(),
                    b.batchSize()));
        }
        int total = b.length() + (c == null ? 0 : c.length());
        ResumeState rs = r.resume();
        if (rs != null && rs.hasPast()) {   // masked past slots take no position
            long[] pm = rs.pastMask();
            int p = rs.pastLength();
            total = 0;
            for (int i = 0; i < b.batchSize(); i++) {
                int real = 0;
                for (int j = 0; j < p; j++) {
                    real += (int) pm[i * p + j];
                }
                total = Math.max(total, real + b.length());
            }
        }
        if (rotary == null && total > config.maxPositions()) {
            throw new IllegalArgumentException("%d tokens exceed the model's %d learned positions; shorten the input"
                    .formatted(total, config.maxPositions()));
        }
        long[] ids = b.ids();
        for (long id : ids) {
            if (id < 0 || id >= config.vocabSize()) {
                throw new IllegalArgumentException("token id %d is outside the vocabulary [0, %d)".formatted(id,
                        config.vocabSize()));
            }
        }
        for (String name : r.overrides().keySet()) {
            NDArray stored = weights.get(name);
            NDArray o = r.overrides().get(name);
            if (!o.getShape().equals(stored.getShape())) {
                throw new IllegalArgumentException("override of %s has shape %s, expected %s".formatted(name,
                        o.getShape(), stored.getShape()));
            }
        }
    }

    private NDArray run(Pass p) {
        TokenBatch batch = p.request.batch();
        int b = batch.batchSize();
        int t = batch.length();
        ResumeState rs = p.resume;
        boolean resumedPast = rs != null && rs.hasPast();
        int past = p.cache != null ? p.cache.length() : resumedPast ? rs.pastLength() : 0;
        int k = past + t;

        long[] pastMask = p.cache != null ? p.cache.mask() : resumedPast ? rs.pastMask() : new long[0];
        long[] fullMask = concatMask(pastMask, past, batch.mask(), t, b);
        long[] positions = positions(fullMask, b, k, past, t);
        NDArray ids = Tensors.create(activations, batch.ids(), new Shape(b, t));                         // [B,T]
        NDArray pos = Tensors.create(activations, positions, new Shape(b, t));                           // [B,T]
        p.bias = Tensors.create(activations, attentionBias(fullMask, b, t, k, past), new Shape(b, 1, t, k)); // [B,1,T,K]
        if (rotary != null) {
            NDArray[] cs = rotary.cosSin(activations, pos, maxOf(positions) + 1);
            p.cos = cs[0];
            p.sin = cs[1];
        }
        if (p.cache != null) {
            p.cache.extend(fullMask, k);
        }

        // a resumed pass starts at its state's point: nothing before it is computed
        HookPoint.Site start = rs == null ? HookPoint.Site.EMBED : rs.point().site();
        NDArray x = null;
        if (start == HookPoint.Site.EMBED) {
            if (rs == null) {
                x = Embedding.embedding(ids, p.w(layout.tokenEmbedding()), SparseFormat.DENSE).singletonOrThrow();
                if (layout.positionEmbedding() != null) {
                    x = x.add(Embedding.embedding(pos, p.w(layout.positionEmbedding()), SparseFormat.DENSE).singletonOrThrow());
                }
            } else {
                x = alias(rs.activation());
            }
            x = p.at(HookPoint.embed(), x, null, null);                                             // [B,T,D]
        }

        int first = start == HookPoint.Site.EMBED ? 0 : start == HookPoint.Site.FINAL_NORM ? config.numLayers() : rs.point().layer();
        for (int l = first; l < config.numLayers(); l++) {
            ResumeState from = l == first && start.perLayer() ? rs : null;
            NDArray out;
            try (NDScope blockScope = new NDScope()) { // frees the block's temporaries (attention scores first)
                out = block(p, l, x, from);
                NDScope.unregister(out);
            }
            NDScope.register(out);
            x = out;                                                                             // [B,T,D]
        }

        NDArray normed = start == HookPoint.Site.FINAL_NORM ? alias(rs.activation()) : norm(p, layout.finalNorm(), x);
        NDArray h = p.at(HookPoint.finalNorm(), normed, null, null);                             // [B,T,D]
        return switch (p.request.logits()) {
            case NONE -> null;
            case ALL -> head(p, h);                                                               // [B,T,V]
            case LAST -> head(p, gatherRows(h, lastPositions(batch)));                           // [B,1,V]
            case AT -> head(p, gatherRows(h, p.request.positions()));                            // [B,P,V]
        };
    }

    /**
     * One block, from its input {@code x}, or from a resume state inside it ({@code from}, whose point is in this
     * block). The three residual layouts each run their stages in forward order; a stage before the resume point
     * is taken from the state instead of computed.
     */
    private NDArray block(Pass p, int l, NDArray x, ResumeState from) {
        Block blk = layout.blocks().get(l);
        HookPoint.Site start = from == null ? HookPoint.Site.RESID_PRE : from.point().site();
        if (start == HookPoint.Site.RESID_POST) {
            return p.at(HookPoint.residPost(l), alias(from.activation()), null, null);
        }
        NDArray act = from == null ? null : alias(from.activation());        // the resumed activation
        if (start == HookPoint.Site.RESID_PRE) {
            x = p.at(HookPoint.residPre(l), from == null ? x : act, null, null);
        } else {
            x = alias(from.residual());    // the block input, or (sequential, after attention) the residual after it
        }
        boolean afterAttention = start == HookPoint.Site.MLP_POST || start == HookPoint.Site.MLP_OUT;
        switch (config.residual()) {
            case SEQUENTIAL -> {
                if (!afterAttention) {
                    NDArray rawA = start == HookPoint.Site.ATTN_OUT ? act : attention(p, l, blk.attention(), norm(p, blk.ln1(), x));
                    NDArray a = p.at(HookPoint.attnOut(l), rawA, x, null);
                    x = x.add(a);
                }
                NDArray h = afterAttention ? null : norm(p, blk.ln2(), x);
                NDArray m = p.at(HookPoint.mlpOut(l), mlp(p, l, blk.mlp(), start, act, h, x, null), x, null);
                x = x.add(m);
            }
            case PARALLEL_SHARED_NORM -> {
                NDArray h = afterAttention ? null : norm(p, blk.ln1(), x);
                NDArray a = afterAttention ? alias(from.attention())
                        : p.at(HookPoint.attnOut(l), start == HookPoint.Site.ATTN_OUT ? act : attention(p, l, blk.attention(), h), x, null);
                NDArray m = p.at(HookPoint.mlpOut(l), mlp(p, l, blk.mlp(), start, act, h, x, a), x, a);
                x = a.add(m).add(x);
            }
            case PARALLEL -> {
                NDArray a = afterAttention ? alias(from.attention())
                        : p.at(HookPoint.attnOut(l), start == HookPoint.Site.ATTN_OUT ? act
                                : attention(p, l, blk.attention(), norm(p, blk.ln1(), x)), x, null);
                NDArray h = afterAttention ? null : norm(p, blk.ln2(), x);
                NDArray m = p.at(HookPoint.mlpOut(l), mlp(p, l, blk.mlp(), start, act, h, x, a), x, a);
                x = m.add(a).add(x);
            }
        }
        return p.at(HookPoint.residPost(l), x, null, null);
    }

    /**
     * Causal self-attention with grouped keys, rotary positions and an optional cache.
     *
     * @param h [B,T,D] normalised input
     * @return [B,T,D] output projection, before the residual add
     */
    private NDArray attention(Pass p, int layer, Attention w, NDArray h) {
        Shape s = h.getShape();
        long b = s.get(0);
        long t = s.get(1);
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int hd = config.headDim();
        NDArray q;
        NDArray k;
        NDArray v;
        switch (w.layout()) {
            case SEPARATE -> {
                q = linear(p, w.q(), h);                                                         // [B,T,H*hd]
                k = linear(p, w.k(), h);                                                         // [B,T,KVH*hd]
                v = linear(p, w.v(), h);
            }
            case FUSED -> {
                NDList qkv = linear(p, w.qkv(), h).split(3, 2);                                  // 3 x [B,T,D]
                q = qkv.get(0);
                k = qkv.get(1);
                v = qkv.get(2);
            }
            case FUSED_PER_HEAD -> {
                NDList qkv = linear(p, w.qkv(), h).reshape(b, t, heads, 3L * hd).split(3, 3);    // 3 x [B,T,H,hd]
                q = qkv.get(0);
                k = qkv.get(1);
                v = qkv.get(2);
            }
            default -> throw new IllegalStateException();
        }
        q = q.reshape(b, t, heads, hd).transpose(0, 2, 1, 3);                                    // [B,H,T,hd]
        k = k.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);                                  // [B,KVH,T,hd]
        v = v.reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3);                                  // [B,KVH,T,hd]
        if (rotary != null) {
            q = rotary.apply(q, p.cos, p.sin);
            k = rotary.apply(k, p.cos, p.sin);
        }
        p.keepKeys(layer, k, v);
        if (p.cache != null) {
            NDArray pastK = p.cache.keys(layer);
            if (pastK != null) {
                k = pastK.concat(k, 2);                                                          // [B,KVH,K,hd]
                v = p.cache.values(layer).concat(v, 2);
            }
            NDScope.unregister(k, v);
            p.cache.put(layer, k, v);
        } else if (p.resume != null && p.resume.pastKeys(layer) != null) {   // a resumed suffix: read-only past
            k = p.resume.pastKeys(layer).concat(k, 2);                                           // [B,KVH,P+T,hd]
            v = p.resume.pastValues(layer).concat(v, 2);
        }
        long keys = k.getShape().get(2);
        int g = config.groupSize();
        double scale = config.attentionScale() / (config.scaleAttnByInverseLayer() ? layer + 1 : 1);
        NDArray q5 = q.reshape(b, kvHeads, g, t, hd);                                            // [B,KVH,G,T,hd]
        NDArray k5 = k.expandDims(2);                                                            // [B,KVH,1,K,hd]
        NDArray v5 = v.expandDims(2);                                                            // [B,KVH,1,K,hd]
        NDArray scores = q5.matMul(k5.transpose(0, 1, 2, 4, 3));                                 // [B,KVH,G,T,K]
        if (scores.getDataType() != DataType.FLOAT32) {
            scores = scores.toType(DataType.FLOAT32, false); // softmax in float32, as HF does for fp16
        }
        scores = scores.mul(Tensors.scalar(scores, scale)).reshape(b, heads, t, keys).add(p.bias);               // [B,H,T,K]
        NDArray probs = scores.softmax(-1).toType(v.getDataType(), false).reshape(b, kvHeads, g, t, keys);
        NDArray ctx = probs.matMul(v5).reshape(b, heads, t, hd)                                  // [B,H,T,hd]
                .transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hd);                         // [B,T,H*hd]
        return linear(p, w.out(), ctx);                                                          // [B,T,D]
    }

    /**
     * The MLP. Plain: {@code down(act(up h))}; gated: {@code down(act(gate h) ⊙ up h)}. The input of {@code down}
     * is the key k (hook {@code mlp.hook_post}). A block that resumes inside the MLP starts from the key
     * ({@code start} MLP_POST, {@code act} = k) or has its output given ({@code start} MLP_OUT: {@code act} is
     * returned as is, for the caller's hook).
     *
     * @param h [B,T,D] the MLP input (unused when resuming at or after the key)
     * @param residual the stream the output joins, kept with a resume state at the key
     * @param attention a parallel block's attention output, kept likewise
     * @return [B,T,D], before the {@code hook_mlp_out} hooks
     */
    private NDArray mlp(Pass p, int layer, Mlp w, HookPoint.Site start, NDArray act, NDArray h, NDArray residual,
            NDArray attention) {
        if (start == HookPoint.Site.MLP_OUT) {
            return act;
        }
        NDArray key;
        if (start == HookPoint.Site.MLP_POST) {
            key = act;
        } else {
            key = w.gate() == null
                    ? config.activation().apply(linear(p, w.up(), h))                            // [B,T,F]
                    : config.activation().apply(linear(p, w.gate(), h)).mul(linear(p, w.up(), h)); // [B,T,F]
        }
        key = p.at(HookPoint.mlpPost(layer), key, residual, attention);
        return linear(p, w.down(), key);                                                         // [B,T,D]
    }

    private NDArray linear(Pass p, Linear l, NDArray x) {
        NDArray w = p.w(l.weight().name());
        NDArray bias = l.bias() == null ? null : p.w(l.bias());
        NDArray y;
        if (l.weight().orientation() == Orientation.IN_OUT) {
            y = x.matMul(w);
            y = bias == null ? y : y.add(bias);
        } else {
            y = ai.djl.nn.core.Linear.linear(x, w, bias).singletonOrThrow();
        }
        ForwardRequest.LowRank d = p.request.lowRank().get(l.weight().name());
        if (d != null) {
            // x·(W + L·R)ᵀ = x·Wᵀ + (x·Rᵀ)·Lᵀ in math orientation; a Conv1D's stored Wᵀ gives the same sum
            y = y.add(x.matMul(d.right().transpose()).matMul(d.left().transpose()));             // [..,r] -> [..,out]
        }
        return y;
    }

    private NDArray norm(Pass p, Norm n, NDArray x) {
        NDArray gamma = p.w(n.weight());
        if (config.norm() == ModelConfig.NormKind.RMS_NORM) {
            // HF LlamaRMSNorm: in float32, x * rsqrt(mean(x^2) + eps), cast back, times weight
            NDArray x32 = x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false);
            NDArray rms = x32.square().mean(new int[] {-1}, true).add(Tensors.scalar(x32, config.normEps())).sqrt();
            NDArray normed = x32.div(rms);                                                       // [B,T,D]
            if (normed.getDataType() != x.getDataType()) {
                normed = normed.toType(x.getDataType(), false);
            }
            return normed.mul(gamma);
        }
        NDArray beta = n.bias() == null ? gamma.zerosLike() : p.w(n.bias());
        return LayerNorm.layerNorm(x, new Shape(n.size()), gamma, beta, (float) config.normEps()).singletonOrThrow();
    }

    private NDArray head(Pass p, NDArray h) {
        NDArray logits = linear(p, layout.lmHead(), h);
        return logits.getDataType() == DataType.FLOAT32 ? logits : logits.toType(DataType.FLOAT32, false);
    }

    /** Rows of h at positions[b] for each b: [B,P,D]. */
    private NDArray gatherRows(NDArray h, int[][] positions) {
        Shape s = h.getShape();
        long b = s.get(0);
        long t = s.get(1);
        int per = positions[0].length;
        long[] flat = new long[(int) b * per];
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < per; j++) {
                flat[i * per + j] = i * t + positions[i][j];
            }
        }
        NDArray idx = Tensors.create(activations, flat, new Shape(flat.length));
        return h.reshape(b * t, s.get(2)).get(idx).reshape(b, per, s.get(2));
    }

    private static int[][] lastPositions(TokenBatch batch) {
        int[][] out = new int[batch.batchSize()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = new int[] {batch.lastIndex(i)};
        }
        return out;
    }

    private static long[] concatMask(long[] past, int pastLen, long[] now, int t, int b) {
        int k = pastLen + t;
        long[] out = new long[b * k];
        for (int i = 0; i < b; i++) {
            System.arraycopy(past, i * pastLen, out, i * k, pastLen);
            System.arraycopy(now, i * t, out, i * k + pastLen, t);
        }
        return out;
    }

    /** Position ids of the new tokens: the number of real tokens before each slot (HF generate's cumsum - 1). */
    private static long[] positions(long[] mask, int b, int k, int past, int t) {
        long[] out = new long[b * t];
        for (int i = 0; i < b; i++) {
            long count = 0;
            for (int j = 0; j < k; j++) {
                count += mask[i * k + j];
                if (j >= past) {
                    out[i * t + j - past] = Math.max(count - 1, 0);
                }
            }
        }
        return out;
    }

    private static int maxOf(long[] values) {
        long m = 0;
        for (long v : values) {
            m = Math.max(m, v);
        }
        return (int) m;
    }

    /**
     * Additive mask [B,1,T,K]: 0 where query i may see key j (real, causal, in window), float32 min elsewhere. The
     * window counts positions, not slots: a resumed suffix leaves masked slots between its past and its tokens.
     */
    private float[] attentionBias(long[] mask, int b, int t, int k, int past) {
        float[] bias = new float[b * t * k];
        int window = config.slidingWindow();
        int[] position = new int[k];
        for (int i = 0; i < b; i++) {
            int count = 0;
            for (int j = 0; j < k; j++) {
                count += (int) mask[i * k + j];
                position[j] = count - 1;
            }
            for (int q = 0; q < t; q++) {
                int qi = past + q;
                int row = (i * t + q) * k;
                for (int j = 0; j < k; j++) {
                    boolean visible = mask[i * k + j] != 0 && j <= qi && (window <= 0 || position[qi] - position[j] < window);
                    bias[row + j] = visible ? 0f : -Float.MAX_VALUE;
                }
            }
        }
        return bias;
    }

    /** A new handle on x's storage, so that scopes closing one never free the other. */
    private static NDArray alias(NDArray x) {
        return x.reshape(x.getShape());
    }

    /** @return block count, for callers iterating layers */
    public int numLayers() {
        return config.numLayers();
    }

    /** @return the layout's block list (read-only) */
    List<Block> blocks() {
        return new ArrayList<>(layout.blocks());
    }

    @Override
    public void close() {
        tokenizer.close();
        weights.close();
    }
}
