package dev.emend.eval.general;

import dev.emend.EmendException;
import java.util.Arrays;

/** Prompt templates with one {@code {slot}} and the left truncation shared by the tasks. */
final class Prompts {
    private Prompts() {}

    /**
     * @param template the template
     * @param slot the slot name, without braces
     * @return the template, checked to contain {@code {slot}}
     */
    static String check(String template, String slot) {
        if (!template.contains("{" + slot + "}")) {
            throw new IllegalArgumentException("prompt template '%s' has no {%s}".formatted(template, slot));
        }
        return template;
    }

    static String fill(String template, String slot, String value) {
        return template.replace("{" + slot + "}", value);
    }

    /**
     * Keeps the last {@code budget} tokens, as lm-eval-harness truncates contexts from the left.
     *
     * @param ids prompt tokens
     * @param budget tokens allowed
     * @param what the item, for the error
     * @return the ids, or their tail
     */
    static int[] keepLast(int[] ids, int budget, String what) {
        if (budget < 1) {
            throw new EmendException("%s does not fit the model's context: no room left for the prompt".formatted(what));
        }
        return ids.length <= budget ? ids : Arrays.copyOfRange(ids, ids.length - budget, ids.length);
    }

    /**
     * The model input for a filled prompt: put in the model's prompt context (so an applied in-context edit, IKE or
     * ICE, is seen, as by the evaluator and the generator), encoded with special tokens.
     */
    static int[] encode(dev.emend.model.LanguageModel model, String text) {
        return model.tokenizer().encode(model.promptContext().wrap(text), true);
    }

    static <T> java.util.List<T> first(java.util.List<T> items, int limit) {
        return limit > 0 && limit < items.size() ? items.subList(0, limit) : items;
    }
}
