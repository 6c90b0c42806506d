package dev.emend.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.emend.tokenizer.SpecialTokens;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Autoregressive generation with a KV cache: the prompts (left-padded into one batch) are run once, then one token
 * per step. Greedy picks the first most likely token, as {@code torch.argmax}; sampling applies temperature, top-k
 * and top-p in HF's order and draws with a seeded {@link Random}, so a seed reproduces a continuation exactly.
 *
 * <p>Text prompts go through the model's {@link LanguageModel#promptContext() prompt context}, so a model with an
 * applied in-context edit (IKE, ICE) answers with that edit in effect; token-id prompts are used as given.
 */
public final class Generator {
    private final LanguageModel model;

    /** @param model the model to generate with */
    public Generator(LanguageModel model) {
        this.model = model;
    }

    /**
     * Generates a continuation of a text prompt (wrapped by the prompt context, then encoded with special tokens, as
     * HF's tokenizer call does).
     *
     * @param prompt the prompt
     * @param config decoding settings
     * @return the continuation
     */
    public GenerationResult generate(String prompt, GenerationConfig config) {
        return generate(List.of(prompt), config).get(0);
    }

    /**
     * Generates continuations of several prompts in one batch.
     *
     * @param prompts the prompts, each wrapped by the model's prompt context
     * @param config decoding settings
     * @return one continuation per prompt
     */
    public List<GenerationResult> generate(List<String> prompts, GenerationConfig config) {
        Tokenizer tok = model.tokenizer();
        List<int[]> ids = new ArrayList<>();
        for (String p : prompts) {
            ids.add(tok.encode(model.promptContext().wrap(p), true));
        }
        return generateIds(ids, config);
    }

    /**
     * Generates continuations of tokenised prompts.
     *
     * @param prompts token ids per prompt, each non-empty
     * @param config decoding settings
     * @return one continuation per prompt
     */
    public List<GenerationResult> generateIds(List<int[]> prompts, GenerationConfig config) {
        int b = prompts.size();
        SpecialTokens specials = model.tokenizer().specials();
        int pad = specials.padOrFallback();
        int max = config.maxNewTokens();
        int[][] out = new int[b][max];
        int[] produced = new int[b];
        GenerationResult.StopReason[] reason = new GenerationResult.StopReason[b];
        String[] texts = new String[b];
        Random random = new Random(config.seed());
        TokenBatch batch = TokenBatch.of(prompts, TokenBatch.Side.LEFT, pad);
        try (KvCache cache = new KvCache(model.config().numLayers(), b)) {
            for (int step = 0; step < max; step++) {
                float[][] logits = lastLogits(batch, cache);
                List<int[]> next = new ArrayList<>();
                for (int i = 0; i < b; i++) {
                    if (reason[i] != null) {
                        next.add(new int[] {pad});
                        continue;
                    }
                    int token = config.isGreedy() ? argmax(logits[i]) : sample(logits[i], config, random);
                    out[i][produced[i]++] = token;
                    next.add(new int[] {token});
                    if (config.stopAtEos() && specials.isEos(token)) {
                        reason[i] = GenerationResult.StopReason.EOS;
                    } else if (!config.stopStrings().isEmpty()) {
                        String text = model.tokenizer().decode(Arrays.copyOf(out[i], produced[i]), true);
                        int cut = firstStop(text, config.stopStrings());
                        if (cut >= 0) {
                            texts[i] = text.substring(0, cut);
                            reason[i] = GenerationResult.StopReason.STOP_STRING;
                        }
                    }
                }
                if (Arrays.stream(reason).allMatch(r -> r != null)) {
                    break;
                }
                batch = TokenBatch.of(next, TokenBatch.Side.RIGHT, pad);
            }
        }
        List<GenerationResult> results = new ArrayList<>();
        for (int i = 0; i < b; i++) {
            int[] ids = Arrays.copyOf(out[i], produced[i]);
            String text = texts[i] != null ? texts[i] : model.tokenizer().decode(ids, true);
            results.add(new GenerationResult(prompts.get(i).clone(), ids, text,
                    reason[i] == null ? GenerationResult.StopReason.LENGTH : reason[i]));
        }
        return results;
    }

    private float[][] lastLogits(TokenBatch batch, KvCache cache) {
        try (NDScope ignored = new NDScope()) {
            ForwardResult r = model.forward(ForwardRequest.builder(batch).lastLogits().cache(cache).build());
            NDArray logits = r.logits();                                                // [B,1,V]
            int v = (int) logits.getShape().get(2);
            float[] flat = logits.toFloatArray();
            float[][] rows = new float[batch.batchSize()][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
            }
            return rows;
        }
    }

    private static int firstStop(String text, List<String> stops) {
        int best = -1;
        for (String s : stops) {
            int i = text.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) {
                best = i;
            }
        }
        return best;
    }

    /** First index of the maximum, as torch.argmax. */
    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    /** Temperature, then top-k (ties with the k-th value kept), then top-p (at least one token kept), then a draw. */
    static int sample(float[] logits, GenerationConfig c, Random random) {
        int v = logits.length;
        double[] scaled = new double[v];
        for (int i = 0; i < v; i++) {
            scaled[i] = logits[i] / c.temperature();
        }
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Double.compare(scaled[y], scaled[x]));      // descending
        int keep = v;
        if (c.topK() > 0 && c.topK() < v) {
            double kth = scaled[order[c.topK() - 1]];
            keep = c.topK();
            while (keep < v && scaled[order[keep]] >= kth) {
                keep++;
            }
        }
        double maxLogit = scaled[order[0]];
        double[] probs = new double[keep];
        double sum = 0;
        for (int r = 0; r < keep; r++) {
            probs[r] = Math.exp(scaled[order[r]] - maxLogit);
            sum += probs[r];
        }
        if (c.topP() < 1) {
            // HF TopPLogitsWarper removes tokens whose ascending cumulative probability is <= 1 - p
            double tail = 0;
            int cut = keep;
            for (int r = keep - 1; r > 0; r--) {
                tail += probs[r] / sum;
                if (tail <= 1 - c.topP()) {
                    cut = r;
                } else {
                    break;
                }
            }
            keep = cut;
            sum = 0;
            for (int r = 0; r < keep; r++) {
                sum += probs[r];
            }
        }
        double u = random.nextDouble() * sum;
        for (int r = 0; r < keep; r++) {
            u -= probs[r];
            if (u < 0) {
                return order[r];
            }
        }
        return order[keep - 1];
    }
}
