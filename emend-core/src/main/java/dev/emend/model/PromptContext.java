package dev.emend.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * The standing prompt context of one {@link LanguageModel}: text that in-context edits (IKE, ICE) put before every
 * prompt the model is asked about. It belongs to the model object (no global state) and holds the parts of the
 * active in-context patches, in the order they were applied. With no part active, {@link #wrap} returns the prompt
 * unchanged, so an unedited model sees the bare prompt.
 *
 * <p>Every part has three pieces, and {@link #wrap} lays them out as
 * <pre>examples(1) … examples(n) + fact(1) … fact(n) + queryLead(n) + prompt</pre>
 * all demonstrations first, then every fact statement in application order, then the query lead of the most recently
 * applied part. One IKE part gives EasyEdit's input exactly ({@code ''.join(icl_examples) + "New Fact: {p} {t}\n" +
 * "Prompt: " + q}); one ICE part gives RippleEdits' {@code "Imagine that {fact}\n" + q}; several IKE edits read as
 * several "New Fact" lines before one "Prompt:", instead of a "Prompt:" followed by the next edit's demonstrations.
 *
 * <p>Only {@code dev.emend.edit.PromptPatch} adds and removes parts; the owner object identifies a patch's parts.
 * Not thread-safe, like the weights: one writer at a time.
 */
public final class PromptContext {
    /**
     * One edit's share of the context.
     *
     * @param examples demonstrations shown before all facts (IKE's retrieved examples, each ending "\n\n"); may be
     *     empty
     * @param fact the statement of the edit, ending with a line break, e.g. {@code "New Fact: X is Y\n"}
     * @param queryLead what introduces the prompt, e.g. {@code "Prompt: "}; may be empty
     */
    public record Part(String examples, String fact, String queryLead) {
        /** Requires non-null pieces. */
        public Part {
            Objects.requireNonNull(examples, "examples");
            Objects.requireNonNull(fact, "fact");
            Objects.requireNonNull(queryLead, "queryLead");
        }

        /** @return the whole text this part alone puts before a prompt */
        public String prefix() {
            return examples + fact + queryLead;
        }
    }

    private record Entry(Object owner, Part part) {}

    private final List<Entry> entries = new ArrayList<>();

    /**
     * Puts a prompt in the context.
     *
     * @param prompt a user prompt, e.g. "Bouvmere is a city in"
     * @return the model input: the prompt itself when no part is active
     */
    public String wrap(String prompt) {
        if (entries.isEmpty()) {
            return prompt;
        }
        StringBuilder s = new StringBuilder();
        entries.forEach(e -> s.append(e.part().examples()));
        entries.forEach(e -> s.append(e.part().fact()));
        s.append(entries.get(entries.size() - 1).part().queryLead());
        return s.append(prompt).toString();
    }

    /** @return true if no in-context edit is active */
    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** @return the active parts, in application order */
    public List<Part> parts() {
        return Collections.unmodifiableList(entries.stream().map(Entry::part).toList());
    }

    /**
     * Appends parts owned by a patch.
     *
     * @param owner the patch; must not own parts already
     * @param parts its parts, in order
     * @throws IllegalStateException if {@code owner} already has parts here
     */
    public void add(Object owner, List<Part> parts) {
        if (contains(owner)) {
            throw new IllegalStateException("this patch is already in the prompt context; revert it before applying again");
        }
        parts.forEach(p -> entries.add(new Entry(owner, Objects.requireNonNull(p))));
    }

    /**
     * Removes a patch's parts; the others keep their order.
     *
     * @param owner the patch
     * @return true if it had parts here
     */
    public boolean remove(Object owner) {
        return entries.removeIf(e -> e.owner() == owner);
    }

    /**
     * @param owner a patch
     * @return true if it has parts here
     */
    public boolean contains(Object owner) {
        return entries.stream().anyMatch(e -> e.owner() == owner);
    }
}
