package dev.emend.edit.locate;

import dev.emend.EditException;
import dev.emend.tokenizer.Tokenizer;

/**
 * Tokenises a target object the way it follows a prompt (algorithms §0.4). Byte-level BPE (GPT-2) marks word starts
 * with a leading space, so " Paris" is used; SentencePiece and whitespace-split vocabularies (Llama, WordLevel) take
 * the word as is, without a BOS or a lone space token. The choice is made from the tokenizer's behaviour on this very
 * target, not from a model name: with a leading space, does the first token carry both the space and text?
 */
public final class TargetTokens {
    private TargetTokens() {}

    /**
     * @param tok the tokenizer
     * @param target the target text, with or without a leading space
     * @return its tokens, non-empty
     * @throws EditException if the target yields no tokens
     */
    public static int[] encode(Tokenizer tok, String target) {
        String word = target.stripLeading();
        if (word.isEmpty()) {
            throw new EditException("target_new '%s' is blank".formatted(target));
        }
        int[] spaced = tok.encode(" " + word, false);
        int[] ids = spaced;
        if (spaced.length > 0) {
            String first = tok.decode(new int[] {spaced[0]}, false);
            boolean spaceAndText = first.startsWith(" ") && !first.isBlank();
            if (!spaceAndText) {
                ids = tok.encode(word, false);
            }
        }
        int bos = tok.specials().bos();
        int unk = tok.specials().unk();
        int from = 0;
        while (from < ids.length && (ids[from] == bos || (ids[from] == unk && ids.length - from > 1))) {
            from++;
        }
        ids = java.util.Arrays.copyOfRange(ids, from, ids.length);
        if (ids.length == 0) {
            throw new EditException("target_new '%s' has no tokens".formatted(target));
        }
        return ids;
    }
}
