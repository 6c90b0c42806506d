package dev.emend.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Outputs of {@code nltk.word_tokenize} from NLTK's own doctests and docs, and the Punkt stand-in's choices. */
class WordTokenizerTest {
    @Test
    void matchesNltkDoctests() {
        // nltk/tokenize/__init__.py and the Treebank docs
        assertThat(WordTokenizer.tokenize("Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them.\nThanks."))
                .containsExactly("Good", "muffins", "cost", "$", "3.88", "in", "New", "York", ".", "Please", "buy", "me",
                        "two", "of", "them", ".", "Thanks", ".");
        assertThat(WordTokenizer.tokenize("They'll save and invest more."))
                .containsExactly("They", "'ll", "save", "and", "invest", "more", ".");
        assertThat(WordTokenizer.tokenize("hi, my name can't hello,"))
                .containsExactly("hi", ",", "my", "name", "ca", "n't", "hello", ",");
        assertThat(WordTokenizer.tokenize("The quick (\"brown\") fox can't jump 32.3 feet, right?"))
                .containsExactly("The", "quick", "(", "``", "brown", "''", ")", "fox", "ca", "n't", "jump", "32.3", "feet",
                        ",", "right", "?");
    }

    @Test
    void splitsContractionsQuotesAndDashes() {
        assertThat(WordTokenizer.tokenize("I cannot go -- she's 'gonna' win!"))
                .containsExactly("I", "can", "not", "go", "--", "she", "'s", "'", "gon", "na", "'", "win", "!");
        assertThat(WordTokenizer.tokenize("\"Hello,\" he said: go...")).containsExactly("``", "Hello", ",", "''", "he",
                "said", ":", "go", "...");
    }

    @Test
    void sentenceSplittingKeepsAbbreviationsAndInitials() {
        assertThat(WordTokenizer.sentences("Mr. Smith met J. Doe in the U.S. today. He left. then? Yes."))
                .containsExactly("Mr. Smith met J. Doe in the U.S. today.", "He left.", "then?", "Yes.");
        assertThat(WordTokenizer.tokenize("Dr. Zora works as a diplomat. She is kind."))
                .containsExactly("Dr.", "Zora", "works", "as", "a", "diplomat", ".", "She", "is", "kind", ".");
    }
}
