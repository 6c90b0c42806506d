package dev.emend.eval.general;

import dev.emend.eval.metrics.AnswerMatch;
import dev.emend.model.GenerationConfig;
import dev.emend.model.GenerationResult;
import dev.emend.model.Generator;
import dev.emend.model.LanguageModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Open-question answering, TriviaQA style: greedy decoding after {@code "Question: {question}\nAnswer:"}, at most 16
 * new tokens, stopped at a line end, "." or "," (lm-eval-harness's {@code triviaqa} stops at the same strings); the
 * answer is the stripped text before the stop.
 *
 * <ul>
 *   <li>{@code exact_match}: 1 if the answer equals any accepted answer after SQuAD normalisation
 *       ({@link AnswerMatch#normalize}: lower case, no punctuation, no articles, single spaces);
 *   <li>{@code f1}: the best SQuAD token F1 over the accepted answers.
 * </ul>
 * Stopping at "." cuts answers such as "D.C." short, as in lm-eval; pass another {@link GenerationConfig} to change it.
 * Prompts are generated in left-padded batches of {@code batchSize}; a prompt longer than the context minus the new
 * tokens is cut from the left.
 *
 * @param name the task's name in reports
 * @param items the questions
 * @param template the prompt, with {@code {question}}
 * @param generation decoding settings (greedy by default)
 * @param batchSize prompts per batch
 */
public record TriviaQaTask(String name, List<OpenQuestion> items, String template, GenerationConfig generation, int batchSize)
        implements ProbeTask {
    /** The prompt lm-eval-harness uses for TriviaQA, without its "?" (the questions carry their own). */
    public static final String DEFAULT_TEMPLATE = "Question: {question}\nAnswer:";

    /** Validates the template and batch size. */
    public TriviaQaTask {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(generation, "generation");
        items = List.copyOf(items);
        Prompts.check(template, "question");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
    }

    /** @return greedy, 16 new tokens, stop at "\n", "." and "," or EOS */
    public static GenerationConfig defaultGeneration() {
        return GenerationConfig.greedy(16).withStopStrings(List.of("\n", ".", ","));
    }

    /**
     * @param name the task's name
     * @param items the questions
     * @return the task with the default template and decoding, 8 prompts per batch
     */
    public static TriviaQaTask of(String name, List<OpenQuestion> items) {
        return new TriviaQaTask(name, items, DEFAULT_TEMPLATE, defaultGeneration(), 8);
    }

    /** @param t a template with {@code {question}} @return a copy using it */
    public TriviaQaTask withTemplate(String t) {
        return new TriviaQaTask(name, items, t, generation, batchSize);
    }

    @Override
    public TaskScores run(LanguageModel model, int limit) {
        long start = System.nanoTime();
        List<OpenQuestion> use = Prompts.first(items, limit);
        int budget = model.config().maxPositions() - generation.maxNewTokens();
        Generator generator = new Generator(model);
        double em = 0;
        double f1 = 0;
        for (int from = 0; from < use.size(); from += batchSize) {
            List<OpenQuestion> batch = use.subList(from, Math.min(use.size(), from + batchSize));
            List<int[]> prompts = new ArrayList<>();
            for (OpenQuestion q : batch) {
                int[] ids = Prompts.encode(model, Prompts.fill(template, "question", q.question()));
                prompts.add(Prompts.keepLast(ids, budget, "question " + q.id()));
            }
            List<GenerationResult> out = generator.generateIds(prompts, generation);
            for (int i = 0; i < batch.size(); i++) {
                String answer = out.get(i).text().strip();
                double bestEm = 0;
                double bestF1 = 0;
                for (String ref : batch.get(i).answers()) {
                    bestEm = Math.max(bestEm, AnswerMatch.exactMatch(answer, ref));
                    bestF1 = Math.max(bestF1, AnswerMatch.f1(answer, ref));
                }
                em += bestEm;
                f1 += bestF1;
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("exact_match", use.isEmpty() ? Double.NaN : em / use.size());
        m.put("f1", use.isEmpty() ? Double.NaN : f1 / use.size());
        return new TaskScores(name, use.size(), m, (System.nanoTime() - start) / 1e9);
    }
}
