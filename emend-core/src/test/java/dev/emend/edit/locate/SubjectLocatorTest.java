package dev.emend.edit.locate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.emend.EditException;
import dev.emend.Fixtures;
import dev.emend.tokenizer.HfTokenizer;
import dev.emend.tokenizer.Tokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Subject token indices by cumulative tokenisation on GPT-2's real BPE, and target tokenisation. */
class SubjectLocatorTest {
    static Tokenizer gpt2;

    @BeforeAll
    static void load() {
        gpt2 = HfTokenizer.load(Fixtures.root().resolve("tokenizers").resolve("gpt2"));
    }

    @AfterAll
    static void close() {
        gpt2.close();
    }

    private static String token(SubjectLocator.Located l, int i) {
        return gpt2.decode(new int[] {l.ids()[i]}, false);
    }

    @Test
    void factTokenStrategies() {
        String t = "{} was born in the city of";
        SubjectLocator.Located last = SubjectLocator.locate(gpt2, t, "Barack Obama", FactToken.SUBJECT_LAST);
        assertThat(token(last, last.index())).isEqualTo(" Obama");
        SubjectLocator.Located first = SubjectLocator.locate(gpt2, t, "Barack Obama", FactToken.SUBJECT_FIRST);
        assertThat(first.index()).isZero();
        assertThat(token(first, 0)).isEqualTo("Bar");
        SubjectLocator.Located after = SubjectLocator.locate(gpt2, t, "Barack Obama", FactToken.SUBJECT_FIRST_AFTER_LAST);
        assertThat(token(after, after.index())).isEqualTo(" was");
        SubjectLocator.Located end = SubjectLocator.locate(gpt2, t, "Barack Obama", FactToken.LAST);
        assertThat(end.index()).isEqualTo(end.ids().length - 1);
        assertThat(token(end, end.index())).isEqualTo(" of");
        SubjectLocator.Located alone = SubjectLocator.locate(gpt2, "The capital of {}", "France", FactToken.SUBJECT_FIRST_AFTER_LAST);
        assertThat(token(alone, alone.index())).isEqualTo(" France"); // nothing follows: the last subject token
    }

    @Test
    void thePrefixSpaceBelongsToTheSubject() {
        // EasyEdit's cumulative count gives subject_first = |enc("The capital of ")| = 4, a lone "Ġ" past " France";
        // moving the space into the subject (original ROME) gives the " France" token itself
        SubjectLocator.Located first = SubjectLocator.locate(gpt2, "The capital of {} is", "France", FactToken.SUBJECT_FIRST);
        assertThat(first.index()).isEqualTo(3);
        assertThat(token(first, 3)).isEqualTo(" France");
        assertThat(first.subjectStart()).isEqualTo(3);
        assertThat(first.subjectEnd()).isEqualTo(4);
        assertThat(first.ids()).containsExactly(gpt2.encode("The capital of France is", true));
    }

    @Test
    void subjectsThatAreNotWholeTokensAreRefused() {
        assertThatThrownBy(() -> SubjectLocator.locate(gpt2, "The {}sonian Institution", "Smith", FactToken.SUBJECT_LAST))
                .isInstanceOf(EditException.class).hasMessageContaining("does not end at a token boundary");
        assertThatThrownBy(() -> SubjectLocator.locate(gpt2, "{} is", "", FactToken.SUBJECT_LAST))
                .isInstanceOf(EditException.class).hasMessageContaining("adds no tokens");
        assertThatThrownBy(() -> SubjectLocator.locate(gpt2, "{} and {}", "x", FactToken.SUBJECT_LAST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly one {}");
    }

    @Test
    void targetsGetTheirWordStartToken() {
        int paris = gpt2.encode(" Paris", false)[0];
        assertThat(TargetTokens.encode(gpt2, "Paris")).containsExactly(paris);
        assertThat(TargetTokens.encode(gpt2, " Paris")).containsExactly(paris);
        assertThat(TargetTokens.encode(gpt2, "New York City")).containsExactly(gpt2.encode(" New York City", false));
        assertThatThrownBy(() -> TargetTokens.encode(gpt2, "  ")).isInstanceOf(EditException.class);
    }
}
