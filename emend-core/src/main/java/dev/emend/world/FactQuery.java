package dev.emend.world;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.emend.model.ForwardRequest;
import dev.emend.model.GenerationConfig;
import dev.emend.model.Generator;
import dev.emend.model.LanguageModel;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/** Asks a model one factual prompt: its greedy answer and the most probable next tokens. */
public final class FactQuery {
    private FactQuery() {}

    /**
     * A next-token candidate.
     *
     * @param token the token's text
     * @param probability its softmax probability after the prompt
     */
    public record Candidate(String token, double probability) {}

    /**
     * What the model answered.
     *
     * @param prompt the prompt
     * @param expected the true object (may be null when unknown)
     * @param answer the greedy continuation up to the end of the sentence
     * @param top the most probable first tokens, best first
     * @param expectedProbability probability of the expected object's first token (NaN when unknown)
     */
    public record Answer(String prompt, String expected, String answer, List<Candidate> top,
            double expectedProbability) {
        /** @return whether the greedy answer starts with the expected object */
        public boolean correct() {
            return expected != null && answer.strip().startsWith(expected);
        }
    }

    /**
     * Asks one prompt.
     *
     * @param model the model
     * @param prompt e.g. "The capital of France is"
     * @param expected the true object, or null
     * @param k how many candidates to list
     * @return the answer
     */
    public static Answer ask(LanguageModel model, String prompt, String expected, int k) {
        Tokenizer tok = model.tokenizer();
        int[] ids = tok.encode(prompt, true);
        List<Candidate> top = new ArrayList<>();
        double expectedP = Double.NaN;
        try (NDScope ignored = new NDScope()) {
            NDArray logits = model.forward(ForwardRequest.builder(TokenBatch.single(ids)).lastLogits().build())
                    .logits();                                                                   // [1,1,V]
            float[] p = logits.reshape(-1).softmax(0).toFloatArray();                            // [V]
            boolean[] taken = new boolean[p.length];
            for (int i = 0; i < Math.min(k, p.length); i++) {
                int best = -1;
                for (int v = 0; v < p.length; v++) {
                    if (!taken[v] && (best < 0 || p[v] > p[best])) {
                        best = v;
                    }
                }
                taken[best] = true;
                top.add(new Candidate(tok.decode(new int[] {best}, false), p[best]));
            }
            if (expected != null) {
                expectedP = p[WorldEvaluator.firstObjectToken(tok, prompt, expected)];
            }
        }
        // the stop strings end the answer at the end of its sentence (the text is cut before them)
        String answer = new Generator(model).generate(prompt, GenerationConfig.greedy(6)
                .withStopStrings(List.of(".", "?"))).text();
        return new Answer(prompt, expected, answer.strip(), top, expectedP);
    }
}
