package dev.emend.tokenizer;

import java.util.Arrays;

/**
 * Special token ids of a tokenizer, from {@code tokenizer_config.json} and {@code generation_config.json}.
 *
 * @param bos beginning-of-sequence id, or -1
 * @param eos end-of-sequence ids that stop generation (may be several), possibly empty
 * @param pad padding id, or -1
 * @param unk unknown-token id, or -1
 * @param bosToken BOS text, or null
 * @param eosToken EOS text, or null
 */
public record SpecialTokens(int bos, int[] eos, int pad, int unk, String bosToken, String eosToken) {
    /** Copies the eos array. */
    public SpecialTokens {
        eos = eos.clone();
    }

    /** @return the eos ids (a copy) */
    @Override
    public int[] eos() {
        return eos.clone();
    }

    /** @param id a token id @return true if it ends generation */
    public boolean isEos(int id) {
        for (int e : eos) {
            if (e == id) {
                return true;
            }
        }
        return false;
    }

    /** @return the id to write into padded slots: pad, else the first eos, else 0 */
    public int padOrFallback() {
        if (pad >= 0) {
            return pad;
        }
        return eos.length > 0 ? eos[0] : 0;
    }

    @Override
    public String toString() {
        return "SpecialTokens[bos=%d, eos=%s, pad=%d, unk=%d]".formatted(bos, Arrays.toString(eos), pad, unk);
    }
}
