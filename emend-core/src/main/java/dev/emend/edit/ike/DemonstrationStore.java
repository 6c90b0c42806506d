package dev.emend.edit.ike;

import dev.emend.edit.EditRequest;
import dev.emend.embed.SentenceEmbedder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * IKE's demonstration pool (EasyEdit {@code models/ike/util.py::encode_ike_facts}): for every training request, with
 * {@code p} its filled prompt and {@code t} its new target,
 * <ul>
 *   <li>copy: {@code "New Fact: {p} {t}\nPrompt: {p} {t}\n\n"};</li>
 *   <li>update, if it has a rephrasing {@code p'}: {@code "New Fact: {p} {t}\nPrompt: {p'} {t}\n\n"};</li>
 *   <li>retain, if it has a locality probe {@code (n, a)}: {@code "New Fact: {p} {t}\nPrompt: {n} {a}\n\n"}.</li>
 * </ul>
 * EasyEdit's records carry exactly one rephrasing and one neighbour ({@code rephrase_prompt},
 * {@code locality_prompt}, {@code locality_ground_truth}) and it writes all three sentences for each; here the first
 * rephrasing and the first probe of the first locality key are used, and a request without one gets no such
 * sentence (instead of EasyEdit's {@code "None"} text).
 *
 * <p>Every sentence is embedded once, when the store is built; {@link #search} ranks them by dot product with a
 * query embedding ({@code util.semantic_search(..., score_function=dot_score)} on L2-normalised vectors).
 */
public final class DemonstrationStore {
    /**
     * One retrieved demonstration.
     *
     * @param index its position in {@link #sentences()}
     * @param sentence the demonstration text, ending "\n\n"
     * @param score the dot product with the query
     */
    public record Hit(int index, String sentence, double score) {}

    private final List<String> sentences;
    private final float[][] embeddings; // [N][d], L2-normalised rows

    private DemonstrationStore(List<String> sentences, float[][] embeddings) {
        this.sentences = sentences;
        this.embeddings = embeddings;
    }

    /**
     * Builds the sentences of a training set and embeds them (one {@code embed} call).
     *
     * @param training the training requests (EasyEdit's {@code train_ds}); at least one
     * @param embedder the sentence embedder
     * @return the store
     */
    public static DemonstrationStore build(List<EditRequest> training, SentenceEmbedder embedder) {
        List<String> sentences = sentences(training);
        if (sentences.isEmpty()) {
            throw new IllegalArgumentException("IKE needs training requests to draw demonstrations from; none were given");
        }
        float[][] e = embedder.embed(sentences);
        if (e.length != sentences.size()) {
            throw new IllegalStateException("%s returned %d embeddings for %d sentences".formatted(embedder.name(),
                    e.length, sentences.size()));
        }
        return new DemonstrationStore(Collections.unmodifiableList(sentences), e);
    }

    /**
     * EasyEdit's {@code encode_ike_facts} sentences, in order: per request copy, update, retain.
     *
     * @param training the training requests
     * @return the demonstration sentences
     */
    public static List<String> sentences(List<EditRequest> training) {
        List<String> out = new ArrayList<>();
        for (EditRequest r : training) {
            String fact = newFact(r);
            out.add("New Fact: %s\nPrompt: %s\n\n".formatted(fact, fact));
            if (!r.rephrasePrompts().isEmpty()) {
                out.add("New Fact: %s\nPrompt: %s %s\n\n".formatted(fact, r.rephrasePrompts().get(0), r.targetNew()));
            }
            r.locality().values().stream().filter(l -> !l.isEmpty()).findFirst().map(l -> l.get(0)).ifPresent(n ->
                    out.add("New Fact: %s\nPrompt: %s %s\n\n".formatted(fact, n.prompt(), n.groundTruth())));
        }
        return out;
    }

    /**
     * @param r a request
     * @return EasyEdit's {@code new_fact}: {@code "{p} {t}"}
     */
    public static String newFact(EditRequest r) {
        return r.filledPrompt() + " " + r.targetNew();
    }

    /**
     * @param r a request
     * @return IKE's retrieval query, {@code "New Fact: {p} {t}\nPrompt: {p}\n\n"} (EasyEdit {@code ike_main.py})
     */
    public static String query(EditRequest r) {
        return "New Fact: %s\nPrompt: %s\n\n".formatted(newFact(r), r.filledPrompt());
    }

    /** @return the demonstration sentences, in build order */
    public List<String> sentences() {
        return sentences;
    }

    /**
     * The {@code k} sentences with the largest dot product with the query, most similar first (the order of
     * {@code semantic_search}'s hits, which EasyEdit joins unchanged: the most similar demonstration is the farthest
     * from the query; the IKE paper's code reversed it). Ties go to the earlier sentence.
     *
     * @param query the query embedding [d], L2-normalised
     * @param k how many; fewer if the store is smaller
     * @return the hits, by descending score
     */
    public List<Hit> search(float[] query, int k) {
        Objects.requireNonNull(query, "query");
        List<Hit> all = new ArrayList<>(sentences.size());
        for (int i = 0; i < sentences.size(); i++) {
            float[] e = embeddings[i];
            if (e.length != query.length) {
                throw new IllegalArgumentException("query has %d dimensions, the store %d".formatted(query.length, e.length));
            }
            double dot = 0;
            for (int j = 0; j < e.length; j++) {
                dot += (double) e[j] * query[j];
            }
            all.add(new Hit(i, sentences.get(i), dot));
        }
        all.sort((a, b) -> a.score() != b.score() ? Double.compare(b.score(), a.score()) : Integer.compare(a.index(), b.index()));
        return List.copyOf(all.subList(0, Math.min(k, all.size())));
    }
}
