package dev.emend.edit.ike;

import dev.emend.embed.SentenceEmbedder;
import java.util.List;
import java.util.Locale;

/**
 * TEST DOUBLE, not a sentence model: a deterministic bag-of-words embedding standing in for all-MiniLM-L6-v2 until
 * Emend's DJL embedder is wired in. Each lower-cased word (maximal run of letters or digits) adds 1 to dimension
 * {@code floorMod(word.hashCode(), dimension)}; the vector is L2-normalised, so the dot product is the cosine of the
 * word-count vectors (lexical overlap, no semantics). Numbers measured with it say nothing about MiniLM's retrieval.
 */
final class HashedWordsEmbedder implements SentenceEmbedder {
    private final int dimension;

    /** @param dimension the number of hash buckets */
    HashedWordsEmbedder(int dimension) {
        this.dimension = dimension;
    }

    @Override
    public String name() {
        return "hashed-words-" + dimension + " (test double)";
    }

    @Override
    public int dimension() {
        return dimension;
    }

    @Override
    public float[][] embed(List<String> sentences) {
        float[][] out = new float[sentences.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = embed(sentences.get(i));
        }
        return out;
    }

    private float[] embed(String sentence) {
        double[] v = new double[dimension];
        for (String w : sentence.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (!w.isEmpty()) {
                v[Math.floorMod(w.hashCode(), dimension)] += 1;
            }
        }
        double norm = 0;
        for (double x : v) {
            norm += x * x;
        }
        norm = Math.sqrt(norm);
        float[] out = new float[dimension];
        for (int j = 0; j < dimension; j++) {
            out[j] = norm == 0 ? 0f : (float) (v[j] / norm);
        }
        return out;
    }

    @Override
    public void close() {}
}
