package dev.emend.eval.general;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.emend.data.DatasetException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The readers on the hand-written samples in {@code src/test/resources/general}, and their errors. */
class GeneralDataTest {
    static Path sample(String name) {
        Path p = Path.of("src/test/resources/general");
        if (!Files.isDirectory(p)) {
            p = Path.of("emend-core/src/test/resources/general");
        }
        return p.resolve(name).toAbsolutePath();
    }

    @Test
    void commonsenseQa() {
        List<MultipleChoice> qs = GeneralData.multipleChoice(sample("commonsenseqa.jsonl"), null, null);
        assertThat(qs).hasSize(3);
        assertThat(qs.get(0)).isEqualTo(new MultipleChoice("csqa-hand-1", "What flows in a river?",
                List.of("water", "sand", "fire", "paper", "glass"), 0));
        assertThat(qs.get(1).answer()).isEqualTo(2);
        assertThat(qs.get(2).options().get(qs.get(2).answer())).isEqualTo("coat");
    }

    @Test
    void piqaWithLabelsFileOrInline() {
        List<MultipleChoice> qs = GeneralData.multipleChoice(sample("piqa.jsonl"), GeneralData.McFormat.PIQA,
                sample("piqa-labels.lst"));
        assertThat(qs).extracting(MultipleChoice::answer).containsExactly(0, 1, 0);
        assertThat(qs.get(0).question()).isEqualTo("To dry wet hands,");
        assertThat(qs.get(0).options()).containsExactly("rub them with a towel.", "rub them with a wet sponge.");
        assertThat(qs.get(0).id()).isEqualTo("0");
        List<MultipleChoice> inline = GeneralData.multipleChoice(sample("piqa-labelled.jsonl"), null, null);
        assertThat(inline).extracting(MultipleChoice::answer).containsExactly(0, 1);
        assertThat(inline.get(1).id()).isEqualTo("piqa-hand-2");
    }

    @Test
    void piqaLabelProblems(@TempDir Path tmp) throws IOException {
        assertThatThrownBy(() -> GeneralData.piqa(sample("piqa.jsonl"), null)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("record 0").hasMessageContaining("--labels");
        Path two = tmp.resolve("two.lst");
        Files.writeString(two, "0\n1\n");
        assertThatThrownBy(() -> GeneralData.piqa(sample("piqa.jsonl"), two)).hasMessageContaining("2 labels")
                .hasMessageContaining("3 records");
        Path bad = tmp.resolve("bad.lst");
        Files.writeString(bad, "0\n2\n1\n");
        assertThatThrownBy(() -> GeneralData.piqa(sample("piqa.jsonl"), bad)).hasMessageContaining("record 1")
                .hasMessageContaining("label '2'").hasMessageContaining("line 2");
    }

    @Test
    void triviaQaBothFormats() {
        List<OpenQuestion> rc = GeneralData.triviaQa(sample("triviaqa-rc.json"));
        assertThat(rc).hasSize(2);
        assertThat(rc.get(0).id()).isEqualTo("tqa_hand_1");
        assertThat(rc.get(0).question()).isEqualTo("What is the capital of France?");
        // value, aliases, normalised aliases, de-duplicated in that order ("Paris" and "paris" differ as strings)
        assertThat(rc.get(0).answers()).containsExactly("Paris", "Paris, France", "City of Light", "paris", "paris france",
                "city of light");
        List<OpenQuestion> jl = GeneralData.triviaQa(sample("triviaqa.jsonl"));
        assertThat(jl).extracting(OpenQuestion::id).containsExactly("q1", "1");
        assertThat(jl.get(1).answers()).containsExactly("Pacific Ocean", "The Pacific");
    }

    @Test
    void xsum() {
        List<Document> docs = GeneralData.xsum(sample("xsum.jsonl"));
        assertThat(docs).hasSize(2);
        assertThat(docs.get(1).id()).isEqualTo("10000002");
        assertThat(docs.get(1).summary()).isEqualTo("A bakery has won a national award for its sourdough bread.");
    }

    @Test
    void malformedRecordsAreNamedByIndex(@TempDir Path tmp) throws IOException {
        Path csqa = tmp.resolve("csqa.jsonl");
        Files.writeString(csqa, Files.readAllLines(sample("commonsenseqa.jsonl")).get(0) + "\n"
                + "{\"id\": \"x\", \"answerKey\": \"F\", \"question\": {\"stem\": \"s\", \"choices\": [{\"label\": \"A\", \"text\": \"a\"}, "
                + "{\"label\": \"B\", \"text\": \"b\"}]}}\n");
        assertThatThrownBy(() -> GeneralData.commonsenseQa(csqa)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("record 1").hasMessageContaining("answerKey 'F'");
        Path xsum = tmp.resolve("x.jsonl");
        Files.writeString(xsum, "{\"document\": \"d\", \"summary\": \"s\"}\n{\"document\": \"d\"}\n");
        assertThatThrownBy(() -> GeneralData.xsum(xsum)).hasMessageContaining("record 1").hasMessageContaining("\"summary\"");
        Path broken = tmp.resolve("broken.jsonl");
        Files.writeString(broken, "{\"question\": \"q\", \"answers\": [\"a\"]}\n{\"question\": \"q\", \"answers\": [\"a\"\n");
        assertThatThrownBy(() -> GeneralData.triviaQa(broken)).isInstanceOf(DatasetException.class)
                .hasMessageContaining("record 1").hasMessageContaining("(line 3, column 1)").hasMessageNotContaining("Source");
        Path noAnswers = tmp.resolve("na.jsonl");
        Files.writeString(noAnswers, "{\"question\": \"q\", \"answers\": [\" \"]}\n");
        assertThatThrownBy(() -> GeneralData.triviaQa(noAnswers)).hasMessageContaining("record 0").hasMessageContaining("answer");
        Path neither = tmp.resolve("n.jsonl");
        Files.writeString(neither, "{\"text\": \"t\"}\n");
        assertThatThrownBy(() -> GeneralData.multipleChoice(neither, null, null)).hasMessageContaining("--format");
        assertThat(GeneralData.McFormat.parse("CommonsenseQA")).isEqualTo(GeneralData.McFormat.COMMONSENSEQA);
        assertThatThrownBy(() -> GeneralData.McFormat.parse("arc")).hasMessageContaining("commonsenseqa or piqa");
    }
}
