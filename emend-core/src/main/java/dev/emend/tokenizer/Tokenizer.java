package dev.emend.tokenizer;

import java.util.ArrayList;
import java.util.List;

/** Text to token ids and back, with the model's special tokens and chat template. */
public interface Tokenizer extends AutoCloseable {
    /**
     * Encodes text.
     *
     * @param text the text
     * @param addSpecialTokens whether the tokenizer's post-processor adds BOS/EOS (HF's default is true)
     * @return token ids
     */
    int[] encode(String text, boolean addSpecialTokens);

    /**
     * Decodes ids.
     *
     * @param ids token ids
     * @param skipSpecialTokens drop special tokens from the text
     * @return the text
     */
    String decode(int[] ids, boolean skipSpecialTokens);

    /**
     * Character spans of each token in {@code text} (Java string indices), for locating a subject.
     *
     * @param text the text
     * @param addSpecialTokens as in {@link #encode}
     * @return per token {start, end}; special tokens get {-1, -1}
     */
    int[][] spans(String text, boolean addSpecialTokens);

    /** @return the number of ids (largest id + 1) */
    int vocabSize();

    /** @param id a token id @return the token's string in the vocabulary, or null */
    String token(int id);

    /** @param token a token string @return its id, or -1 */
    int id(String token);

    /** @return the special tokens */
    SpecialTokens specials();

    /** @return the chat template, or null if the tokenizer has none */
    ChatTemplate chatTemplate();

    /**
     * Encodes texts into a padded batch.
     *
     * @param texts one text per row
     * @param side where padding goes
     * @param addSpecialTokens as in {@link #encode}
     * @return the batch
     */
    default TokenBatch batch(List<String> texts, TokenBatch.Side side, boolean addSpecialTokens) {
        List<int[]> rows = new ArrayList<>();
        for (String t : texts) {
            rows.add(encode(t, addSpecialTokens));
        }
        return TokenBatch.of(rows, side, specials().padOrFallback());
    }

    /** Frees native resources. */
    @Override
    void close();
}
