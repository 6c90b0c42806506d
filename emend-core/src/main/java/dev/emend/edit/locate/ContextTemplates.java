package dev.emend.edit.locate;

import dev.emend.model.GenerationConfig;
import dev.emend.model.GenerationResult;
import dev.emend.model.Generator;
import dev.emend.model.LanguageModel;
import dev.emend.tokenizer.Tokenizer;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;

/**
 * Left contexts that vary what precedes a prompt, so that keys and the v* loss are not tied to the start of the
 * sequence (algorithms §1.3). The first template is always the bare {@code "{}"}; the others are short texts the
 * unedited model generates itself, followed by {@code ". {}"}.
 *
 * <p>Generation follows EasyEdit's ROME ({@code get_context_templates} + {@code generate_fast}): for each
 * {@code [length, n]} of {@code context_template_length_params}, {@code n/5} samples from each of "The", "Therefore",
 * "Because", "I", "You" with top-5 sampling, to {@code length} tokens in all (prompt tokens included, as the
 * tokenizer produces them); decoded without special tokens, NFKD-normalised, {@code "\n\n"} → space, braces removed.
 * Sampling is seeded, so a seed reproduces the templates exactly.
 */
public final class ContextTemplates {
    /** The start words EasyEdit samples from. */
    public static final List<String> STARTS = List.of("The", "Therefore", "Because", "I", "You");

    private final List<String> templates;
    private final List<Integer> groups;

    private ContextTemplates(List<String> templates, List<Integer> groups) {
        this.templates = List.copyOf(templates);
        this.groups = List.copyOf(groups);
    }

    /**
     * Uses given templates (e.g. in parity tests).
     *
     * @param templates the first must be "{}", each must contain exactly one {}
     * @return the templates: two groups, the bare prompt and the others
     */
    public static ContextTemplates fixed(List<String> templates) {
        if (templates.isEmpty() || !templates.get(0).equals("{}")) {
            throw new IllegalArgumentException("the first context template must be \"{}\" (the bare prompt), got " + templates);
        }
        for (String t : templates) {
            int at = t.indexOf("{}");
            if (at < 0 || t.indexOf("{}", at + 2) >= 0) {
                throw new IllegalArgumentException("context template '%s' must contain exactly one {}".formatted(t));
            }
        }
        return new ContextTemplates(templates, templates.size() == 1 ? List.of(1) : List.of(1, templates.size() - 1));
    }

    /**
     * Generates templates with the model.
     *
     * @param model the unedited model
     * @param lengthParams {@code [[length, n], ...]}, e.g. {@code [[5,10],[10,10]]}
     * @param seed sampling seed
     * @return "{}" followed by the generated templates
     */
    public static ContextTemplates generate(LanguageModel model, List<List<Integer>> lengthParams, long seed) {
        Tokenizer tok = model.tokenizer();
        List<String> out = new ArrayList<>();
        List<Integer> groups = new ArrayList<>();
        out.add("{}");
        groups.add(1);
        long s = seed;
        for (List<Integer> lp : lengthParams) {
            int length = lp.get(0);
            int perStart = lp.get(1) / STARTS.size();
            if (perStart == 0) {
                continue;
            }
            groups.add(perStart * STARTS.size());
            for (String start : STARTS) {
                int[] ids = tok.encode(start, true);
                List<int[]> prompts = new ArrayList<>();
                for (int i = 0; i < perStart; i++) {
                    prompts.add(ids);
                }
                // `length` counts the prompt's own tokens, as generate_fast's max_out_len does
                int newTokens = Math.max(1, length - ids.length);
                GenerationConfig cfg = new GenerationConfig(newTokens, 1.0, 5, 1.0, s++, List.of(), false);
                for (GenerationResult r : new Generator(model).generateIds(prompts, cfg)) {
                    int[] all = new int[r.promptIds().length + r.newIds().length];
                    System.arraycopy(r.promptIds(), 0, all, 0, r.promptIds().length);
                    System.arraycopy(r.newIds(), 0, all, r.promptIds().length, r.newIds().length);
                    out.add(clean(tok.decode(all, true)) + ". {}");
                }
            }
        }
        return new ContextTemplates(out, groups);
    }

    private static String clean(String text) {
        return Normalizer.normalize(text, Normalizer.Form.NFKD).replace("\n\n", " ").replace("<|endoftext|>", "")
                .replace("{", "").replace("}", "");
    }

    /** @return the templates, the first being "{}" */
    public List<String> templates() {
        return templates;
    }

    /**
     * @return the sizes of the template groups in order: 1 for the bare prompt, then one per
     *     {@code [length, n]} entry; MEMIT averages keys within each group, then over the groups
     */
    public List<Integer> groups() {
        return groups;
    }

    /** @return how many */
    public int size() {
        return templates.size();
    }

    /**
     * Puts a request template into every context ({@code context.format(prompt)} in the reference code).
     *
     * @param requestTemplate e.g. "{} is a city in"
     * @return e.g. ["{} is a city in", "The weather. {} is a city in", ...], each with one {} for the subject
     */
    public List<String> around(String requestTemplate) {
        List<String> out = new ArrayList<>();
        for (String t : templates) {
            int at = t.indexOf("{}");
            out.add(t.substring(0, at) + requestTemplate + t.substring(at + 2));
        }
        return out;
    }

    @Override
    public String toString() {
        return templates.toString();
    }
}
