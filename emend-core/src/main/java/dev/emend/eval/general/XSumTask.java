package dev.emend.eval.general;

import dev.emend.EmendException;
import dev.emend.eval.metrics.Rouge;
import dev.emend.model.GenerationConfig;
import dev.emend.model.GenerationResult;
import dev.emend.model.Generator;
import dev.emend.model.LanguageModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Summarisation, XSum style: greedy decoding after {@code "{document}\nTL;DR:"} (GPT-2's zero-shot summarisation
 * prompt), at most 64 new tokens, stopped at a line end; the summary is the stripped text before the stop.
 * {@code rouge1}, {@code rouge2} and {@code rougeL} are the means over documents of the F-measures of {@link Rouge}
 * (rouge-score's default tokenizer, no stemming).
 *
 * <p>A document too long for the context (which must also hold the template and the new tokens) is cut at a word
 * boundary to its longest prefix that fits, found by bisection over whole-prompt encodings, so the template's tail
 * ("TL;DR:") is always kept. Prompts are generated in left-padded batches of {@code batchSize}.
 *
 * @param name the task's name in reports
 * @param items the documents
 * @param template the prompt, with {@code {document}}
 * @param generation decoding settings
 * @param batchSize prompts per batch
 */
public record XSumTask(String name, List<Document> items, String template, GenerationConfig generation, int batchSize)
        implements ProbeTask {
    /** GPT-2's zero-shot summarisation prompt. */
    public static final String DEFAULT_TEMPLATE = "{document}\nTL;DR:";

    private static final Pattern WORD_END = Pattern.compile("\\S(?=\\s|$)");

    /** Validates the template and batch size. */
    public XSumTask {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(generation, "generation");
        items = List.copyOf(items);
        Prompts.check(template, "document");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
    }

    /** @return greedy, 64 new tokens, stop at a line end or EOS */
    public static GenerationConfig defaultGeneration() {
        return GenerationConfig.greedy(64).withStopStrings(List.of("\n"));
    }

    /**
     * @param name the task's name
     * @param items the documents
     * @return the task with the default template and decoding, 4 prompts per batch
     */
    public static XSumTask of(String name, List<Document> items) {
        return new XSumTask(name, items, DEFAULT_TEMPLATE, defaultGeneration(), 4);
    }

    /** @param t a template with {@code {document}} @return a copy using it */
    public XSumTask withTemplate(String t) {
        return new XSumTask(name, items, t, generation, batchSize);
    }

    /** @param g decoding settings @return a copy using them */
    public XSumTask withGeneration(GenerationConfig g) {
        return new XSumTask(name, items, template, g, batchSize);
    }

    @Override
    public TaskScores run(LanguageModel model, int limit) {
        long start = System.nanoTime();
        List<Document> use = Prompts.first(items, limit);
        int budget = model.config().maxPositions() - generation.maxNewTokens();
        Generator generator = new Generator(model);
        double r1 = 0;
        double r2 = 0;
        double rl = 0;
        for (int from = 0; from < use.size(); from += batchSize) {
            List<Document> batch = use.subList(from, Math.min(use.size(), from + batchSize));
            List<int[]> prompts = new ArrayList<>();
            for (Document d : batch) {
                prompts.add(fit(model, d, budget));
            }
            List<GenerationResult> out = generator.generateIds(prompts, generation);
            for (int i = 0; i < batch.size(); i++) {
                List<String> ref = Rouge.tokenize(batch.get(i).summary());
                List<String> pred = Rouge.tokenize(out.get(i).text().strip());
                r1 += Rouge.rougeN(ref, pred, 1).fmeasure();
                r2 += Rouge.rougeN(ref, pred, 2).fmeasure();
                rl += Rouge.rougeL(ref, pred).fmeasure();
            }
        }
        Map<String, Double> m = new LinkedHashMap<>();
        int n = use.size();
        m.put("rouge1", n == 0 ? Double.NaN : r1 / n);
        m.put("rouge2", n == 0 ? Double.NaN : r2 / n);
        m.put("rougeL", n == 0 ? Double.NaN : rl / n);
        return new TaskScores(name, n, m, (System.nanoTime() - start) / 1e9);
    }

    /**
     * The prompt's ids (in the model's prompt context) with the document cut to the longest word prefix whose whole
     * prompt fits {@code budget}.
     */
    int[] fit(LanguageModel model, Document d, int budget) {
        int[] full = Prompts.encode(model, Prompts.fill(template, "document", d.document()));
        if (full.length <= budget) {
            return full;
        }
        List<Integer> ends = new ArrayList<>();                 // end offsets of each word of the document
        Matcher m = WORD_END.matcher(d.document());
        while (m.find()) {
            ends.add(m.end());
        }
        int lo = 0;                                             // words known to fit (0: an empty document)
        int hi = ends.size();                                   // words known not to fit
        int[] best = Prompts.encode(model, Prompts.fill(template, "document", ""));
        if (best.length > budget) {
            throw new EmendException(("document %s: the prompt template alone takes %d tokens; the context has room for %d "
                    + "besides the %d new tokens").formatted(d.id(), best.length, budget, generation.maxNewTokens()));
        }
        while (hi - lo > 1) {
            int mid = (lo + hi) >>> 1;
            int[] ids = Prompts.encode(model, Prompts.fill(template, "document", d.document().substring(0, ends.get(mid - 1))));
            if (ids.length <= budget) {
                lo = mid;
                best = ids;
            } else {
                hi = mid;
            }
        }
        return best;
    }
}
