package dev.emend.eval.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import dev.emend.Fixtures;
import dev.emend.model.Hooks;
import dev.emend.model.LanguageModel;
import dev.emend.model.ModelLoader;
import dev.emend.model.Scorer;
import dev.emend.tokenizer.TokenBatch;
import dev.emend.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * EasyEdit's teacher-forced accuracy on the tiny GPT-2 (byte-level BPE): the tokenisation of {@code prompt + " " +
 * target}, the accuracy of the model's own continuation (1), of that continuation with its last token swapped (exactly
 * (m−1)/m: the first m−1 positions see the same context), and the slice against a literal port of
 * {@code test_prediction_acc} on a full forward pass.
 */
class TeacherForcedTest {
    static LanguageModel model;
    static Tokenizer tok;

    @BeforeAll
    static void load() {
        model = ModelLoader.load(Fixtures.tiny("gpt2"));
        tok = model.tokenizer();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Argmax at every position of one full forward pass [T]. */
    static int[] argmaxAll(int[] row) {
        try (NDScope ignored = new NDScope()) {
            NDArray logits = model.forward(TokenBatch.single(row), Hooks.none()).logits();   // [1,T,V]
            return Arrays.stream(logits.argMax(2).toLongArray()).mapToInt(x -> (int) x).toArray();
        }
    }

    @Test
    void tokenisesPromptSpaceTargetAsOneText() {
        Scorer.Request r = TeacherForced.request(tok, "The capital of France is", "Paris");
        assertThat(concat(r.prompt(), r.target())).containsExactly(tok.encode("The capital of France is Paris", true));
        assertThat(r.prompt()).containsExactly(tok.encode("The capital of France is", true));
        assertThat(r.target()).as("GPT-2's word-initial space token").containsExactly(tok.encode(" Paris", false));
        assertThat(TeacherForced.request(tok, "The capital of France is", "  Paris").target()).containsExactly(r.target());
    }

    @Test
    void ownContinuationScoresOneAndASwappedLastTokenScoresExactlyMMinusOneOverM() {
        int[] prompt = tok.encode("The quick brown", true);
        int m = 4;
        int[] row = prompt;
        for (int j = 0; j < m; j++) {                                  // greedy by full forward passes
            int[] a = argmaxAll(row);
            row = concat(row, new int[] {a[row.length - 1]});
        }
        int[] own = Arrays.copyOfRange(row, prompt.length, row.length);
        Scorer scorer = new Scorer(model);
        Scorer.TargetScore s = scorer.score(List.of(new Scorer.Request(prompt, own))).get(0);
        assertThat(TeacherForced.accuracy(s.argmax(), own)).isEqualTo(1.0);

        int[] swapped = own.clone();
        swapped[m - 1] = (own[m - 1] + 1) % tok.vocabSize();
        s = scorer.score(List.of(new Scorer.Request(prompt, swapped))).get(0);
        assertThat(TeacherForced.accuracy(s.argmax(), swapped)).isEqualTo((m - 1.0) / m);
        assertThat(TeacherForced.accuracy(new int[] {1, 2, 3}, new int[] {1, 9, 3})).isEqualTo(2.0 / 3);
    }

    @Test
    void sliceEqualsALiteralPortOfTestPredictionAcc() {
        String prompt = "Bouvmere is a city in";
        String target = "New Zealand";
        // EasyEdit: ans = argmax(logits)[prompt_len-1:-1], label = ids[prompt_len:], acc = mean(ans == label)
        int[] ids = tok.encode(prompt + " " + target, true);
        int promptLen = tok.encode(prompt, true).length;
        int[] argmax = argmaxAll(ids);
        int[] ans = Arrays.copyOfRange(argmax, promptLen - 1, ids.length - 1);
        int[] label = Arrays.copyOfRange(ids, promptLen, ids.length);
        int hits = 0;
        for (int i = 0; i < label.length; i++) {
            hits += ans[i] == label[i] ? 1 : 0;
        }
        Scorer.TargetScore s = new Scorer(model).score(List.of(TeacherForced.request(tok, prompt, target))).get(0);
        assertThat(s.targetIds()).containsExactly(label);
        assertThat(s.argmax()).containsExactly(ans);
        assertThat(TeacherForced.accuracy(s.argmax(), s.targetIds())).isEqualTo((double) hits / label.length);
    }
}
