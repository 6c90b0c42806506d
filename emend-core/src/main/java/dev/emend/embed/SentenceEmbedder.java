package dev.emend.embed;

import java.util.List;

/**
 * Maps sentences to unit-length vectors whose dot product ranks semantic similarity (IKE's retrieval of
 * demonstrations). Implementations own their native memory and release it on {@link #close()}.
 */
public interface SentenceEmbedder extends AutoCloseable {
    /** @return the model's name as users know it, e.g. "all-MiniLM-L6-v2" */
    String name();

    /** @return the embedding width, e.g. 384 */
    int dimension();

    /**
     * Embeds sentences.
     *
     * @param sentences the texts, each embedded alone (no cross-sentence padding effects)
     * @return [sentences.size()][dimension()] rows, each L2-normalised
     */
    float[][] embed(List<String> sentences);

    @Override
    void close();
}
