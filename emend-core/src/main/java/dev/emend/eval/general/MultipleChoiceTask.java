package dev.emend.eval.general;

import dev.emend.edit.locate.TargetTokens;
import dev.emend.model.LanguageModel;
import dev.emend.model.Scorer;
import dev.emend.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Zero-shot multiple choice by option log-likelihood, lm-eval-harness's {@code acc} and {@code acc_norm}.
 *
 * <p>Each option is scored teacher-forced after the prompt ({@link Scorer}): the prompt is the template filled with
 * the question and encoded with special tokens; the option follows as its own tokens ({@link TargetTokens}: " option"
 * for byte-level BPE, the bare words for SentencePiece and word-level vocabularies), so the scored text is
 * {@code "Question: {question}\nAnswer:" + " {option}"} by default, lm-eval's cloze form for PIQA
 * ({@code "Question: {goal}\nAnswer:"}) and used here for CommonsenseQA too (lm-eval's own CommonsenseQA task lists
 * the lettered choices in the prompt instead). Unlike lm-eval, prompt and option are encoded separately rather than
 * encoded together and split, which can differ where BPE would merge across the boundary (not after ":" + " ").
 *
 * <ul>
 *   <li>{@code acc}: the option with the highest sum of token log-probabilities is the answer (first on ties);
 *   <li>{@code acc_norm}: the same with each sum divided by the option's length in characters, counting its leading
 *       space (lm-eval divides by {@code len(" " + option)}).
 * </ul>
 * A prompt longer than the context minus the option is cut from the left, as lm-eval does. All (question, option)
 * pairs are scored in batches of {@code batchSize} rows.
 *
 * @param name the task's name in reports
 * @param items the questions
 * @param template the prompt, with {@code {question}} where the question goes
 * @param batchSize rows per forward pass
 */
public record MultipleChoiceTask(String name, List<MultipleChoice> items, String template, int batchSize) implements ProbeTask {
    /** lm-eval-harness's cloze prompt for PIQA, used for every multiple-choice file by default. */
    public static final String DEFAULT_TEMPLATE = "Question: {question}\nAnswer:";

    /** Validates the template and batch size. */
    public MultipleChoiceTask {
        Objects.requireNonNull(name, "name");
        items = List.copyOf(items);
        Prompts.check(template, "question");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
    }

    /**
     * @param name the task's name
     * @param items the questions
     * @return the task with the default template and 16 rows per batch
     */
    public static MultipleChoiceTask of(String name, List<MultipleChoice> items) {
        return new MultipleChoiceTask(name, items, DEFAULT_TEMPLATE, 16);
    }

    /** @param t a template with {@code {question}} @return a copy using it */
    public MultipleChoiceTask withTemplate(String t) {
        return new MultipleChoiceTask(name, items, t, batchSize);
    }

    @Override
    public TaskScores run(LanguageModel model, int limit) {
        long start = System.nanoTime();
        List<MultipleChoice> use = Prompts.first(items, limit);
        List<Scorer.TargetScore> scores = new Scorer(model, batchSize).score(requests(model, use));
        int row = 0;
        int hits = 0;
        int hitsNorm = 0;
        for (MultipleChoice q : use) {
            int best = -1;
            int bestNorm = -1;
            double max = Double.NEGATIVE_INFINITY;
            double maxNorm = Double.NEGATIVE_INFINITY;
            for (int o = 0; o < q.options().size(); o++) {
                double ll = scores.get(row++).total();
                double norm = ll / (q.options().get(o).length() + 1);
                if (ll > max) {
                    max = ll;
                    best = o;
                }
                if (norm > maxNorm) {
                    maxNorm = norm;
                    bestNorm = o;
                }
            }
            hits += best == q.answer() ? 1 : 0;
            hitsNorm += bestNorm == q.answer() ? 1 : 0;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("acc", use.isEmpty() ? Double.NaN : (double) hits / use.size());
        m.put("acc_norm", use.isEmpty() ? Double.NaN : (double) hitsNorm / use.size());
        return new TaskScores(name, use.size(), m, (System.nanoTime() - start) / 1e9);
    }

    /**
     * One scoring row per option: the filled template, put in the model's prompt context (so an applied in-context
     * edit is seen, as by the evaluator and the generator), encoded with special tokens and cut from the left to fit;
     * the option as its own tokens.
     */
    List<Scorer.Request> requests(LanguageModel model, List<MultipleChoice> use) {
        Tokenizer tok = model.tokenizer();
        int context = model.config().maxPositions();
        List<Scorer.Request> requests = new ArrayList<>();
        for (MultipleChoice q : use) {
            int[] prompt = Prompts.encode(model, Prompts.fill(template, "question", q.question()));
            for (String option : q.options()) {
                int[] ids = TargetTokens.encode(tok, option);
                String what = "question %s, option '%s' (%d tokens)".formatted(q.id(), option, ids.length);
                requests.add(new Scorer.Request(Prompts.keepLast(prompt, context - ids.length, what), ids));
            }
        }
        return requests;
    }
}
