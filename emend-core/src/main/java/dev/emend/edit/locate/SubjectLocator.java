package dev.emend.edit.locate;

import dev.emend.EditException;
import dev.emend.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * Finds the subject's tokens in a prompt by cumulative tokenisation (EasyEdit {@code repr_tools.py}, robust to BOS
 * and SentencePiece): {@code n_pre = |enc(prefix)|}, {@code n_ps = |enc(prefix + subject)|}; the subject occupies
 * tokens {@code [n_pre, n_ps)} of {@code enc(prefix + subject + suffix)}. As in the original ROME code, whitespace
 * at the end of the prefix is moved into the subject (" France"), so that byte-level BPE gives the subject its
 * leading-space token. Prompts are encoded with the tokenizer's special tokens, as every forward pass here is.
 */
public final class SubjectLocator {
    private SubjectLocator() {}

    /**
     * A tokenised prompt and its fact token.
     *
     * @param ids the prompt's tokens
     * @param index the fact token's position
     * @param subjectStart first subject token
     * @param subjectEnd one past the last subject token
     */
    public record Located(int[] ids, int index, int subjectStart, int subjectEnd) {
        /**
         * @param suffix tokens to append (e.g. a target prefix)
         * @return the same location in {@code ids + suffix}
         */
        public Located append(int[] suffix) {
            int[] all = Arrays.copyOf(ids, ids.length + suffix.length);
            System.arraycopy(suffix, 0, all, ids.length, suffix.length);
            return new Located(all, index, subjectStart, subjectEnd);
        }
    }

    /**
     * Locates the fact token.
     *
     * @param tok the tokenizer
     * @param template a prompt with one {@code {}} where the subject goes
     * @param subject the subject
     * @param how which token to return
     * @return the tokens of the filled prompt and the index
     * @throws EditException if the subject yields no tokens, contains unknown tokens, or its tokens do not survive
     *     in the full prompt (they merge with the text around them)
     */
    public static Located locate(Tokenizer tok, String template, String subject, FactToken how) {
        int at = template.indexOf("{}");
        if (at < 0 || template.indexOf("{}", at + 2) >= 0) {
            throw new IllegalArgumentException("template '%s' must contain exactly one {}".formatted(template));
        }
        String prefix = template.substring(0, at);
        String suffix = template.substring(at + 2);
        String stripped = prefix.stripTrailing();
        String spaced = prefix.substring(stripped.length()) + subject;   // the subject with the prefix's trailing space
        String filled = prefix + subject + suffix;
        int[] ids = tok.encode(filled, true);
        int[] pre = tok.encode(stripped, true);
        int[] ps = tok.encode(stripped + spaced, true);
        int nPre = pre.length;
        int nPs = ps.length;
        if (nPs <= nPre) {
            throw new EditException("subject '%s' adds no tokens to '%s'; check the subject is spelled as in the prompt"
                    .formatted(subject, filled));
        }
        boolean psSurvives = ids.length >= nPs && Arrays.equals(ids, 0, nPs, ps, 0, nPs);
        boolean preSurvives = ids.length >= nPre && Arrays.equals(ids, 0, nPre, pre, 0, nPre);
        if (how != FactToken.LAST && !psSurvives) {
            throw new EditException(("subject '%s' does not end at a token boundary in '%s' (its last token merges with "
                    + "the text after it); write the subject as whole words of the prompt").formatted(subject, filled));
        }
        if (how == FactToken.SUBJECT_FIRST && !preSurvives) {
            throw new EditException(("subject '%s' does not start at a token boundary in '%s'; write the subject as "
                    + "whole words of the prompt").formatted(subject, filled));
        }
        int unk = tok.specials().unk();
        if (unk >= 0) {
            for (int i = nPre; i < nPs; i++) {
                if (ids[i] == unk) {
                    throw new EditException(("subject '%s' contains words the tokenizer does not know (token %d is the "
                            + "unknown token); an edit keyed on it would apply to every unknown word").formatted(subject, i));
                }
            }
        }
        int index = switch (how) {
            case SUBJECT_LAST -> nPs - 1;
            case SUBJECT_FIRST -> nPre;
            case SUBJECT_FIRST_AFTER_LAST -> ids.length > nPs ? nPs : nPs - 1;
            case LAST -> ids.length - 1;
        };
        return new Located(ids, index, nPre, nPs);
    }
}
