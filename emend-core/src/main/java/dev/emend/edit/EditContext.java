package dev.emend.edit;

import dev.emend.embed.SentenceEmbedder;
import dev.emend.stats.TextCorpus;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What an editor needs besides the model and its params, passed explicitly (no hidden caches): where layer
 * statistics are cached, the local corpora they are computed from (by the params' {@code mom2_dataset} name), the
 * seed for context templates, fixed context templates if the caller wants them, a progress listener, and for IKE the
 * training requests its demonstrations come from (EasyEdit's {@code train_ds}) with the sentence embedder that ranks
 * them. The context does not own the embedder: whoever builds the context closes it.
 */
public final class EditContext {
    private final Path statsDir;
    private final Map<String, TextCorpus> corpora;
    private final long seed;
    private final List<String> contextTemplates;
    private final EditListener listener;
    private final List<EditRequest> trainingRequests;
    private final SentenceEmbedder embedder;

    private EditContext(Builder b) {
        this.statsDir = b.statsDir;
        this.corpora = Collections.unmodifiableMap(new LinkedHashMap<>(b.corpora));
        this.seed = b.seed;
        this.contextTemplates = b.contextTemplates == null ? null : List.copyOf(b.contextTemplates);
        this.listener = b.listener;
        this.trainingRequests = List.copyOf(b.trainingRequests);
        this.embedder = b.embedder;
    }

    /** @return a context with defaults: seed 42 (EasyEdit's), no corpora, no listener, stats_dir from the params */
    public static EditContext defaults() {
        return builder().build();
    }

    /** @return a builder */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the statistics cache folder, if set (otherwise editors use the params' {@code stats_dir}) */
    public Optional<Path> statsDir() {
        return Optional.ofNullable(statsDir);
    }

    /**
     * @param name a {@code mom2_dataset} name
     * @return the corpus registered under it, or the only corpus if exactly one is registered
     */
    public Optional<TextCorpus> corpus(String name) {
        TextCorpus c = corpora.get(name);
        if (c == null && corpora.size() == 1) {
            c = corpora.values().iterator().next();
        }
        return Optional.ofNullable(c);
    }

    /** @return the registered corpus names */
    public java.util.Set<String> corpusNames() {
        return corpora.keySet();
    }

    /** @return the sampling seed for context templates */
    public long seed() {
        return seed;
    }

    /** @return fixed context templates (first "{}"), if the caller supplied them instead of generated ones */
    public Optional<List<String>> contextTemplates() {
        return Optional.ofNullable(contextTemplates);
    }

    /** @return the listener */
    public EditListener listener() {
        return listener;
    }

    /** @return the requests IKE builds its demonstrations from (EasyEdit's {@code train_ds}); may be empty */
    public List<EditRequest> trainingRequests() {
        return trainingRequests;
    }

    /** @return the sentence embedder IKE retrieves demonstrations with, if the caller supplied one */
    public Optional<SentenceEmbedder> embedder() {
        return Optional.ofNullable(embedder);
    }

    /** Builds an {@link EditContext}; {@code optX} setters are optional. */
    public static final class Builder {
        private Path statsDir;
        private final Map<String, TextCorpus> corpora = new LinkedHashMap<>();
        private long seed = 42;
        private List<String> contextTemplates;
        private EditListener listener = EditListener.NONE;
        private List<EditRequest> trainingRequests = List.of();
        private SentenceEmbedder embedder;

        private Builder() {}

        /** @param dir the statistics cache folder @return this builder */
        public Builder optStatsDir(Path dir) {
            this.statsDir = dir;
            return this;
        }

        /**
         * Registers a corpus for layer statistics.
         *
         * @param name the {@code mom2_dataset} name it answers to
         * @param corpus the documents
         * @return this builder
         */
        public Builder optCorpus(String name, TextCorpus corpus) {
            corpora.put(Objects.requireNonNull(name), Objects.requireNonNull(corpus));
            return this;
        }

        /** @param seed context-template sampling seed @return this builder */
        public Builder optSeed(long seed) {
            this.seed = seed;
            return this;
        }

        /** @param templates fixed templates, the first being "{}" @return this builder */
        public Builder optContextTemplates(List<String> templates) {
            this.contextTemplates = templates;
            return this;
        }

        /** @param listener progress receiver @return this builder */
        public Builder optListener(EditListener listener) {
            this.listener = Objects.requireNonNull(listener);
            return this;
        }

        /**
         * @param requests the training set IKE draws demonstrations from (e.g. {@code --train FILE}); must not contain
         *     the evaluated cases
         * @return this builder
         */
        public Builder optTrainingRequests(List<EditRequest> requests) {
            this.trainingRequests = List.copyOf(requests);
            return this;
        }

        /** @param embedder ranks IKE's demonstrations (not closed by the context) @return this builder */
        public Builder optEmbedder(SentenceEmbedder embedder) {
            this.embedder = Objects.requireNonNull(embedder);
            return this;
        }

        /** @return the context */
        public EditContext build() {
            return new EditContext(this);
        }
    }
}
