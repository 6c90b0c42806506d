package dev.emend.eval.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A word tokenizer close to NLTK's {@code word_tokenize}, which EasyEdit's fluency metric uses: sentences are split
 * first, then each sentence goes through a port of {@code NLTKWordTokenizer} (NLTK's improved Treebank tokenizer,
 * {@code nltk/tokenize/destructive.py}): the same regular expressions, in the same order, with Python's Unicode
 * {@code \w \s \d}. For example {@code "They'll save and invest more."} gives
 * {@code [They, 'll, save, and, invest, more, .]}.
 *
 * <p>Deviations from NLTK:
 * <ul>
 *   <li>Sentence splitting: NLTK uses the trained Punkt model. Here a sentence ends after {@code . ? !} (and any
 *       closing quotes or brackets) followed by whitespace, unless the period ends a single letter (an initial), a
 *       common English abbreviation (Mr, Dr, St, etc, e.g, U.S, months, ...), or an ellipsis not followed by an upper-case
 *       letter. Sentence splitting changes only whether a period before whitespace inside the text becomes its own token
 *       ("York ." vs "York."), since the Treebank rules split off a period only at the end of a sentence.
 *   <li>The regular expressions are those of current NLTK; EasyEdit pins nltk 3.6.5, which lacks the dash rule
 *       ({@code [\u2012-\u2015]} padded with spaces).
 *   <li>{@code (?#X)} comments in the contraction patterns are dropped (Java has no inline comments); they match
 *       nothing.
 * </ul>
 */
public final class WordTokenizer {
    private WordTokenizer() {}

    private record Rule(Pattern pattern, String replacement) {
        String apply(String text) {
            return pattern.matcher(text).replaceAll(replacement);
        }
    }

    private static final int U = Pattern.UNICODE_CHARACTER_CLASS;

    private static Rule rule(String regex, String replacement) {
        return new Rule(Pattern.compile(regex, U), replacement);
    }

    private static Rule ruleI(String regex, String replacement) {
        return new Rule(Pattern.compile(regex, U | Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE), replacement);
    }

    private static final List<Rule> STARTING_QUOTES = List.of(
            rule("([«“‘„]|[`]+)", " $1 "),
            rule("^\"", "``"),
            rule("(``)", " $1 "),
            rule("([ (\\[{<])(\"|'{2})", "$1 `` "),
            ruleI("(?<!\\w)(')(?!(?:re|ve|ll|m|t|s|d|n)\\b)(?=\\w)", "$1 "));

    private static final List<Rule> PUNCTUATION = List.of(
            rule("([^.])(\\.)([\\])}>\"'»”’ ]*)\\s*$", "$1 $2 $3 "),
            rule("([:,])([^\\d])", " $1 $2"),
            rule("([:,])$", " $1 "),
            rule("\\.{2,}", " $0 "),
            rule("[;@#$%&]", " $0 "),
            rule("[\\u2012-\\u2015]", " $0 "),
            rule("([^.])(\\.)([\\])}>\"']*)\\s*$", "$1 $2$3 "),
            rule("[?!]", " $0 "),
            rule("([^'])' ", "$1 ' "),
            rule("[*]", " $0 "));

    private static final Rule PARENS_BRACKETS = rule("[\\]\\[(){}<>]", " $0 ");
    private static final Rule DOUBLE_DASHES = rule("--", " -- ");

    private static final List<Rule> ENDING_QUOTES = List.of(
            rule("([»”’])", " $1 "),
            rule("''", " '' "),
            rule("\"", " '' "),
            rule("\\s+", " "),
            rule("([^' ])('[sS]|'[mM]|'[dD]|') ", "$1 $2 "),
            rule("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) ", "$1 $2 "));

    private static final List<Rule> CONTRACTIONS = List.of(
            ruleI("\\b(can)(not)\\b", " $1 $2 "),
            ruleI("\\b(d)('ye)\\b", " $1 $2 "),
            ruleI("\\b(gim)(me)\\b", " $1 $2 "),
            ruleI("\\b(gon)(na)\\b", " $1 $2 "),
            ruleI("\\b(got)(ta)\\b", " $1 $2 "),
            ruleI("\\b(lem)(me)\\b", " $1 $2 "),
            ruleI("\\b(more)('n)\\b", " $1 $2 "),
            ruleI("\\b(wan)(na)(?=\\s)", " $1 $2 "),
            ruleI(" ('t)(is)\\b", " $1 $2 "),
            ruleI(" ('t)(was)\\b", " $1 $2 "));

    private static final Pattern WHITESPACE = Pattern.compile("\\s+", U);

    /** Sentence end candidates: terminal punctuation, closing quotes or brackets, then whitespace. */
    private static final Pattern SENTENCE_END = Pattern.compile("([.?!])[\"')\\]}»”’]*\\s+", U);

    private static final Set<String> ABBREVIATIONS = Set.of("mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "vs",
            "etc", "inc", "ltd", "co", "corp", "e.g", "i.e", "u.s", "u.k", "no", "mt", "ft", "gen", "col", "lt", "sgt",
            "rev", "gov", "sen", "rep", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
            "dec", "approx", "dept", "est", "fig", "al");

    /**
     * Splits text into words and punctuation as {@code nltk.word_tokenize} does (see the class notes).
     *
     * @param text any text
     * @return the tokens
     */
    public static List<String> tokenize(String text) {
        List<String> out = new ArrayList<>();
        for (String sentence : sentences(text)) {
            out.addAll(tokenizeSentence(sentence));
        }
        return out;
    }

    /**
     * NLTK's {@code NLTKWordTokenizer.tokenize} on one sentence.
     *
     * @param sentence one sentence
     * @return its tokens
     */
    public static List<String> tokenizeSentence(String sentence) {
        String text = sentence;
        for (Rule r : STARTING_QUOTES) {
            text = r.apply(text);
        }
        for (Rule r : PUNCTUATION) {
            text = r.apply(text);
        }
        text = PARENS_BRACKETS.apply(text);
        text = DOUBLE_DASHES.apply(text);
        text = " " + text + " ";
        for (Rule r : ENDING_QUOTES) {
            text = r.apply(text);
        }
        for (Rule r : CONTRACTIONS) {
            text = r.apply(text);
        }
        List<String> out = new ArrayList<>();
        for (String t : WHITESPACE.split(text)) {
            if (!t.isEmpty()) {
                out.add(t);
            }
        }
        return out;
    }

    /**
     * The sentence splitter standing in for Punkt (see the class notes).
     *
     * @param text any text
     * @return the sentences, trimmed, none empty
     */
    public static List<String> sentences(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = SENTENCE_END.matcher(text);
        int start = 0;
        while (m.find()) {
            int end = m.end();
            if (m.group(1).equals(".") && !periodEndsSentence(text, m.start(1), end)) {
                continue;
            }
            add(out, text.substring(start, end));
            start = end;
        }
        add(out, text.substring(start));
        return out;
    }

    private static boolean periodEndsSentence(String text, int period, int next) {
        if (period > 0 && text.charAt(period - 1) == '.') {                      // ellipsis
            return next < text.length() && Character.isUpperCase(text.charAt(next));
        }
        int wordStart = period;
        while (wordStart > 0 && !Character.isWhitespace(text.charAt(wordStart - 1))) {
            wordStart--;
        }
        String word = text.substring(wordStart, period);
        while (!word.isEmpty() && "\"'(([{«“‘„".indexOf(word.charAt(0)) >= 0) {
            word = word.substring(1);
        }
        if (word.length() == 1 && Character.isLetter(word.charAt(0))) {          // an initial: "J. Smith"
            return false;
        }
        return !ABBREVIATIONS.contains(word.toLowerCase(Locale.ROOT));
    }

    private static void add(List<String> out, String s) {
        String t = s.strip();
        if (!t.isEmpty()) {
            out.add(t);
        }
    }
}
