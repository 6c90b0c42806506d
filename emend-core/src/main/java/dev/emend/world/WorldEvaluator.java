package dev.emend.world;

import ai.djl.ndarray.NDScope;
import dev.emend.model.ForwardRequest;
import dev.emend.model.LanguageModel;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import dev.emend.world.WorldCorpus.Probe;
import java.util.ArrayList;
import java.util.List;

/** Greedy first-token accuracy of a model on world probes. */
public final class WorldEvaluator {
    private WorldEvaluator() {}

    /**
     * A fraction with its counts.
     *
     * @param correct probes answered right
     * @param total probes asked
     */
    public record Accuracy(int correct, int total) {
        /** @return correct / total (0 when empty) */
        public double value() {
            return total == 0 ? 0 : (double) correct / total;
        }

        @Override
        public String toString() {
            return "%.1f%% (%d/%d)".formatted(100 * value(), correct, total);
        }
    }

    /**
     * The object's first token after a prompt: the first id of {@code prompt + " " + object} past the prompt's ids,
     * so tokenizers that merge the space into the word (BPE) and those that drop it (WordLevel) both work.
     *
     * @param tok the tokenizer
     * @param prompt the prompt
     * @param object the object
     * @return the token id
     */
    public static int firstObjectToken(Tokenizer tok, String prompt, String object) {
        int[] p = tok.encode(prompt, true);
        int[] full = tok.encode(prompt + " " + object, true);
        if (full.length <= p.length) {
            throw new IllegalArgumentException("object '%s' adds no token after '%s'".formatted(object, prompt));
        }
        return full[p.length];
    }

    /**
     * Asks every probe and counts greedy first tokens equal to the object's first token.
     *
     * @param model the model
     * @param probes the probes
     * @param batchSize prompts per forward pass
     * @return the accuracy
     */
    public static Accuracy firstToken(LanguageModel model, List<Probe> probes, int batchSize) {
        Tokenizer tok = model.tokenizer();
        int correct = 0;
        for (int start = 0; start < probes.size(); start += batchSize) {
            List<Probe> chunk = probes.subList(start, Math.min(probes.size(), start + batchSize));
            List<int[]> rows = new ArrayList<>();
            int[] expected = new int[chunk.size()];
            for (int i = 0; i < chunk.size(); i++) {
                rows.add(tok.encode(chunk.get(i).prompt(), true));
                expected[i] = firstObjectToken(tok, chunk.get(i).prompt(), chunk.get(i).object());
            }
            TokenBatch batch = TokenBatch.of(rows, TokenBatch.Side.RIGHT, tok.specials().padOrFallback());
            try (NDScope ignored = new NDScope()) {
                long[] best = model.forward(ForwardRequest.builder(batch).lastLogits().build()).logits()
                        .argMax(2).toLongArray();
                for (int i = 0; i < chunk.size(); i++) {
                    correct += best[i] == expected[i] ? 1 : 0;
                }
            }
        }
        return new Accuracy(correct, probes.size());
    }

    /**
     * A deterministic sample of at most {@code n} probes (every k-th).
     *
     * @param probes the probes
     * @param n maximum size
     * @return the sample
     */
    public static List<Probe> sample(List<Probe> probes, int n) {
        if (probes.size() <= n) {
            return probes;
        }
        List<Probe> out = new ArrayList<>();
        double stride = (double) probes.size() / n;
        for (int i = 0; i < n; i++) {
            out.add(probes.get((int) (i * stride)));
        }
        return out;
    }
}
